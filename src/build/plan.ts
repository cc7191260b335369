/**
 * Step 3: which files this build must serialise. A feed whose fingerprint
 * matches the file on disk (src/incremental/outputs.ts) is kept as it is; the
 * page for people and the stylesheet follow the same rule.
 */
import type { Article } from '../content/schema.js';
import type { BuildCache } from '../incremental/cache.js';
import { allUnchanged, fingerprintOf } from '../incremental/outputs.js';
import { FEED_FILES, INDEX_FILE, STYLESHEET_FILE, type FeedFormat } from '../publish/files.js';
import { isListed, type FeedModel } from '../publish/model.js';
import { sha256 } from '../util/hash.js';
import type { BuildRun } from './run.js';

export interface PublishPlan {
  /** Published files known to be unchanged: not serialised, published as they are. */
  keep: Set<string>;
  /** Feeds to serialise, with the fingerprint of what they are made from. */
  pending: { model: FeedModel; fingerprint: string }[];
  /** The page and the stylesheet, if they must be made again. */
  pages: { rel: string; fingerprint: string }[];
}

export function planPublish(run: BuildRun, cache: BuildCache, models: readonly FeedModel[], hashOf: (a: Article) => string): PublishPlan {
  const { report, write, outDir } = run;
  const mayKeep = write && !run.options.renderAll;
  const plan: PublishPlan = { keep: new Set(), pending: [], pages: [] };
  for (const model of models) {
    const fingerprint = fingerprintOf(model, cache, hashOf);
    const files = (Object.keys(FEED_FILES) as FeedFormat[]).map((f) => model.dir + FEED_FILES[f]);
    report.feeds.push({ key: model.key, ...(model.history?.archive ? { archive: model.history.page } : {}), items: model.items.length, updated: model.updated, files });
    for (const f of files) report.updated.set(f, model.updated);
    if (mayKeep && allUnchanged(files, fingerprint, outDir, cache)) files.forEach((f) => plan.keep.add(f));
    else plan.pending.push({ model, fingerprint });
  }
  const main = models[0]!;
  const pages = [
    // What the page shows of each feed: its kind, folder and title, and how many archive pages it has.
    { rel: INDEX_FILE, fingerprint: sha256(JSON.stringify({ page: INDEX_FILE, feeds: models.filter(isListed).map((m) => [m.kind, m.dir, m.title, m.history?.archive === false ? m.history.pages : 0]), main: fingerprintOf(main, cache, hashOf) })) },
    { rel: STYLESHEET_FILE, fingerprint: sha256(JSON.stringify({ page: STYLESHEET_FILE })) },
  ];
  for (const p of pages) {
    if (mayKeep && allUnchanged([p.rel], p.fingerprint, outDir, cache)) plan.keep.add(p.rel);
    else plan.pages.push(p);
  }
  report.updated.set(INDEX_FILE, main.updated);
  return plan;
}
