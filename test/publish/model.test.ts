/**
 * buildFeedModels: which feeds a site has, what each carries and says about
 * itself, from articles made in memory (newest first, as select returns them).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { buildFeedModels, taxonomySlug } from '../../src/publish/model.js';
import { makeArticle, makeConfig } from '../helpers/articles.js';

const SITE: ConfigInput = { site: { title: 'Times', url: 'https://news.example.com/', description: 'All the news' } };
const withFeeds = (feeds: ConfigInput['feeds']) => makeConfig({ ...SITE, feeds });

const march = makeArticle({ title: 'March', date: '2026-03-01T00:00:00Z', section: 'World', tags: ['asia', 'Trade'] });
const feb = makeArticle({ title: 'February', date: '2026-02-01T00:00:00Z', section: 'World', tags: ['Asia'] });
const jan = makeArticle({ title: 'January', date: '2026-01-01T00:00:00Z', section: 'Sport', tags: ['Trade'] });
const dec = makeArticle({ title: 'December', date: '2025-12-01T00:00:00Z', tags: ['Asia'] });
const SITE_ARTICLES = [march, feb, jan, dec];

afterEach(() => vi.useRealTimers());

describe('buildFeedModels', () => {
  it('makes the main feed first, then one per section and one per tag, each in its own folder', () => {
    const models = buildFeedModels(SITE_ARTICLES, makeConfig(SITE));
    expect(models.map((m) => [m.key, m.kind, m.dir, m.title])).toEqual([
      ['main', 'main', '', 'Times'],
      ['section/sport', 'section', 'sections/sport/', 'Times: Sport'],
      ['section/world', 'section', 'sections/world/', 'Times: World'],
      ['tag/asia', 'tag', 'tags/asia/', 'Times: Asia'],
      ['tag/trade', 'tag', 'tags/trade/', 'Times: Trade'],
    ]);
    const byKey = new Map(models.map((m) => [m.key, m.items.map((a) => a.title)]));
    expect(byKey.get('main')).toEqual(['March', 'February', 'January', 'December']);
    expect(byKey.get('section/world')).toEqual(['March', 'February']);
    // "Asia" and "asia" are one tag, named by the name that sorts first.
    expect(byKey.get('tag/asia')).toEqual(['March', 'February', 'December']);
    expect(byKey.get('tag/trade')).toEqual(['March', 'January']);
  });

  it('gives each feed absolute links in every format and a stylesheet path relative to its folder', () => {
    const [main, sport] = buildFeedModels(SITE_ARTICLES, makeConfig(SITE));
    expect(main!.links).toEqual({ rss: 'https://news.example.com/feed.xml', atom: 'https://news.example.com/atom.xml', json: 'https://news.example.com/feed.json' });
    expect(sport!.links.atom).toBe('https://news.example.com/sections/sport/atom.xml');
    expect([main!.stylesheet, sport!.stylesheet]).toEqual(['feed.xsl', '../../feed.xsl']);
    expect([main!.description, sport!.description]).toEqual(['All the news', 'Sport from Times']);
  });

  it('applies the limit to each feed on its own: a tag feed holds its own newest, not the main feed\'s', () => {
    const models = buildFeedModels(SITE_ARTICLES, withFeeds({ limit: 2 }));
    const byKey = new Map(models.map((m) => [m.key, m.items.map((a) => a.title)]));
    expect(byKey.get('main')).toEqual(['March', 'February']);
    expect(byKey.get('tag/asia')).toEqual(['March', 'February']);
    expect(byKey.get('tag/trade')).toEqual(['March', 'January']); // January is past the main feed's limit
    expect(byKey.get('section/sport')).toEqual(['January']);
  });

  it('dates each feed by the newest item it carries, its update included, never by the clock', () => {
    vi.useFakeTimers({ now: new Date('2030-06-01T00:00:00Z'), toFake: ['Date'] });
    const edited = makeArticle({ title: 'Edited', date: '2025-11-01T00:00:00Z', updated: '2026-05-01T12:00:00Z', tags: ['Trade'] });
    const models = buildFeedModels([march, jan, edited], withFeeds({ limit: 2 }));
    const updated = new Map(models.map((m) => [m.key, m.updated.toISOString()]));
    // The main feed carries March and January only: the edit beyond its limit does not date it.
    expect(updated.get('main')).toBe('2026-03-01T00:00:00.000Z');
    expect(updated.get('tag/trade')).toBe('2026-03-01T00:00:00.000Z');
    expect(buildFeedModels([edited], withFeeds({})).map((m) => m.updated.toISOString())).toEqual(['2026-05-01T12:00:00.000Z', '2026-05-01T12:00:00.000Z']);
  });

  it('gives a name a slug cannot carry faithfully a hash suffix, so no two names share a feed', () => {
    const names = ['C++', 'C', 'R&D', 'R D', '日本', 'Ünïcode'];
    const a = makeArticle({ title: 'A', date: '2026-01-01T00:00:00Z', tags: names });
    const dirs = buildFeedModels([a], makeConfig(SITE)).filter((m) => m.kind === 'tag').map((m) => [m.title.slice('Times: '.length), m.dir]);
    // Published folders must never change: these are the exact names feeds already live at (in slug order).
    expect(dirs).toEqual([
      ['C', 'tags/c/'],
      ['C++', 'tags/c-cedb1bac/'],
      ['日本', 'tags/cf2abf0c/'],
      ['R D', 'tags/r-d/'],
      ['R&D', 'tags/r-d-dacc7c16/'],
      ['Ünïcode', 'tags/unicode-b8be8967/'],
    ]);
    expect(taxonomySlug('R&D')).toBe(taxonomySlug('r&d'));
  });

  it('makes one feed per author after the tags: by name, case-insensitively, each article in every one of its authors’ feeds, newest first', () => {
    const ann = { name: 'Ann Lee', email: 'ann@example.com' };
    const a1 = makeArticle({ title: 'Two by two', date: '2026-03-01T00:00:00Z', authors: [ann, { name: 'Bob & Co' }] });
    const a2 = makeArticle({ title: 'Ann again', date: '2026-02-01T00:00:00Z', authors: [{ name: 'ann lee', url: 'https://ann.example.com/' }] });
    const a3 = makeArticle({ title: 'Nobody', date: '2026-01-01T00:00:00Z', tags: ['T'] });
    const models = buildFeedModels([a1, a2, a3], makeConfig(SITE));
    const authors = models.filter((m) => m.kind === 'author');
    expect(models.map((m) => m.kind)).toEqual(['main', 'tag', 'author', 'author']);
    expect(authors.map((m) => [m.key, m.dir, m.title, m.description, m.items.map((a) => a.title)])).toEqual([
      // The spelling that sorts first names the feed; a name a slug cannot carry faithfully gets a hash.
      ['author/ann-lee', 'authors/ann-lee/', 'Times: Ann Lee', 'Articles by Ann Lee from Times', ['Two by two', 'Ann again']],
      ['author/bob-co-' + taxonomySlug('Bob & Co').slice(-8), `authors/${taxonomySlug('Bob & Co')}/`, 'Times: Bob & Co', 'Articles by Bob & Co from Times', ['Two by two']],
    ]);
    expect(authors[0]!.links.atom).toBe('https://news.example.com/authors/ann-lee/atom.xml');
    expect(buildFeedModels([a1, a2, a3], withFeeds({ authors: false })).map((m) => m.kind)).toEqual(['main', 'tag']);
    expect(buildFeedModels([a1, a2], withFeeds({ limit: 1 })).find((m) => m.key === 'author/ann-lee')!.items.map((a) => a.title)).toEqual(['Two by two']);
  });

  it('makes only the main feed when sections and tags are off', () => {
    expect(buildFeedModels(SITE_ARTICLES, withFeeds({ sections: false, tags: false })).map((m) => m.key)).toEqual(['main']);
    expect(buildFeedModels(SITE_ARTICLES, withFeeds({ sections: false })).map((m) => m.kind)).toEqual(['main', 'tag', 'tag']);
    expect(buildFeedModels(SITE_ARTICLES, withFeeds({ tags: false })).map((m) => m.kind)).toEqual(['main', 'section', 'section']);
  });

  it('gives an empty site one empty main feed dated the epoch', () => {
    vi.useFakeTimers({ now: new Date('2030-06-01T00:00:00Z'), toFake: ['Date'] });
    const models = buildFeedModels([], makeConfig(SITE));
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ key: 'main', items: [], updated: new Date(0) });
  });

  it('carries the site\'s author, rights, icons and hubs into every feed', () => {
    const config = makeConfig({ site: { ...SITE.site, author: { name: 'Desk' }, copyright: '© Times', icon: 'https://news.example.com/i.png', logo: 'https://news.example.com/l.png' }, websub: { hubs: ['https://hub.example.com/'] } });
    for (const m of buildFeedModels(SITE_ARTICLES, config)) {
      expect(m).toMatchObject({ author: { name: 'Desk' }, copyright: '© Times', icon: 'https://news.example.com/i.png', logo: 'https://news.example.com/l.png', hubs: ['https://hub.example.com/'], language: 'en' });
    }
    const [bare] = buildFeedModels(SITE_ARTICLES, makeConfig(SITE));
    expect(bare).not.toHaveProperty('author');
    expect(bare).not.toHaveProperty('copyright');
    expect(bare!.hubs).toEqual([]);
  });
});
