import type { Article } from '../content/schema.js';

/**
 * The one place that decides what is public at `now`: never a draft, never an
 * article before its date; newest first. Everything downstream (feed dates,
 * counts, section and tag feeds) sees only this list, so nothing embargoed can
 * leak through a side door.
 */
export function selectVisible(articles: readonly Article[], now: Date): Article[] {
  const t = now.getTime();
  return sortNewestFirst(articles.filter((a) => !a.draft && a.date.getTime() <= t));
}

/** Newest first, ties by id: sorts on precomputed keys, which is several times faster for large sites. */
function sortNewestFirst(articles: Article[]): Article[] {
  const keyed = articles.map((a) => ({ a, t: a.date.getTime() }));
  keyed.sort((x, y) => y.t - x.t || (x.a.id < y.a.id ? -1 : x.a.id > y.a.id ? 1 : 0));
  return keyed.map((k) => k.a);
}

export function newestFirst(a: Article, b: Article): number {
  return b.date.getTime() - a.date.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Articles that become public later, soonest first (drafts excluded). */
export function selectScheduled(articles: readonly Article[], now: Date): Article[] {
  const t = now.getTime();
  return articles.filter((a) => !a.draft && a.date.getTime() > t).sort((a, b) => -newestFirst(a, b));
}

export interface Selection {
  /** Public at `now`, newest first. */
  visible: Article[];
  /** Public later, soonest first. */
  scheduled: Article[];
  drafts: Article[];
  /** When the next scheduled article falls due. */
  nextDue?: Date;
}

/** selectVisible, selectScheduled and the drafts in one pass, for a build over a large site. */
export function partition(articles: readonly Article[], now: Date): Selection {
  const t = now.getTime();
  const visible: Article[] = [];
  const scheduled: Article[] = [];
  const drafts: Article[] = [];
  for (const a of articles) {
    if (a.draft) drafts.push(a);
    else if (a.date.getTime() <= t) visible.push(a);
    else scheduled.push(a);
  }
  const soonest = scheduled.sort((a, b) => -newestFirst(a, b));
  return { visible: sortNewestFirst(visible), scheduled: soonest, drafts, ...(soonest[0] ? { nextDue: soonest[0].date } : {}) };
}

/** The next moment at which what is public changes, if any. */
export function nextDue(articles: readonly Article[], now: Date): Date | undefined {
  return selectScheduled(articles, now)[0]?.date;
}
