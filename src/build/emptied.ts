/**
 * Feeds last published and no longer made, kept empty for `feeds.keepEmptyDays`
 * (publish/emptied.ts). The last publication is read from its manifest; the build's window and
 * next due time end when the first of them leaves, so that no shortcut (a standing result, a
 * summary, a build prepared ahead) publishes one past its time and a publisher wakes to remove it.
 */
import path from 'node:path';
import { keepEmptied } from '../publish/emptied.js';
import { parseFeedRecords } from '../publish/feed-records.js';
import { readManifest } from '../publish/manifest.js';
import type { FeedModel } from '../publish/model.js';
import { toDisplayPath } from '../util/paths.js';
import type { BuildRun } from './run.js';

/** `models` with the emptied feeds kept after the subscription documents (before the archive pages). */
export async function withEmptied(run: BuildRun, models: FeedModel[]): Promise<FeedModel[]> {
  if (!run.config.feeds.keepEmptyDays) return models;
  const previous = parseFeedRecords((await readManifest(run.outDir)).feeds);
  const { kept, until } = keepEmptied(models, previous, run.now, run.config);
  if (!kept.length || until === undefined) return models;
  const { report } = run;
  const window = report.window!;
  report.window = { ...window, validUntil: Math.min(window.validUntil ?? until, until) };
  if (!report.nextDue || until < report.nextDue.getTime()) {
    const first = kept.find((m) => m.updated.getTime() + Math.round(run.config.feeds.keepEmptyDays * 86_400_000) === until)!;
    report.nextDue = new Date(until);
    report.nextDueFile = `${toDisplayPath(path.join(run.outDir, first.dir.slice(0, -1)), run.cwd)}/ (an empty feed that leaves then)`;
  }
  const pages = models.findIndex((m) => m.history?.archive);
  const at = pages < 0 ? models.length : pages;
  return [...models.slice(0, at), ...kept, ...models.slice(at)];
}
