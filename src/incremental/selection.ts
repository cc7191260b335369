/**
 * A long-running publisher rebuilds after every edit; most edits move no
 * article (a typo, a new paragraph). Its last selection is reused when select
 * would answer the same: the same files in the same order, each seen alike by
 * select (sameToSelect) and by the duplicate check (same URL), at a clock
 * inside the last selection's window. Its feeds' models are reused too when
 * every re-read article also keeps its section and tags: then grouping would
 * put each in the same feeds, at the same place.
 */
import type { Article } from '../content/schema.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { sameFeeds, type FeedModel } from '../publish/model.js';
import { holdsAt, sameToSelect, type Selection } from '../publish/select.js';

export interface SelectionMemo {
  articles: readonly Article[];
  selection: Selection;
  collisions: Diagnostic[];
  /** The feeds' models made from `selection`, once made. */
  models?: FeedModel[];
}

/** The memo's selection with each re-read article in place of its old version, or undefined: select from scratch. */
export function reuseSelection(
  memo: SelectionMemo | undefined,
  articles: readonly Article[],
  now: Date,
): { selection: Selection; collisions: Diagnostic[]; replaced: ReadonlyMap<Article, Article> } | undefined {
  if (!memo || memo.articles.length !== articles.length) return undefined;
  if (!holdsAt(memo.selection.window, now.getTime())) return undefined;
  const replaced = new Map<Article, Article>();
  for (let i = 0; i < articles.length; i++) {
    const a = articles[i]!;
    const b = memo.articles[i]!;
    if (a === b) continue;
    if (a.source.absPath !== b.source.absPath || a.url !== b.url || !sameToSelect(a, b)) return undefined;
    replaced.set(b, a);
  }
  const sub = (list: Article[]) => (replaced.size ? list.map((a) => replaced.get(a) ?? a) : list);
  const { visible, scheduled, drafts } = memo.selection;
  return { selection: { ...memo.selection, visible: sub(visible), scheduled: sub(scheduled), drafts: sub(drafts) }, collisions: memo.collisions, replaced };
}

/**
 * The memo's models with each re-read article in place of its old version (`replaced`, from
 * reuseSelection), or undefined: group from scratch. Only where each keeps the section and tags
 * the grouping read; its date and `updated` (each feed's own date) select saw alike already.
 */
export function reuseModels(memo: SelectionMemo | undefined, replaced: ReadonlyMap<Article, Article>): FeedModel[] | undefined {
  if (!memo?.models) return undefined;
  for (const [was, now] of replaced) if (!sameFeeds(was, now)) return undefined;
  return memo.models.map((m) => ({ ...m, items: m.items.map((a) => replaced.get(a) ?? a) }));
}
