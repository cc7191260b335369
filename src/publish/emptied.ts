/**
 * A feed whose last article goes (a tag no longer used, an author's last article deleted) stays
 * published with no items for `feeds.keepEmptyDays`, then leaves: a reader subscribed to it sees
 * the feed empty, not a 404 it would log as an error every time it polls.
 *
 * The manifest records each subscription feed a publication carried (feedRecords): its key, kind,
 * title and description, and since when it has had no item. The next full build keeps, empty, every
 * recorded feed it no longer makes, until that time plus the grace period; the build's window ends
 * then (build/emptied.ts), so no shortcut publishes it past its time. Its items are decided by select
 * as everything else's are: it has none. Its archive pages go at once (they would show articles the
 * feed no longer holds).
 */
import type { Config } from '../config/config.js';
import type { FeedRecords } from './feed-records.js';
import { feedModel, type FeedModel } from './model.js';

const DAY_MS = 86_400_000;

/** What feedRecords reads of a model: a FeedModel, or one as a summary stores it (src/incremental/summary.ts). */
type Recorded = Pick<FeedModel, 'key' | 'kind' | 'dir' | 'title' | 'description' | 'history'> & { updated: Date | number; items: ArrayLike<unknown> };

/** The records of the subscription feeds among `models` (a publication's), for its manifest. */
export function feedRecords(models: readonly Recorded[]): FeedRecords {
  const records: FeedRecords = {};
  for (const m of models) {
    if (m.history?.archive) continue;
    const empty = m.kind !== 'main' && m.items.length === 0;
    records[m.dir] = { key: m.key, kind: m.kind, title: m.title, description: m.description, ...(empty ? { empty: new Date(m.updated).toISOString() } : {}) };
  }
  return records;
}

/** Whether two sets of records say the same: a build that kept feeds empty from `a` would keep the same from `b`. */
export function sameRecords(a: FeedRecords, b: FeedRecords): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((dir) => {
    const x = a[dir]!;
    const y = b[dir];
    return !!y && x.key === y.key && x.kind === y.kind && x.title === y.title && x.description === y.description && x.empty === y.empty;
  });
}

/**
 * The feeds `previous` recorded that `models` (this build's) no longer have, as empty models, each
 * while its grace period lasts at `now`; and the one whose period ends first, with when. A kind of
 * feed the config no longer makes is not kept.
 */
export function keepEmptied(models: readonly FeedModel[], previous: FeedRecords, now: Date, config: Config): { kept: FeedModel[]; first?: { model: FeedModel; until: number } } {
  const days = config.feeds.keepEmptyDays;
  const makes = { section: config.feeds.sections, tag: config.feeds.tags, author: config.feeds.authors };
  if (!days) return { kept: [] };
  const have = new Set(models.map((m) => m.dir));
  const kept: FeedModel[] = [];
  let first: { model: FeedModel; until: number } | undefined;
  for (const [dir, r] of Object.entries(previous).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (r.kind === 'main' || have.has(dir) || !makes[r.kind]) continue;
    const since = r.empty ? Date.parse(r.empty) : now.getTime();
    const until = since + Math.round(days * DAY_MS);
    if (now.getTime() >= until) continue;
    const model = feedModel(config, { key: r.key, kind: r.kind, dir, title: r.title, description: r.description }, [], new Date(since));
    kept.push(model);
    if (!first || until < first.until) first = { model, until };
  }
  return { kept, ...(first ? { first } : {}) };
}
