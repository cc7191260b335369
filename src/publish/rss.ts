import type { Article } from '../content/schema.js';
import { xmlFormat, type XmlLayout } from './fragment.js';
import type { FeedModel } from './model.js';
import { GENERATOR, insertSelfLinks, stylesheetOnOwnLine, type FeedContent } from './shared.js';
import { XmlStrings } from './text.js';
import { escapeXml } from '../util/escape.js';
import { publishedAt, rssDate } from './feed-dates.js';

const MEDIA_NS = 'http://search.yahoo.com/mrss/';
/** Plain-text fields: see XmlStrings.put. */
const HEX = { hex: true };

const RSS_LAYOUT: XmlLayout = { element: 'item', indent: 8, closing: '\n    </channel>\n</rss>', serialise: (feed) => feed.rss2() };

/**
 * RSS 2.0 (RSS Advisory Board), with content:encoded, dc:creator and atom:link rel=self.
 * The feed package declares the dc and content namespaces only when an item has content
 * (all of ours do), so the frame of a non-empty feed is cut from a document with one marker item.
 */
export const { render: renderRss, frame: rssFrame, item: rssItem } = xmlFormat(RSS_LAYOUT, channel, item, finishHead);

function channel(x: XmlStrings, model: FeedModel) {
  return {
    id: model.homeUrl,
    link: model.homeUrl,
    title: rssTitle(x, model.title),
    description: x.put(model.description || model.title, HEX),
    language: model.language,
    // <lastBuildDate> (feed-dates.ts); feed would write the build time were it missing.
    updated: x.date(model.updated, rssDate(model.updated)),
    generator: GENERATOR,
    docs: 'https://www.rssboard.org/rss-specification',
    feedLinks: { rss: model.links.rss },
    stylesheet: x.put(model.stylesheet),
    ...(model.logo ? { image: model.logo } : {}),
    ...(model.copyright ? { copyright: x.put(model.copyright, HEX) } : {}),
  };
}

function item(x: XmlStrings, a: Article, r: FeedContent) {
  const extensions: { name: string; objects: Record<string, unknown> }[] = [];
  // RSS <author> must be an e-mail address; names go in dc:creator.
  if (a.authors.length) extensions.push({ name: 'dc:creator', objects: a.authors.map((p) => ({ _text: x.put(p.name, HEX) })) as unknown as Record<string, unknown> });
  // An article's own language (RSS has <language> for the channel only): Dublin Core, as JSON Feed's item `language`.
  if (a.lang) extensions.push({ name: 'dc:language', objects: { _text: x.put(a.lang) } });
  // RSS allows one enclosure: the first (audio before video). feed's own enclosure option guesses the type from the extension.
  const media = a.enclosures?.[0];
  if (media) extensions.push({ name: 'enclosure', objects: { _attributes: { url: x.put(media.url), length: String(media.length), type: x.put(media.type) } } });
  if (r.image) extensions.push({ name: 'media:content', objects: { _attributes: { 'xmlns:media': MEDIA_NS, url: x.put(r.image), medium: 'image' } } });
  return {
    title: rssTitle(x, a.title),
    link: a.url,
    // <guid isPermaLink="false">, the id as written (xml-js would un-escape a literal "&amp;" in it).
    id: x.put(a.id),
    // <pubDate> is the publication (feed-dates.ts), never the update: feed writes `published` over `date`, so only `date` is given.
    date: x.date(publishedAt(a), rssDate(publishedAt(a))),
    // description is HTML by convention: the plain summary is escaped as HTML.
    description: x.put(escapeXml(r.summary)),
    content: x.put(r.html),
    category: categories(a).map((name) => ({ name: x.put(name, HEX) })),
    extensions,
  };
}

/** What we change in the document's head: the stylesheet line, the hub links and the archive links (all before the first item). */
function finishHead(xml: string, model: FeedModel): string {
  return insertSelfLinks(stylesheetOnOwnLine(xml), model, 'atom:link', 'rss');
}

/**
 * RSS does not say whether a title is text or HTML. The RSS Advisory Board's
 * best-practices profile says plain text, with "&", "<" and ">" as hexadecimal
 * character references (&#x26; &#x3C; &#x3E;): escaped once, as text. Tried
 * (test/e2e/readers.test.ts): newsboat, rss-parser, feedsmith and
 * @rowanmanning/feed-parser then show every title exactly as written; the
 * Universal Feed Parser (Python feedparser) does too, except where the text
 * itself looks like HTML to it (a tag such as <b>…</b>, or entity-like text
 * such as "&amp;"), which it reads as HTML. Escaping those twice, as feedpipe
 * did before, suited that one parser and showed "&amp;" and "&lt;" in all the
 * others.
 */
export function rssTitle(x: XmlStrings, title: string): string {
  return x.put(title, HEX);
}

export function categories(a: { section?: string; tags: string[] }): string[] {
  return [...new Set([...(a.section ? [a.section] : []), ...a.tags])];
}
