/**
 * dist/index.html (renderIndexPage), from feed models made in memory, read
 * back with a strict XML parser (the page is polyglot HTML) as a reader or
 * browser would see its elements, attributes and text.
 */
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import type { Article } from '../../src/content/schema.js';
import { buildFeedModels } from '../../src/publish/model.js';
import { INDEX_ITEMS, indexItems, renderIndexPage } from '../../src/publish/page.js';
import { makeArticle, makeConfig, renderedFor } from '../helpers/articles.js';

interface Element {
  name: string;
  attributes: Record<string, string>;
  /** All text inside, as parsed (references resolved). */
  text: string;
}

/** Every element of the page in document order; throws where the page is not well-formed. */
function elements(page: string): Element[] {
  const parser = new SaxesParser();
  const all: Element[] = [];
  const open: Element[] = [];
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const element = { name: tag.name, attributes: tag.attributes as Record<string, string>, text: '' };
    all.push(element);
    if (!tag.isSelfClosing) open.push(element);
  });
  parser.on('text', (text) => open.forEach((e) => (e.text += text)));
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) open.pop();
  });
  parser.write(page).close();
  return all;
}

function page(articles: Article[], input: ConfigInput) {
  const config = makeConfig(input);
  const models = buildFeedModels(articles, config);
  return { models, html: renderIndexPage(models, config, renderedFor(articles)) };
}

const SITE: ConfigInput = { site: { title: 'Times', url: 'https://news.example.com/' } };
const dated = (n: number) => makeArticle({ title: `Article ${n}`, date: new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString(), tags: n % 2 ? ['Odd'] : [] });
/** `count` articles, newest first, as select returns them. */
const newestFirst = (count: number) => Array.from({ length: count }, (_, i) => dated(count - i));

describe('renderIndexPage', () => {
  it('lists every feed in every format with an autodiscovery link, the main feed first', () => {
    const articles = [makeArticle({ title: 'A', date: '2026-02-01T00:00:00Z', section: 'World', tags: ['Trade'] })];
    const { models, html } = page(articles, SITE);
    const alternates = elements(html).filter((e) => e.name === 'link' && e.attributes.rel === 'alternate');
    expect(alternates.map((e) => [e.attributes.type, e.attributes.href, e.attributes.title])).toEqual([
      ['application/rss+xml', 'feed.xml', 'Times (RSS)'],
      ['application/atom+xml', 'atom.xml', 'Times (Atom)'],
      ['application/feed+json', 'feed.json', 'Times (JSON Feed)'],
      ['application/rss+xml', 'sections/world/feed.xml', 'Times: World (RSS)'],
      ['application/atom+xml', 'sections/world/atom.xml', 'Times: World (Atom)'],
      ['application/feed+json', 'sections/world/feed.json', 'Times: World (JSON Feed)'],
      ['application/rss+xml', 'tags/trade/feed.xml', 'Times: Trade (RSS)'],
      ['application/atom+xml', 'tags/trade/atom.xml', 'Times: Trade (Atom)'],
      ['application/feed+json', 'tags/trade/feed.json', 'Times: Trade (JSON Feed)'],
    ]);
    expect(models).toHaveLength(3);
    // The visible list names each feed and shows its absolute address for copying.
    const rows = elements(html).filter((e) => e.name === 'li' && e.text.includes('RSS'));
    expect(rows.map((r) => r.text)).toEqual([
      'All articles RSS · Atom · JSON Feed https://news.example.com/feed.xml',
      'World RSS · Atom · JSON Feed https://news.example.com/sections/world/feed.xml',
      'Trade RSS · Atom · JSON Feed https://news.example.com/tags/trade/feed.xml',
    ]);
  });

  it('escapes every string: markup in titles, summaries, names and addresses is shown as text, never run', () => {
    const hostile = '<script>alert("x")</script> & "Co"';
    const url = 'https://news.example.com/a/?q=1&r="2"<x>';
    const a = makeArticle({ title: `Title ${hostile}`, date: '2026-02-01T00:00:00Z', summary: `Summary ${hostile}`, tags: [`Tag ${hostile}`], url });
    const { html } = page([a], { site: { title: `Site ${hostile}`, url: 'https://news.example.com/R&D/', description: `About ${hostile}`, language: 'en-GB' } });
    const all = elements(html); // throws if any escape is missing
    expect(new Set(all.map((e) => e.name))).toEqual(new Set(['html', 'head', 'meta', 'title', 'link', 'style', 'body', 'header', 'h1', 'p', 'a', 'section', 'h2', 'strong', 'ul', 'li', 'code', 'h3', 'ol', 'time']));
    const text = (name: string) => all.filter((e) => e.name === name).map((e) => e.text);
    expect(text('title')).toEqual([`Site ${hostile}: feeds`]);
    expect(text('h1')).toEqual([`Site ${hostile}`]);
    expect(text('p')[0]).toBe(`About ${hostile}`);
    expect(text('h2')[0]).toBe(`Follow Site ${hostile} in your feed reader`);
    expect(all.filter((e) => e.name === 'link').map((e) => e.attributes.title)).toContain(`Site ${hostile}: Tag ${hostile} (Atom)`);
    const item = all.find((e) => e.name === 'a' && e.attributes.href === url);
    expect(item?.text).toBe(`Title ${hostile}`);
    expect(text('p')).toContain(`Summary ${hostile}`);
    expect(text('strong')).toContain(`Tag ${hostile}`);
    expect(text('code')[0]).toBe('https://news.example.com/R&D/feed.xml');
    expect(all.find((e) => e.name === 'a' && e.text === 'Visit the website')?.attributes.href).toBe('https://news.example.com/R&D/');
  });

  it(`lists the main feed's newest ${INDEX_ITEMS} items, newest first`, () => {
    const articles = newestFirst(INDEX_ITEMS + 5);
    const { models, html } = page(articles, SITE);
    const times = elements(html).filter((e) => e.name === 'time');
    expect(times.map((t) => t.attributes.datetime)).toEqual(articles.slice(0, INDEX_ITEMS).map((a) => a.date.toISOString()));
    const titles = elements(html).filter((e) => e.name === 'a' && e.attributes.href?.startsWith('https://news.example.com/article-')).map((e) => e.text);
    expect(titles).toEqual(articles.slice(0, INDEX_ITEMS).map((a) => a.title));
    // The build renders exactly these for the page.
    expect(indexItems(models[0]!)).toEqual(articles.slice(0, INDEX_ITEMS));
  });

  it("dates an item by the site's timezone", () => {
    const late = makeArticle({ title: 'Late', date: '2026-03-01T23:30:00Z' });
    const time = elements(page([late], { site: { ...SITE.site, timezone: 'Asia/Tokyo' } }).html).find((e) => e.name === 'time');
    expect(time).toEqual({ name: 'time', attributes: { datetime: '2026-03-01T23:30:00.000Z' }, text: '2026-03-02' });
  });

  it('lists no more than the main feed carries, and says so when nothing is published', () => {
    const { html } = page(newestFirst(8), { ...SITE, feeds: { limit: 3 } });
    expect(elements(html).filter((e) => e.name === 'time').map((e) => e.text)).toEqual(['2026-01-09', '2026-01-08', '2026-01-07']);
    const empty = page([], SITE).html;
    expect(elements(empty).some((e) => e.name === 'ol')).toBe(false);
    expect(elements(empty).filter((e) => e.name === 'p').map((e) => e.text)).toContain('Nothing has been published yet.');
  });
});
