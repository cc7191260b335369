import { cleanText } from './text.js';
import type { RenderedArticle } from '../content/render.js';
import { escapeXmlAttribute } from '../util/escape.js';

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
  if (!hubs.length) return xml;
  const self = /^([ \t]*)<(?:atom:)?link\b[^>]*\brel="self"[^>]*\/>\n/m.exec(xml);
  if (!self) throw new Error('feed has no rel="self" link to put the hub links after');
  const links = hubs.map((hub) => `${self[1]}<${element} href="${escapeXmlAttribute(cleanText(hub))}" rel="hub"/>\n`).join('');
  const at = self.index + self[0].length;
  return xml.slice(0, at) + links + xml.slice(at);
}

/** feed puts the xml-stylesheet instruction on the declaration's line; give it its own. */
export function stylesheetOnOwnLine(xml: string): string {
  return xml.replace(/^(<\?xml [^>]*\?>)(<\?xml-stylesheet )/, '$1\n$2');
}
