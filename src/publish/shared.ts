import { cleanText } from './text.js';
import type { RenderedArticle } from '../content/render.js';
import { escapeXmlAttribute } from '../util/escape.js';
import { MIME } from './files.js';
import type { FeedLinks, FeedModel } from './model.js';

export const GENERATOR = 'feedpipe';

/** What a feed carries of one article: the rendered body, its summary and absolute lead image URL. */
export interface FeedContent extends Omit<RenderedArticle, 'diagnostics'> {
  image?: string;
}

/** Rendered articles by id: only those some feed carries are rendered. */
export type RenderedMap = Map<string, FeedContent>;

/**
 * WebSub discovery (https://www.w3.org/TR/websub/#discovery): one `rel="hub"`
 * link per hub, right after the feed's `rel="self"` link, which is the topic
 * URL the hubs are pinged with. The feed package takes a single `hub`, and
 * "publishers MAY advertise multiple hubs", so we insert them ourselves.
 */
export function insertHubLinks(xml: string, hubs: readonly string[], element: 'link' | 'atom:link'): string {
  return insertAfterSelf(xml, hubLinks(hubs, element));
}

/** A feed's links after its `rel="self"` link: its hubs (insertHubLinks), then its RFC 5005 archive links (historyLines). */
export function insertSelfLinks(xml: string, model: FeedModel, element: 'link' | 'atom:link', format: 'rss' | 'atom'): string {
  return insertAfterSelf(xml, [...hubLinks(model.hubs, element), ...historyLines(model, element, format)]);
}

function hubLinks(hubs: readonly string[], element: 'link' | 'atom:link'): string[] {
  return hubs.map((hub) => `<${element} href="${escapeXmlAttribute(cleanText(hub))}" rel="hub"/>`);
}

/** The RFC 5005 namespace of `<fh:archive/>`. */
const FH_NS = 'http://purl.org/syndication/history/1.0';

/**
 * RFC 5005 (section 4; appendix B for RSS, with Atom's link element): an archive page's
 * `<fh:archive/>` and its `current`, `prev-archive` and `next-archive` links, or the subscription
 * document's `prev-archive` link to its newest page. `<fh:archive/>` declares its own namespace:
 * the root, and so the items' verification, is as before.
 */
function historyLines(model: FeedModel, element: 'link' | 'atom:link', format: 'rss' | 'atom'): string[] {
  const h = model.history;
  if (!h) return [];
  const link = (rel: string, links: FeedLinks) => `<${element} href="${escapeXmlAttribute(cleanText(links[format]))}" rel="${rel}" type="${MIME[format]}"/>`;
  const lines = h.archive ? [`<fh:archive xmlns:fh="${FH_NS}"/>`, link('current', h.current)] : [];
  if (h.prev) lines.push(link('prev-archive', h.prev));
  if (h.archive && h.next) lines.push(link('next-archive', h.next));
  return lines;
}

/** `lines`, each on its own line at the `rel="self"` link's indentation, right after that link. */
function insertAfterSelf(xml: string, lines: readonly string[]): string {
  if (!lines.length) return xml;
  const self = /^([ \t]*)<(?:atom:)?link\b[^>]*\brel="self"[^>]*\/>\n/m.exec(xml);
  if (!self) throw new Error('feed has no rel="self" link to put links after');
  const at = self.index + self[0].length;
  return xml.slice(0, at) + lines.map((l) => `${self[1]}${l}\n`).join('') + xml.slice(at);
}

/** feed puts the xml-stylesheet instruction on the declaration's line; give it its own. */
export function stylesheetOnOwnLine(xml: string): string {
  return xml.replace(/^(<\?xml [^>]*\?>)(<\?xml-stylesheet )/, '$1\n$2');
}
