/**
 * Which date each format states (src/publish/feed-dates.ts), read from what
 * the serialisers write for articles made in memory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atomEntry, renderAtom } from '../../src/publish/atom.js';
import { feedUpdatedAt } from '../../src/publish/feed-dates.js';
import { jsonItem } from '../../src/publish/json.js';
import { buildFeedModels } from '../../src/publish/model.js';
import { renderRss, rssItem } from '../../src/publish/rss.js';
import { makeArticle, makeConfig, renderedFor } from '../helpers/articles.js';

const edited = makeArticle({ title: 'Edited', date: '2026-03-01T09:30:00+09:00', updated: '2026-04-02T08:00:00Z' });
const plain = makeArticle({ title: 'Plain', date: '2026-02-01T10:00:00Z' });
const content = { html: '<p>x</p>', summary: 'x' };
const between = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);

afterEach(() => vi.useRealTimers());

describe('an item states when it was published, and when it was changed where the format has a place for it', () => {
  it('RSS: <pubDate> is the publication, in RFC 822, even when the article was updated later', () => {
    expect(between(rssItem(edited, content), 'pubDate')).toEqual(['Sun, 01 Mar 2026 00:30:00 GMT']);
    expect(between(rssItem(plain, content), 'pubDate')).toEqual(['Sun, 01 Feb 2026 10:00:00 GMT']);
  });

  it('Atom: <published> is the publication and <updated> the update, in RFC 3339 with T and Z', () => {
    expect(between(atomEntry(edited, content), 'published')).toEqual(['2026-03-01T00:30:00.000Z']);
    expect(between(atomEntry(edited, content), 'updated')).toEqual(['2026-04-02T08:00:00.000Z']);
  });

  it('Atom: an entry never updated gives its publication as <updated>, which RFC 4287 requires', () => {
    expect(between(atomEntry(plain, content), 'updated')).toEqual(['2026-02-01T10:00:00.000Z']);
    expect(between(atomEntry(plain, content), 'published')).toEqual(['2026-02-01T10:00:00.000Z']);
  });

  it('JSON Feed: date_published always, date_modified only when the author gave an update', () => {
    const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;
    expect(parse(jsonItem(edited, content))).toMatchObject({ date_published: '2026-03-01T00:30:00.000Z', date_modified: '2026-04-02T08:00:00.000Z' });
    const item = parse(jsonItem(plain, content));
    expect(item.date_published).toBe('2026-02-01T10:00:00.000Z');
    expect(item).not.toHaveProperty('date_modified');
  });
});

describe('a feed states when its content last changed, never when it was built', () => {
  it('is the newest update or publication among its items', () => {
    expect(feedUpdatedAt([plain, edited]).toISOString()).toBe('2026-04-02T08:00:00.000Z');
    expect(feedUpdatedAt([plain]).toISOString()).toBe('2026-02-01T10:00:00.000Z');
  });

  it('RSS <lastBuildDate> and Atom <updated> carry it; an empty feed says the epoch, not the clock', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z'), toFake: ['Date'] });
    const config = makeConfig({ site: { title: 'T', url: 'https://news.example.com/' }, feeds: { sections: false, tags: false } });
    const [full] = buildFeedModels([edited, plain], config);
    const [empty] = buildFeedModels([], config);
    const rendered = renderedFor([edited, plain]);
    expect(between(renderRss(full!, rendered), 'lastBuildDate')).toEqual(['Thu, 02 Apr 2026 08:00:00 GMT']);
    expect(between(renderAtom(full!, rendered), 'updated')[0]).toBe('2026-04-02T08:00:00.000Z');
    expect(between(renderRss(empty!, rendered), 'lastBuildDate')).toEqual(['Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(between(renderAtom(empty!, rendered), 'updated')).toEqual(['1970-01-01T00:00:00.000Z']);
  });
});
