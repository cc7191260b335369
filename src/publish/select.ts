import type { Article } from '../content/schema.js';

/**
 * The one place that decides what is public at `now`: never a draft, never an
 * article before its date; newest first. Everything downstream (feed dates,
 * counts, section and tag feeds) sees only this list, so nothing embargoed can
 * leak through a side door.
 */
export function selectVisible(articles: readonly Article[], now: Date): Article[] {
  const t = now.getTime();
  return articles.filter((a) => !a.draft && a.date.getTime() <= t).sort(newestFirst);
}

export function newestFirst(a: Article, b: Article): number {
  return b.date.getTime() - a.date.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Articles that become public later, soonest first (drafts excluded). */
export function selectScheduled(articles: readonly Article[], now: Date): Article[] {
  const t = now.getTime();
  return articles.filter((a) => !a.draft && a.date.getTime() > t).sort((a, b) => -newestFirst(a, b));
}

/** The next moment at which what is public changes, if any. */
export function nextDue(articles: readonly Article[], now: Date): Date | undefined {
  return selectScheduled(articles, now)[0]?.date;
}
