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
 * The clocks over which a build's answer stays the same: from its newest public
 * article's date (a clock before it hides that article) up to, not including,
 * its next due date. Epoch milliseconds; no lower bound on an empty site.
 *
 * A build's answer also depends on each public article's `updated` against the
 * clock: one later than the clock is an error (build/select.ts), since the feed
 * would announce an edit that has not happened. So every public `updated` at or
 * before `now` raises the lower bound too (a clock stepped back below it would
 * fail), and every one after `now` lowers the upper bound (a clock that reaches
 * it would no longer fail). A window where the build passes thus starts at the
 * latest date or `updated` of any public article.
 */
export interface ClockWindow {
  validFrom: number;
  validUntil?: number;
}

/** What select reads of an article: its dates as instants or epoch milliseconds. */
export interface SelectInput {
  id: string;
  draft: boolean;
  date: Date | number;
  /** Read for the window only (see ClockWindow). */
  updated?: Date | number | undefined;
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
  const window = windowOf(newest, t, nextDue?.getTime());
  return { visible: newest, scheduled: soonest, drafts, ...(nextDue ? { nextDue } : {}), window };
}

/** The window of a selection whose public articles are `visible` (newest first) at `t` (see ClockWindow). */
function windowOf(visible: readonly Article[], t: number, nextDue: number | undefined): ClockWindow {
  let validFrom = visible[0]?.date.getTime() ?? -8.64e15;
  let validUntil = nextDue;
  for (const a of visible) {
    const u = a.updated?.getTime();
    if (u === undefined) continue;
    if (u <= t) validFrom = Math.max(validFrom, u);
    else validUntil = validUntil === undefined ? u : Math.min(validUntil, u);
  }
  return { validFrom, ...(validUntil !== undefined ? { validUntil } : {}) };
}

/**
 * The public articles (of a selection's `visible`) whose `updated` is later than `now`: the feed
 * would announce an edit that has not happened, so the build reports each as an error. Constant
 * over the selection's window. Decides nothing about what is public.
 */
export function updatedLater(visible: readonly Article[], now: Date): Article[] {
  const t = now.getTime();
  return visible.filter((a) => a.updated !== undefined && a.updated.getTime() > t);
}

/** Whether a selection whose window is `window` is also the answer at `now` (for the same articles). */
export function holdsAt(window: ClockWindow, now: number): boolean {
  return now >= window.validFrom && (window.validUntil === undefined || now < window.validUntil);
}

/** Whether select sees `a` and `b` alike: then at every clock it puts them in the same place, within the same window. */
export function sameToSelect(a: SelectInput, b: SelectInput): boolean {
  return a.id === b.id && a.draft === b.draft && +a.date === +b.date && (a.updated === undefined ? b.updated === undefined : b.updated !== undefined && +a.updated === +b.updated);
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
