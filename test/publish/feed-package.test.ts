/**
 * The `feed` package builds our RSS and Atom trees; these are the defects of
 * feed 6 / xml-js we own (see src/publish/text.ts). Each test shows the raw
 * package getting it wrong — so if an upgrade fixes it, the test says the
 * workaround can go — and feedpipe's output getting it right.
 */
import { XMLParser } from 'fast-xml-parser';
import { Feed } from 'feed';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { verifyOutput } from '../../src/publish/verify.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

function rawFeed(item: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const f = new Feed({ title: 'T', id: 'https://e.example/', link: 'https://e.example/', copyright: '', ...options } as never);
  f.addItem({ title: 'x', id: 'tag:e.example,2000:x', link: 'https://e.example/x', date: new Date(0), ...item } as never);
  return f;
}

async function ours(fields: Record<string, unknown>, body = 'Body.') {
  const s = await makeSite({ 'a.md': article({ date: '2026-01-01', ...fields }, body) });
  const r = await build({ config: baseConfig, contentDir: s.contentDir, now: NOW, write: false });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.files;
}

const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, processEntities: true, htmlEntities: true, cdataPropName: false as never }).parse(xml);

describe('feed package defects feedpipe owns', () => {
  it('emits JSON Feed version 1 with a singular author; ours is 1.1 with authors', async () => {
    const raw = JSON.parse(rawFeed({ author: [{ name: 'A' }] }).json1()) as Record<string, unknown> & { items: Record<string, unknown>[] };
    expect(raw.version).toBe('https://jsonfeed.org/version/1');
    expect(raw.items[0]).toHaveProperty('author');
    const json = JSON.parse((await ours({ title: 'A', author: 'Hana' })).get('feed.json')!) as { version: string; items: Record<string, unknown>[] };
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    expect(json.items[0]).toHaveProperty('authors', [{ name: 'Hana' }]);
    expect(json.items[0]).not.toHaveProperty('author');
  });

  it('lets XML-illegal control characters through; ours removes them', async () => {
    const raw = rawFeed({ title: 'a\u0001b', content: 'c\u000Bd' }).rss2();
    expect(verifyOutput('feed.xml', raw)).not.toEqual([]);
    const files = await ours({ title: '"a\\u0001b"' }, 'c\u000Bd');
    for (const [rel, text] of files) if (rel.endsWith('.xml')) expect(verifyOutput(rel, text), rel).toEqual([]);
  });

  it('splits only the first "]]>" of a CDATA section; ours keeps every one', async () => {
    const raw = rawFeed({ content: 'one ]]> two ]]> three' }).rss2();
    expect(verifyOutput('feed.xml', raw)).not.toEqual([]);
    const files = await ours({ title: 'A' }, 'one ]]> two ]]> three');
    const rss = parse(files.get('feed.xml')!) as { rss: { channel: { item: { 'content:encoded': string } } } };
    expect(rss.rss.channel.item['content:encoded']).toBe('<p>one ]]> two ]]> three</p>');
  });

  it('does not escape "<" in attribute values; ours does', async () => {
    const raw = rawFeed({ category: [{ name: 'C++ <templates>', term: 'C++ <templates>' }] }).atom1();
    expect(verifyOutput('feed.xml', raw)).not.toEqual([]);
    const files = await ours({ title: 'A', tags: ['C++ <templates>'] });
    expect(files.get('atom.xml')).toContain('<category term="C++ &lt;templates&gt;"/>');
    expect(verifyOutput('atom.xml', files.get('atom.xml')!)).toEqual([]);
  });

  it('un-escapes a literal "&amp;" in text; ours keeps it', async () => {
    const raw = rawFeed({}, { title: 'Use &amp; for &' }).atom1();
    expect(raw).toContain('<title>Use &amp; for &amp;</title>'); // the reader sees "Use & for &"
    const files = await ours({ title: '"Use &amp; for &"' });
    const json = JSON.parse(files.get('feed.json')!) as { items: { title: string }[] };
    expect(json.items[0]!.title).toBe('Use &amp; for &');
    expect(files.get('atom.xml')).toContain('<title type="html">Use &amp;amp;amp; for &amp;amp;</title>');
  });

  it('declares Atom titles as HTML without escaping plain text for it; ours escapes', async () => {
    const raw = rawFeed({ title: 'Why <b> is bold' }).atom1();
    expect(raw).toContain('<title type="html"><![CDATA[Why <b> is bold]]></title>'); // a reader renders bold text
    const files = await ours({ title: '"Why <b> is bold"' });
    expect(files.get('atom.xml')).toContain('<title type="html">Why &amp;lt;b&amp;gt; is bold</title>');
  });

  it('writes an RSS item\'s `published` over its `date` as pubDate, formatting both itself; ours hands it the finished publication date', async () => {
    const raw = rawFeed({ date: new Date('2026-04-02T08:00:00Z'), published: new Date('2026-03-01T00:30:00Z') }).rss2();
    expect(raw).toContain('<pubDate>Sun, 01 Mar 2026 00:30:00 GMT</pubDate>');
    const files = await ours({ title: 'A', date: '2026-03-01T09:30:00+09:00', updated: '2026-04-02T08:00:00Z' });
    expect(files.get('feed.xml')).toContain('<pubDate>Sun, 01 Mar 2026 00:30:00 GMT</pubDate>');
    expect(files.get('atom.xml')).toContain('<published>2026-03-01T00:30:00.000Z</published>');
  });

  it("percent-encodes a non-ASCII Atom id (new URL), though RSS keeps it; ours writes the id as written in both", async () => {
    const raw = rawFeed({ id: 'tag:e.example,2026:café' });
    expect(raw.atom1()).toContain('<id>tag:e.example,2026:caf%C3%A9</id>');
    expect(raw.rss2()).toContain('<guid isPermaLink="false">tag:e.example,2026:café</guid>');
    const files = await ours({ title: 'A', id: 'tag:news.example.com,2026:café' });
    expect(files.get('atom.xml')).toContain('<id>tag:news.example.com,2026:café</id>');
    expect(files.get('feed.xml')).toContain('<guid isPermaLink="false">tag:news.example.com,2026:café</guid>');
  });

  it('stamps new Date() when no date is given; ours dates the feed by its newest item', async () => {
    const raw = new Feed({ title: 'T', id: 'https://e.example/', link: 'https://e.example/', copyright: '' });
    expect(raw.rss2()).toContain(`<lastBuildDate>${new Date().toUTCString().slice(0, 16)}`);
    const files = await ours({ title: 'A', date: '2025-06-01T10:00:00Z' });
    expect(files.get('feed.xml')).toContain('<lastBuildDate>Sun, 01 Jun 2025 10:00:00 GMT</lastBuildDate>');
    expect(files.get('atom.xml')).toContain('<updated>2025-06-01T10:00:00.000Z</updated>');
  });
});
