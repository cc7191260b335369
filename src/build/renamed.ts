/**
 * A file renamed gets a new slug, so a new id (unless its frontmatter gives one), and every feed
 * reader then shows its article as new again. Each publication records the items its feeds carry
 * beside the manifest (ITEMS_FILE: id, source file, title, date); the next compares: an id that is
 * gone while an article with the same title and date appears under another id is a warning at
 * that article, with the frontmatter line that keeps the old one. It decides nothing: what is published
 * is the same either way, and the record is a hint (written after the publication, not synced):
 * lost, it costs a warning, never a feed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Article } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { ITEMS_FILE } from '../publish/files.js';
import { writeAtomically } from '../util/atomic.js';

/** An item as recorded: its source file (relative to the content folder), title and date (ISO 8601). */
export type PublishedItem = [source: string, title: string, date: string];

/** The items a publication's feeds carry, by id, in the order the feeds list them (main first, newest first). */
export interface PublishedItems {
  articles: ReadonlyMap<string, Article>;
}

/** `carried`: every article the feeds carry, once each, in the order the feeds list them (carriedArticles). */
export function publishedItems(carried: readonly Article[]): PublishedItems {
  return { articles: new Map(carried.map((a) => [a.id, a])) };
}

function itemOf(a: Article): PublishedItem {
  // Paths relative to the content folder: the record is the same wherever the build ran.
  return [a.source.relPath, a.title, a.date.toISOString()];
}

function recordText(articles: ReadonlyMap<string, Article>): string {
  return `{${[...articles].map(([id, a]) => `${JSON.stringify(id)}:${JSON.stringify(itemOf(a))}`).join(',\n')}}\n`;
}

/** What an item's record says, as compared build to build (no strings made). */
type Seen = Map<string, { source: string; title: string; date: number }>;

function seenOf(articles: ReadonlyMap<string, Article>): Seen {
  return new Map([...articles].map(([id, a]) => [id, { source: a.source.relPath, title: a.title, date: a.date.getTime() }]));
}

function sameAsSeen(seen: Seen, articles: ReadonlyMap<string, Article>): boolean {
  if (seen.size !== articles.size) return false;
  for (const [id, a] of articles) {
    const s = seen.get(id);
    if (!s || s.source !== a.source.relPath || s.title !== a.title || s.date !== a.date.getTime()) return false;
  }
  return true;
}

/** What this process last read or wrote, by output folder: a publisher whose edit changed a body compares in memory and makes no text. */
const lastRecorded = new Map<string, Seen>();

/**
 * What publishing `items` into `outDir` changes in the record: the id-changed warnings, and
 * `save` (after the publication) where the record is not the last one already.
 */
export async function itemsChange(outDir: string, items: PublishedItems): Promise<{ warnings: Diagnostic[]; save?: () => Promise<void> }> {
  const seen = lastRecorded.get(outDir);
  const file = path.join(outDir, ITEMS_FILE);
  // The same items as last written, and the record still there (a wiped dist/ loses it).
  if (seen && sameAsSeen(seen, items.articles) && existsSync(file)) return { warnings: [] };
  const before = parseRecord(await readFile(file, 'utf8').catch(() => undefined));
  const save = async () => {
    await writeAtomically(file, Buffer.from(recordText(items.articles)), { durable: false });
    lastRecorded.set(outDir, seenOf(items.articles));
  };
  return { warnings: renamedIds(before, items), save };
}

function parseRecord(text: string | undefined): Record<string, PublishedItem> | undefined {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined; // cut short or foreign: no warnings this time
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const out: Record<string, PublishedItem> = {};
  for (const [id, v] of Object.entries(parsed)) {
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) out[id] = v as PublishedItem;
  }
  return out;
}

/** The id-changed warnings of publishing `now` after `previous` (the last record). */
export function renamedIds(previous: Readonly<Record<string, PublishedItem>> | undefined, now: PublishedItems): Diagnostic[] {
  if (!previous) return [];
  const key = (title: string, date: string) => `${title}\0${date}`;
  const gone = new Map<string, [string, PublishedItem][]>();
  for (const [id, item] of Object.entries(previous)) {
    if (now.articles.has(id)) continue;
    const k = key(item[1], item[2]);
    gone.set(k, [...(gone.get(k) ?? []), [id, item]]);
  }
  if (!gone.size) return [];
  const arrived = new Map<string, [string, Article][]>();
  for (const [id, a] of now.articles) {
    if (Object.hasOwn(previous, id)) continue;
    const k = key(a.title, a.date.toISOString());
    if (gone.has(k)) arrived.set(k, [...(arrived.get(k) ?? []), [id, a]]);
  }
  const out: Diagnostic[] = [];
  for (const [k, news] of arrived) {
    const olds = gone.get(k)!;
    if (olds.length !== 1 || news.length !== 1) continue; // several it could be, or several claiming one: no guess
    const [oldId, [oldSource]] = olds[0]!;
    const [id, a] = news[0]!;
    out.push(diagnostic({ code: 'id-changed', file: a.source.displayPath, line: a.source.frontmatterLine, column: 1, field: 'id', message: `this article was published with the id "${oldId}" (from ${oldSource}); its id is now "${id}", so feed readers will show it as new again`, hint: keeping(oldId, id, a) }));
  }
  return out;
}

/**
 * The frontmatter line that keeps the old id: where both ids are the site's prefix and a slug, the
 * old slug (which also keeps the URL's slug, and is always a valid line: an id the site's prefix
 * makes need not be one an author may write); else the old id itself.
 */
function keeping(oldId: string, id: string, a: Article): string {
  const prefix = id.endsWith(a.slug) ? id.slice(0, id.length - a.slug.length) : undefined;
  const oldSlug = prefix && oldId.startsWith(prefix) ? oldId.slice(prefix.length) : undefined;
  if (oldSlug && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(oldSlug)) return `to keep the id readers know, add this line to its frontmatter: slug: ${oldSlug}`;
  return `to keep the id readers know, add this line to its frontmatter: id: ${JSON.stringify(oldId)}`;
}
