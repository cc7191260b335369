import type { Article, Enclosure } from '../content/schema.js';
import type { Frame } from './fragment.js';
import type { FeedModel } from './model.js';
import { categories } from './rss.js';
import type { FeedContent, RenderedMap } from './shared.js';
import { cleanText } from './text.js';
import { modifiedAt, publishedAt, rfc3339Date } from './feed-dates.js';

/**
 * JSON Feed 1.1, written by us: the feed package emits version 1 (singular
 * `author`, no `language`). https://www.jsonfeed.org/version/1.1/
 * One document; the build assembles the same bytes from jsonFrame and jsonItem
 * (test/publish/fragment.test.ts holds the two to byte identity).
 */
export function renderJson(model: FeedModel, rendered: RenderedMap): string {
  return stringify(feedObject(model, model.items.map((a) => itemObject(a, rendered.get(a.id)!)))) + '\n';
}

/** A string that cleanText keeps and no feed-level field ends the document with: the place of the items. */
const MARKER = '\uE000items\uE001';

/** The document around the items: the feed object up to `"items": [` and from the closing `]`. */
export function jsonFrame(model: FeedModel): Frame {
  if (!model.items.length) return { head: renderJson(model, new Map()), tail: '', separator: '' };
  const text = stringify(feedObject(model, [MARKER]));
  // items is the last member, so the marker is the last string of the document.
  const at = text.lastIndexOf(`    "${MARKER}"`);
  if (at < 0) throw new Error('JSON Feed items marker not found');
  return { head: text.slice(0, at), tail: text.slice(at + MARKER.length + 6) + '\n', separator: ',\n' };
}

/**
 * One item's JSON text as it appears in the items array: indented by two
 * levels, without the comma. JSON.stringify indents by depth and escapes
 * every newline inside a string, so re-indenting each line of the item's own
 * text gives the bytes the whole document has.
 */
export function jsonItem(a: Article, content: FeedContent): string {
  return '    ' + stringify(itemObject(a, content)).replace(/\n/g, '\n    ');
}

function feedObject(model: FeedModel, items: unknown[]) {
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: model.title,
    home_page_url: model.homeUrl,
    // An archive page is a document of the same feed: its feed_url, the feed's identity, is the subscription document's.
    feed_url: model.history?.archive ? model.history.current.json : model.links.json,
    // RFC 5005 in JSON Feed's terms: next_url is the next older document, the newest archive page from the subscription one.
    ...(model.history?.prev ? { next_url: model.history.prev.json } : {}),
    ...(model.description ? { description: model.description } : {}),
    ...(model.logo ? { icon: model.logo } : {}),
    ...(model.icon ? { favicon: model.icon } : {}),
    ...(model.author ? { authors: [author(model.author)] } : {}),
    language: model.language,
    ...(model.hubs.length ? { hubs: model.hubs.map((url) => ({ type: 'WebSub', url })) } : {}),
    items,
  };
}

function itemObject(a: Article, r: FeedContent) {
  const tags = categories(a);
  const modified = modifiedAt(a);
  return {
    id: a.id,
    url: a.url,
    title: a.title,
    content_html: r.html,
    summary: r.summary,
    ...(r.image ? { image: r.image } : {}),
    date_published: rfc3339Date(publishedAt(a)),
    ...(modified ? { date_modified: rfc3339Date(modified) } : {}),
    ...(a.authors.length ? { authors: a.authors.map(author) } : {}),
    ...(tags.length ? { tags } : {}),
    ...(a.lang ? { language: a.lang } : {}),
    ...(a.enclosures?.length ? { attachments: a.enclosures.map(attachment) } : {}),
  };
}

function attachment(e: Enclosure) {
  return { url: e.url, mime_type: e.type, size_in_bytes: e.length, ...(e.duration !== undefined ? { duration_in_seconds: e.duration } : {}) };
}

// Same character policy as the XML formats, so all three say the same thing.
function stringify(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' ? cleanText(v) : v), 2);
}

function author(p: { name: string; url?: string }) {
  return { name: p.name, ...(p.url ? { url: p.url } : {}) };
}
