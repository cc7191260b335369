/** Articles as the cache stores them, and back. */
import type { Article } from '../content/schema.js';

/** An article as stored: dates as epoch ms, no body (it is re-read when a render is needed). */
export type StoredArticle = Omit<Article, 'source' | 'date' | 'updated'> & { date: number; updated?: number; frontmatterLine: number; bodyLine: number };
export function storeArticle(a: Article): StoredArticle {
  const { source, date, updated, ...rest } = a;
  return { ...rest, date: date.getTime(), ...(updated ? { updated: updated.getTime() } : {}), frontmatterLine: source.frontmatterLine, bodyLine: source.bodyLine };
}

/**
 * One string object per distinct tag or section name: articles that arrive from
 * a worker (or the cache file) each carry their own copies, which cost memory
 * and make every Map lookup in grouping compare characters instead of pointers.
 */
const interned = new Map<string, string>();
function intern(name: string): string {
  let s = interned.get(name);
  if (s === undefined) {
    if (interned.size > 100_000) interned.clear();
    interned.set(name, (s = name));
  }
  return s;
}

/**
 * Every article gets the same fields in the same order, absent ones as
 * undefined: one hidden class, so the loops over 10 000 of them in select and
 * model stay monomorphic (a spread of optional fields made up to 32 shapes and
 * made those loops several times slower).
 */
export function restoreArticle(s: StoredArticle, source: Omit<Article['source'], 'frontmatter' | 'body' | 'frontmatterLine' | 'bodyLine'>): Article {
  return {
    source: { absPath: source.absPath, relPath: source.relPath, displayPath: source.displayPath, frontmatter: '', body: undefined, frontmatterLine: s.frontmatterLine, bodyLine: s.bodyLine },
    title: s.title,
    date: new Date(s.date),
    updated: s.updated !== undefined ? new Date(s.updated) : undefined,
    id: s.id,
    slug: s.slug,
    url: s.url,
    summary: s.summary,
    section: s.section === undefined ? undefined : intern(s.section),
    tags: s.tags.map(intern),
    authors: s.authors,
    draft: s.draft,
    image: s.image,
    lang: s.lang,
    enclosures: s.enclosures,
  };
}

