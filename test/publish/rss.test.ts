import { describe, expect, it } from 'vitest';
import { categories, rssItem } from '../../src/publish/rss.js';
import { makeArticle } from '../helpers/articles.js';

const content = { html: '<p>Body &amp; more</p>', summary: 'A <b> summary' };
const titleOf = (title: string) => /<title>(.*)<\/title>/.exec(rssItem(makeArticle({ title, date: '2026-01-01T00:00:00Z' }), content))![1];

describe('RSS item', () => {
  it('escapes a title that reads the same as text or HTML once, with hex references (the mark of plain text)', () => {
    expect(titleOf('AT&T and R&D')).toBe('AT&#x26;T and R&#x26;D');
    expect(titleOf('Plain "quoted"')).toBe('Plain &#x22;quoted&#x22;');
  });

  it('escapes every title once, as plain text, markup-like or not (the RSS best-practices profile; what readers show: test/e2e/readers.test.ts)', () => {
    expect(titleOf('Why <b> is bold')).toBe('Why &#x3C;b&#x3E; is bold');
    expect(titleOf('Use &amp; for &')).toBe('Use &#x26;amp; for &#x26;');
  });

  it('carries the summary escaped as HTML in <description> and the body in content:encoded', () => {
    const item = rssItem(makeArticle({ title: 'T', date: '2026-01-01T00:00:00Z' }), content);
    expect(item).toContain('<description>A &amp;lt;b&amp;gt; summary</description>');
    expect(item).toContain('<content:encoded>&lt;p&gt;Body &amp;amp; more&lt;/p&gt;</content:encoded>');
  });

  it('names authors in dc:creator, never in <author> (which RSS keeps for e-mail addresses)', () => {
    const item = rssItem(makeArticle({ title: 'T', date: '2026-01-01T00:00:00Z', authors: [{ name: 'Ann & Bo', email: 'ann@example.com' }] }), content);
    expect(item).toContain('<dc:creator>Ann &#x26; Bo</dc:creator>');
    expect(item).not.toContain('<author>');
  });
});

describe('categories', () => {
  it('is the section, then the tags, each once', () => {
    expect(categories({ section: 'World', tags: ['Trade', 'World', 'Asia', 'Trade'] })).toEqual(['World', 'Trade', 'Asia']);
    expect(categories({ tags: [] })).toEqual([]);
  });
});
