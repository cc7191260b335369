/**
 * Feeds last published and no longer made, kept empty for `feeds.keepEmptyDays`
 * (publish/emptied.ts). The last publication is read from its manifest; the build's window and
 * next due time end when the first of them leaves, so that no shortcut (a standing result, a
 * summary, a build prepared ahead) publishes one past its time and a publisher wakes to remove it.
 */
import path from 'node:path';
import { keepEmptied } from '../publish/emptied.js';
import { parseFeedRecords, type FeedRecords } from '../publish/feed-records.js';
import { readManifest } from '../publish/manifest.js';
import type { FeedModel } from '../publish/model.js';
import { toDisplayPath } from '../util/paths.js';
import type { BuildRun } from './run.js';

/** The feeds the last publication recorded in its manifest (publish/feed-records.ts). */
export async function lastFeedRecords(outDir: string): Promise<FeedRecords> {
  return parseFeedRecords((await readManifest(outDir)).feeds);
}

/** `models` with the emptied feeds kept after the subscription documents (before the archive pages). */
export async function withEmptied(run: BuildRun, models: FeedModel[]): Promise<FeedModel[]> {
  if (!run.config.feeds.keepEmptyDays) return models;
  const { kept, first } = keepEmptied(models, await lastFeedRecords(run.outDir), run.now, run.config);
  if (!first) return models;
  const { report } = run;
  const window = report.window!;
  report.window = { ...window, validUntil: Math.min(window.validUntil ?? first.until, first.until) };
  if (!report.nextDue || first.until < report.nextDue.getTime()) {
    report.nextDue = new Date(first.until);
    report.nextDueFile = `${toDisplayPath(path.join(run.outDir, first.model.dir.slice(0, -1)), run.cwd)}/ (an empty feed that leaves then)`;
  }
  const pages = models.findIndex((m) => m.history?.archive);
  const at = pages < 0 ? models.length : pages;
  return [...models.slice(0, at), ...kept, ...models.slice(at)];
}
