/**
 * What a publication carries, each article once: their paths (what the cache keeps renders and
 * items for), each by path with the hash of its bytes (a publisher's memory of what it published,
 * build/hold.ts), and by id (the renamed-id record, build/renamed.ts). With archive pages a
 * publication carries every public article; a publisher's build after an edit carries the same
 * ones but the edited: it updates the last build's maps instead of making them again (10 000
 * articles: ~25 ms a build).
 */
import type { Article } from '../content/schema.js';
import type { BuildCache } from '../incremental/cache.js';
import { carriedArticles, type FeedModel } from '../publish/model.js';
import type { EntryOf } from './render.js';
import { publishedItems, type PublishedItems } from './renamed.js';

export interface Carried {
  articles: readonly Article[];
  paths: ReadonlySet<string>;
  byPath: ReadonlyMap<string, { hash: string; article: Article }>;
  items: PublishedItems;
}

/** The last build's, by cache: a publisher's next build compares with it. */
const last = new WeakMap<BuildCache, Carried>();

/** More changed articles than a save of several files: the maps are made anew. */
const MOST_CHANGED = 64;

export function carriedOf(cache: BuildCache, models: readonly FeedModel[], entryOf: EntryOf): Carried {
  const articles = carriedArticles(models);
  const before = last.get(cache);
  const changed = before && changedAt(before.articles, articles);
  let carried: Carried;
  if (before && changed) {
    const byPath = new Map(before.byPath);
    const byId = new Map(before.items.articles);
    for (const i of changed) {
      const a = articles[i]!;
      byPath.set(a.source.absPath, { hash: entryOf(a).hash, article: a });
      byId.set(a.id, a);
    }
    carried = { articles, paths: before.paths, byPath, items: { articles: byId } };
  } else {
    const byPath = new Map(articles.map((a) => [a.source.absPath, { hash: entryOf(a).hash, article: a }] as const));
    carried = { articles, paths: new Set(byPath.keys()), byPath, items: publishedItems(articles) };
  }
  last.set(cache, carried);
  return carried;
}

/**
 * Where `now` has another article than `before` for the same file and id (an article is a new
 * object whenever its file's bytes change, and only then); undefined when a file or an id is at
 * another place, or more than MOST_CHANGED changed.
 */
function changedAt(before: readonly Article[], now: readonly Article[]): number[] | undefined {
  if (before.length !== now.length) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < now.length; i++) {
    const a = now[i]!;
    const b = before[i]!;
    if (a === b) continue;
    if (a.source.absPath !== b.source.absPath || a.id !== b.id || changed.length === MOST_CHANGED) return undefined;
    changed.push(i);
  }
  return changed;
}
