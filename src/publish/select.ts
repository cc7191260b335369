import type { Article } from '../content/schema.js';

/**
 * The one decision of what is public. Nothing else in feedpipe compares an
 * article's date with the clock: every shortcut (a reused selection, a build
 * prepared before a due time, the proof that the last build still stands) asks
 * `holdsAt(selection.window, now)` and checks that what select read of each
 * article (`sameToSelect`) is unchanged.
 */
export interface Selection {
  /** Public at `now`: never a draft, never before its date; newest first, ties by id. */
  visible: Article[];
  /** Public later, soonest first (drafts excluded). */
  scheduled: Article[];
  drafts: Article[];
  /** When the next scheduled article falls due. */
  nextDue?: Date;
  /** The clocks at which this same answer holds. */
  window: ClockWindow;
}

/**
 * The clocks over which a selection stays the same: from its newest public
 * article's date (a clock before it hides that article) up to, not including,
 * its next due date. Epoch milliseconds; no lower bound on an empty site.
 */
export interface ClockWindow {
  validFrom: number;
  validUntil?: number;
}

/** What select reads of an article: its date as an instant or epoch milliseconds. */
export interface SelectInput {
  id: string;
  draft: boolean;
  date: Date | number;
}

export function select(articles: readonly Article[], now: Date): Selection {
  const t = now.getTime();
  const visible: Article[] = [];
  const scheduled: Article[] = [];
  const drafts: Article[] = [];
  for (const a of articles) {
    if (a.draft) drafts.push(a);
    else if (a.date.getTime() <= t) visible.push(a);
    else scheduled.push(a);
  }
  const newest = sortNewestFirst(visible);
  const soonest = scheduled.sort((a, b) => -newestFirst(a, b));
  const nextDue = soonest[0]?.date;
  const window: ClockWindow = { validFrom: newest[0]?.date.getTime() ?? -8.64e15, ...(nextDue ? { validUntil: nextDue.getTime() } : {}) };
  return { visible: newest, scheduled: soonest, drafts, ...(nextDue ? { nextDue } : {}), window };
}

/** Whether a selection whose window is `window` is also the answer at `now` (for the same articles). */
export function holdsAt(window: ClockWindow, now: number): boolean {
  return now >= window.validFrom && (window.validUntil === undefined || now < window.validUntil);
}

/** Whether select sees `a` and `b` alike: then at every clock it puts them in the same place. */
export function sameToSelect(a: SelectInput, b: SelectInput): boolean {
  return a.id === b.id && a.draft === b.draft && +a.date === +b.date;
}

/** Newest first, ties by id: sorts on precomputed keys, which is several times faster for large sites. */
function sortNewestFirst(articles: Article[]): Article[] {
  const keyed = articles.map((a) => ({ a, t: a.date.getTime() }));
  keyed.sort((x, y) => y.t - x.t || (x.a.id < y.a.id ? -1 : x.a.id > y.a.id ? 1 : 0));
  return keyed.map((k) => k.a);
}

function newestFirst(a: Article, b: Article): number {
  return b.date.getTime() - a.date.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The sizes of a selection (also when its lists are not loaded: a proven build reports the last one's). */
export interface Counts {
  articles: number;
  visible: number;
  scheduled: number;
  drafts: number;
}

export function countsOf(articles: readonly unknown[], selection: Pick<Selection, 'visible' | 'scheduled' | 'drafts'>): Counts {
  return { articles: articles.length, visible: selection.visible.length, scheduled: selection.scheduled.length, drafts: selection.drafts.length };
}
