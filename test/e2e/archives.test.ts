/**
 * RFC 5005 archived feeds: from each subscription document, following prev-archive (RSS, Atom) or
 * next_url (JSON Feed) reaches every public article of the feed, and nothing else; archive pages
 * are full, disjoint and stable (a new article leaves them as they were), and an edit rewrites the
 * one page that holds the article. Links are read with parsers we did not write (fast-xml-parser,
 * Python's feedparser), and every page passes the validators the subscription documents pass.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { build, type BuildReport } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import { FEED_FILES, type FeedFormat } from '../../src/publish/files.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { atomRulesBeyondRelaxNg, pythonFeedparser, pythonFeedparserMissing, validateAtomFilesRelaxNg, validateJsonFeed, validateXmlStrict } from '../helpers/validators.js';

const PY_MISSING = pythonFeedparserMissing();
if (PY_MISSING) console.warn(PY_MISSING);

const SITE = 'https://news.example.com/';
const PREFIX = 'tag:news.example.com,2000:';
const config: ConfigInput = { ...baseConfig, feeds: { limit: 3, archivePageSize: 2, authors: false } };
const FORMATS: FeedFormat[] = ['rss', 'atom', 'json'];

/** Article n, published n days after 2026-10-01: a higher n is newer. Odd ones are tagged "odd". */
function numbered(n: number, extra: Record<string, unknown> = {}): [string, string] {
  const date = new Date(Date.UTC(2026, 9, 1 + n, 9)).toISOString();
  return [`a${String(n).padStart(2, '0')}.md`, article({ title: `Article ${n}`, date, ...(n % 2 ? { tags: ['odd'] } : {}), ...extra })];
}

function idOf(n: number): string {
  return `${PREFIX}a${String(n).padStart(2, '0')}`;
}

/** Nine public articles, a draft and one embargoed until after NOW. */
async function site() {
  const files = Object.fromEntries([
    ...Array.from({ length: 9 }, (_, i) => numbered(i + 1)),
    numbered(20, { draft: true }),
    ['future.md', article({ title: 'Embargoed', date: '2026-11-26T09:00:00Z', tags: ['odd'] })],
  ]);
  const s = await makeSite(files);
  // As `feedpipe build` runs: a cache on disk, and the last result's shortcuts (standing, changed-only).
  const run = (now = NOW, cfg = config): Promise<BuildReport> =>
    build({ config: cfg, contentDir: s.contentDir, outDir: s.outDir, now, cwd: s.root, cacheDir: path.join(s.root, '.cache'), reuseLastResult: true });
  return { ...s, run };
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: false, isArray: (name) => ['link', 'atom:link', 'entry', 'item'].includes(name) });

interface Doc {
  ids: string[];
  archive: boolean;
  links: Record<string, string>;
}

/** What an independent parser reads of a document: its item ids, whether it is an archive page, its links by rel (JSON: next_url). */
function readDoc(format: FeedFormat, text: string): Doc {
  if (format === 'json') {
    const j = JSON.parse(text) as { next_url?: string; feed_url: string; items: { id: string }[] };
    return { ids: j.items.map((i) => i.id), archive: false, links: { ...(j.next_url ? { 'prev-archive': j.next_url } : {}), feed: j.feed_url } };
  }
  const doc = xml.parse(text) as Record<string, Record<string, unknown>>;
  const root = format === 'atom' ? doc.feed! : (doc.rss!.channel as Record<string, unknown>);
  const links = (root[format === 'atom' ? 'link' : 'atom:link'] ?? []) as { rel?: string; href: string }[];
  const items = (root[format === 'atom' ? 'entry' : 'item'] ?? []) as Record<string, unknown>[];
  const ids = items.map((i) => (format === 'atom' ? String(i.id) : String((i.guid as Record<string, string>)['#text'])));
  return { ids, archive: 'fh:archive' in root, links: Object.fromEntries(links.map((l) => [l.rel ?? 'alternate', l.href])) };
}

async function readUrl(outDir: string, url: string): Promise<string> {
  expect(url.startsWith(SITE), url).toBe(true);
  return readFile(path.join(outDir, url.slice(SITE.length)), 'utf8');
}

/** Every document reached from a feed's subscription document in one format, following the older links. */
async function walk(outDir: string, dir: string, format: FeedFormat): Promise<{ url: string; doc: Doc }[]> {
  const docs: { url: string; doc: Doc }[] = [];
  let url: string | undefined = SITE + dir + FEED_FILES[format];
  while (url) {
    expect(docs.length, 'a chain that does not end').toBeLessThan(50);
    const doc = readDoc(format, await readUrl(outDir, url));
    docs.push({ url, doc });
    url = doc.links['prev-archive'];
  }
  return docs;
}

async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full, base)));
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

async function archiveBytes(outDir: string): Promise<Map<string, string>> {
  const all = await filesUnder(outDir);
  return new Map(await Promise.all(all.filter((f) => f.includes('archive/')).map(async (f) => [f, await readFile(path.join(outDir, f), 'utf8')] as const)));
}

describe('RFC 5005 archived feeds', () => {
  it('from each subscription document, the links reach every public article of the feed and nothing else, in every format', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const all = Array.from({ length: 9 }, (_, i) => idOf(i + 1));
    const odd = all.filter((_, i) => i % 2 === 0);
    for (const [dir, expected] of [['', all], ['tags/odd/', odd]] as const) {
      for (const format of FORMATS) {
        const docs = await walk(s.outDir, dir, format);
        const [subscription, ...pages] = docs.map((d) => d.doc);
        // The subscription document keeps the newest `limit` (3) items, as without archives.
        expect(subscription!.ids, `${dir} ${format}`).toEqual([...expected].reverse().slice(0, 3));
        // Full pages of 2, newest page first down the chain, disjoint, oldest articles in the last one reached.
        const pageIds = pages.map((p) => p.ids);
        expect(pageIds.every((ids) => ids.length === 2)).toBe(true);
        expect(pageIds.flat()).toEqual([...expected].reverse().slice(expected.length % 2));
        expect(new Set([...subscription!.ids, ...pageIds.flat()])).toEqual(new Set(expected));
        if (format !== 'json') {
          expect(subscription!.archive).toBe(false);
          for (const [i, { doc }] of docs.slice(1).entries()) {
            expect(doc.archive, `${format} page ${i}`).toBe(true);
            expect(doc.links.current).toBe(SITE + dir + FEED_FILES[format]);
            // next-archive goes back to the newer page the chain came from (none on the newest).
            expect(doc.links['next-archive']).toBe(i === 0 ? undefined : docs[i]!.url);
          }
        } else {
          // A JSON archive page names the feed it belongs to.
          for (const { doc } of docs) expect(doc.links.feed).toBe(SITE + dir + FEED_FILES.json);
        }
      }
    }
    // Neither the draft nor the embargoed article is in any file.
    for (const f of await filesUnder(s.outDir)) {
      const text = await readFile(path.join(s.outDir, f), 'utf8');
      expect(text, f).not.toContain('a20');
      expect(text, f).not.toContain('Embargoed');
    }
  });

  it('every archive page passes the validators: strict XML, RFC 4287 RELAX NG and its rules, the JSON Feed 1.1 schema, Python feedparser', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const pages = [...(await archiveBytes(s.outDir))];
    expect(pages.length).toBe(3 * (4 + 2));
    const atom = pages.filter(([f]) => f.endsWith('atom.xml'));
    for (const [f, text] of pages) {
      if (f.endsWith('.json')) expect(validateJsonFeed(text), f).toEqual([]);
      else expect(validateXmlStrict(text), f).toEqual([]);
    }
    expect(await validateAtomFilesRelaxNg(atom)).toEqual(atom.map(() => []));
    for (const [f, text] of atom) expect(atomRulesBeyondRelaxNg(text), f).toEqual([]);
    if (PY_MISSING) return;
    const parsed = pythonFeedparser(await readFile(path.join(s.outDir, 'archive/2/atom.xml'), 'utf8'));
    expect(parsed.bozo).toBeFalsy();
  });

  it('a new article leaves every archive page as it was, until it fills a page: then only the page before the new one gains its next-archive link (RSS, Atom)', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const before = await archiveBytes(s.outDir);
    // The tenth article fills main's page 5 (articles 9 and 10); "odd" gets no new article.
    await writeFile(path.join(s.contentDir, numbered(10)[0]), numbered(10)[1]);
    const r10 = await s.run();
    expect(r10.ok).toBe(true);
    const after10 = await archiveBytes(s.outDir);
    const written = r10.write!.written.filter((f) => f.includes('archive/'));
    // JSON Feed chains by next_url, to older pages only: its page 4 does not change at all.
    expect(written.sort()).toEqual(['archive/4/atom.xml', 'archive/4/feed.xml', 'archive/5/atom.xml', 'archive/5/feed.json', 'archive/5/feed.xml']);
    for (const [f, text] of before) {
      if (!f.startsWith('archive/4/')) expect(after10.get(f), f).toBe(text);
      else expect(after10.get(f)!.replace(/\n[^\n]*archive\/5\/[^\n]*/, ''), f).toBe(text);
    }
    // The twelfth fills no page: no archive file is written at all.
    await writeFile(path.join(s.contentDir, numbered(12)[0]), numbered(12)[1]);
    const r12 = await s.run();
    expect(r12.ok).toBe(true);
    expect(r12.write!.written.filter((f) => f.includes('archive/'))).toEqual([]);
    expect(await archiveBytes(s.outDir)).toEqual(after10);
  });

  it('an edit rewrites the archive pages that hold the article, and no other', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const [name, text] = numbered(3);
    await writeFile(path.join(s.contentDir, name), text.replace('Body text.', 'Body text, corrected.'));
    const r = await s.run();
    expect(r.ok).toBe(true);
    // Article 3: main's page 2 (articles 3, 4) and odd's page 1 (articles 1, 3).
    expect(r.write!.written.filter((f) => f.includes('archive/')).sort()).toEqual(
      ['archive/2/atom.xml', 'archive/2/feed.json', 'archive/2/feed.xml', 'tags/odd/archive/1/atom.xml', 'tags/odd/archive/1/feed.json', 'tags/odd/archive/1/feed.xml'],
    );
    expect(await readFile(path.join(s.outDir, 'archive/2/atom.xml'), 'utf8')).toContain('Body text, corrected.');
  });

  it('the embargoed article joins the pages at its time, and the build that takes a shortcut then equals a cold one', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const later = new Date('2026-11-26T10:00:00Z');
    expect((await s.run(later)).ok).toBe(true);
    const cold = await makeSite({});
    const { cp } = await import('node:fs/promises');
    await cp(s.contentDir, cold.contentDir, { recursive: true });
    expect((await build({ config, contentDir: cold.contentDir, outDir: cold.outDir, now: later, cwd: cold.root })).ok).toBe(true);
    const files = await filesUnder(s.outDir);
    expect(files).toEqual(await filesUnder(cold.outDir));
    for (const f of files.filter((f) => !f.startsWith('.'))) expect(await readFile(path.join(s.outDir, f), 'utf8'), f).toBe(await readFile(path.join(cold.outDir, f), 'utf8'));
    // "odd" now has 6 articles: three full pages, the third of them holding articles 9 and the embargoed one.
    expect(readDoc('atom', await readFile(path.join(s.outDir, 'tags/odd/archive/3/atom.xml'), 'utf8')).ids).toEqual(['tag:news.example.com,2000:future', idOf(9)]);
  });

  it('are off with feeds.archives: false: no archive folder, and no archive link', async () => {
    const s = await site();
    const r = await s.run(NOW, { ...config, feeds: { limit: 3, archives: false, authors: false } });
    expect(r.ok).toBe(true);
    expect((await filesUnder(s.outDir)).filter((f) => f.includes('archive'))).toEqual([]);
    for (const format of FORMATS) expect(await readFile(path.join(s.outDir, FEED_FILES[format]), 'utf8')).not.toMatch(/prev-archive|next_url/);
  });

  it('the index page links to each feed\'s newest archive page', async () => {
    const s = await site();
    expect((await s.run()).ok).toBe(true);
    const page = await readFile(path.join(s.outDir, 'index.html'), 'utf8');
    expect(page).toContain('Older articles, 4 pages of archive: <a href="archive/4/feed.xml"');
    expect(page).toContain('<a href="tags/odd/archive/2/atom.xml"');
    // Autodiscovery names the subscription documents only.
    expect(page.match(/<link rel="alternate"[^>]*archive/g)).toBeNull();
  });
});
