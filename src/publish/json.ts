import type { FeedModel } from './model.js';
import { categories } from './rss.js';
import type { RenderedMap } from './shared.js';
import { cleanText } from './text.js';

/**
 * JSON Feed 1.1, written by us: the feed package emits version 1 (singular
 * `author`, no `language`). https://www.jsonfeed.org/version/1.1/
 */
export function renderJson(model: FeedModel, rendered: RenderedMap): string {
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: model.title,
    home_page_url: model.homeUrl,
    feed_url: model.links.json,
    ...(model.description ? { description: model.description } : {}),
    ...(model.logo ? { icon: model.logo } : {}),
    ...(model.icon ? { favicon: model.icon } : {}),
    ...(model.author ? { authors: [author(model.author)] } : {}),
    language: model.language,
    ...(model.hubs.length ? { hubs: model.hubs.map((url) => ({ type: 'WebSub', url })) } : {}),
    items: model.items.map((a) => {
      const r = rendered.get(a.id)!;
      const tags = categories(a);
      return {
        id: a.id,
        url: a.url,
        title: a.title,
        content_html: r.html,
        summary: r.summary,
        ...(r.image ? { image: r.image } : {}),
        date_published: a.date.toISOString(),
        ...(a.updated ? { date_modified: a.updated.toISOString() } : {}),
        ...(a.authors.length ? { authors: a.authors.map(author) } : {}),
        ...(tags.length ? { tags } : {}),
        ...(a.lang ? { language: a.lang } : {}),
      };
    }),
  };
  // Same character policy as the XML formats, so all three say the same thing.
  return JSON.stringify(feed, (_, v: unknown) => (typeof v === 'string' ? cleanText(v) : v), 2) + '\n';
}

function author(p: { name: string; url?: string }) {
  return { name: p.name, ...(p.url ? { url: p.url } : {}) };
}
