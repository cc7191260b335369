import { Feed } from 'feed';
import { escapeHtml } from '../content/render.js';
import type { FeedModel } from './model.js';
import { GENERATOR, insertHubLinks, stylesheetOnOwnLine, type RenderedMap } from './shared.js';
import { XmlStrings } from './text.js';

const MEDIA_NS = 'http://search.yahoo.com/mrss/';

/** RSS 2.0 (RSS Advisory Board), with content:encoded, dc:creator and atom:link rel=self. */
export function renderRss(model: FeedModel, rendered: RenderedMap): string {
  const x = new XmlStrings();
  const feed = new Feed({
    id: model.homeUrl,
    link: model.homeUrl,
    // Readers (feedparser, @rowanmanning/feed-parser, NetNewsWire, Feedly) read RSS titles as
    // HTML; plain text is escaped as HTML so a literal "<b>" or "&amp;" in a title survives.
    title: x.put(escapeHtml(model.title)),
    description: x.put(model.description || model.title),
    language: model.language,
    updated: model.updated,
    generator: GENERATOR,
    docs: 'https://www.rssboard.org/rss-specification',
    feedLinks: { rss: model.links.rss },
    stylesheet: x.put(model.stylesheet),
    ...(model.logo ? { image: model.logo } : {}),
    ...(model.copyright ? { copyright: x.put(model.copyright) } : {}),
  });
  for (const a of model.items) {
    const r = rendered.get(a.id)!;
    const extensions: { name: string; objects: Record<string, unknown> }[] = [];
    // RSS <author> must be an e-mail address; names go in dc:creator.
    if (a.authors.length) extensions.push({ name: 'dc:creator', objects: a.authors.map((p) => ({ _text: x.put(p.name) })) as unknown as Record<string, unknown> });
    if (r.image) extensions.push({ name: 'media:content', objects: { _attributes: { 'xmlns:media': MEDIA_NS, url: x.put(r.image), medium: 'image' } } });
    feed.addItem({
      title: x.put(escapeHtml(a.title)),
      link: a.url,
      id: a.id,
      date: a.updated ?? a.date,
      published: a.date,
      // description is HTML by convention: the plain summary is escaped as HTML.
      description: x.put(escapeHtml(r.summary)),
      content: x.put(r.html),
      category: categories(a).map((name) => ({ name: x.put(name) })),
      extensions,
    });
  }
  return insertHubLinks(stylesheetOnOwnLine(x.restore(feed.rss2())), model.hubs, 'atom:link') + '\n';
}

export function categories(a: { section?: string; tags: string[] }): string[] {
  return [...new Set([...(a.section ? [a.section] : []), ...a.tags])];
}
