/** Steps 3 to 6 for a set of feed models: plan, render, serialise, write — and remember, for the next build. */
import type { Article } from '../content/schema.js';
import type { BuildCache } from '../incremental/cache.js';
import { feedRecords } from '../publish/emptied.js';
import type { FeedModel } from '../publish/model.js';
import { carriedOf } from './carried.js';
import { planPublish } from './plan.js';
import { rememberResult, type Summarise } from './remember.js';
import { renderStage, type EntryOf } from './render.js';
import { aborted, blocked, type BuildRun } from './run.js';
import { serialiseStage } from './serialise.js';
import { writeStage } from './write.js';

/**
 * Publishes `models`, with each item's stored article and the hash of its bytes from `entryOf`;
 * `summarise` gives what the next build needs, once it published. True once the files are made (and
 * written, if the build writes), with the report's `carried` set. Stops at the first stage with errors
 * (other than those that withhold one article: catalogue.ts).
 */
export async function publishStage(run: BuildRun, cache: BuildCache, models: FeedModel[], entryOf: EntryOf, summarise: Summarise): Promise<boolean> {
  const { report } = run;
  const hashOf = (a: Article) => entryOf(a).hash;
  const plan = planPublish(run, cache, models, hashOf);
  const rendered = await renderStage(run, cache, plan, models[0]!, entryOf);
  // An article its worker could not render was found: the build runs again without it, and writes then.
  if (!rendered || run.withheld || blocked(run)) return false;
  const serialised = await serialiseStage(run, cache, plan, models, rendered, hashOf);
  if (blocked(run) || aborted(run)) return false;
  const carried = carriedOf(cache, models, entryOf);
  report.items = carried.items;
  report.feedRecords = feedRecords(models);
  await writeStage(run, cache, serialised, plan.keep, carried.paths);
  await rememberResult(run, summarise);
  if (run.write && !report.write) return false;
  report.carried = carried.byPath;
  return true;
}
