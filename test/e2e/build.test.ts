import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, check } from '../../src/build/build.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { groupBy } from '../../src/publish/model.js';
import type { Article } from '../../src/content/schema.js';

async function snapshot(dir: string): Promise<Record<string, { bytes: string; mtimeMs: number }>> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out[path.relative(dir, full)] = { bytes: await readFile(full, 'utf8'), mtimeMs: (await stat(full)).mtimeMs };
    }
  };
  await walk(dir);
  return out;
}

const site = () =>
  makeSite({
    'world/alliance.md': article({ title: 'Allies agree', date: '2026-03-14T08:30:00Z', section: 'World', tags: ['Defense', 'Asia'] }, 'Alliance body.'),
    'business/markets.md': article({ title: 'Markets rally', date: '2026-05-01T10:00:00Z', updated: '2026-05-02T09:00:00Z', section: 'Business', tags: ['Markets'] }),
    'world/embargo.md': article({ title: 'Embargoed scoop', date: '2031-06-01T09:00:00Z', section: 'Secret', tags: ['Defense', 'Embargo-only'] }, 'Embargoed body.'),
    'draft.md': article({ title: 'Unfinished draft', date: '2026-01-01', draft: true, tags: ['Draft-only'] }, 'Draft body.'),
  });

describe('build', () => {
  it('writes the same bytes when it does not keep the files in the report (keepFiles: false, as feedpipe build does)', async () => {
    const s = await site();
    const kept = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, write: false });
    const report = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, keepFiles: false });
    expect(report.ok).toBe(true);
    expect(report.files.size).toBe(0);
    expect(report.write!.written.sort()).toEqual([...kept.files.keys()].sort());
    const written = await snapshot(s.outDir);
    for (const [rel, text] of kept.files) expect(written[path.join(...rel.split('/'))]?.bytes, rel).toBe(text);
  });

  it('writes the same bytes from feed items saved by the last build, non-ASCII text included, as a build that keeps the text', async () => {
    const s = await makeSite({
      'world/cafe.md': article({ title: 'Café “society” reopens', date: '2026-03-14T08:30:00Z', section: 'World', tags: ['Europe', 'Food & drink'] }, 'Crème brûlée — at last. 東京 too.'),
      'business/markets.md': article({ title: 'Markets rally', date: '2026-05-01T10:00:00Z', section: 'Business', tags: ['Europe'] }),
    });
    const options = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root, cacheDir: '.cache', keepFiles: false };
    expect((await build(options)).ok).toBe(true);
    // An edit: the site and Europe feeds are made again, the café's items coming from the saved cache as bytes.
    const edited = path.join(s.contentDir, 'business', 'markets.md');
    await writeFile(edited, (await readFile(edited, 'utf8')) + '\nCorrected.\n');
    const report = await build(options);
    expect(report.ok).toBe(true);
    expect(report.write!.written).toEqual(expect.arrayContaining(['feed.xml', 'atom.xml', 'feed.json', 'tags/europe/feed.xml']));
    expect(report.stats.fragments).toBe(3); // only the edited article's items were made again
    const kept = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, write: false });
    const written = await snapshot(s.outDir);
    for (const [rel, text] of kept.files) expect(written[path.join(...rel.split('/'))]?.bytes, rel).toBe(text);
    expect(written['feed.json']!.bytes).toContain('Café “society” reopens');
  });

  it('publishes the site, section, tag and author feeds in three formats', async () => {
    const s = await site();
    const report = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(report.diagnostics).toEqual([]);
    // The author feed: the site's (articles without an author of their own are the site author's).
    expect(report.feeds.map((f) => `${f.key}:${f.items}`)).toEqual(['main:2', 'section/business:1', 'section/world:1', 'tag/asia:1', 'tag/defense:1', 'tag/markets:1', 'author/newsroom:2']);
    const files = Object.keys(await snapshot(s.outDir)).sort();
    expect(files).toContain('feed.xml');
    expect(files).toContain('atom.xml');
    expect(files).toContain('feed.json');
    expect(files).toContain(path.join('tags', 'defense', 'atom.xml'));
    expect(files).toHaveLength(7 * 3 + 4); // + index.html, feed.xsl, manifest, the record of items
  });

  it('leaks nothing embargoed or drafted through any file', async () => {
    const s = await site();
    await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    const all = Object.entries(await snapshot(s.outDir));
    for (const [file, { bytes }] of all) {
      for (const secret of ['Embargoed', 'embargo', 'Secret', 'Unfinished', 'draft', 'Draft', '2031']) expect(bytes, file).not.toContain(secret);
    }
    // Feed-level dates come from visible items only: the newest is Markets' update.
    const rss = await readFile(path.join(s.outDir, 'feed.xml'), 'utf8');
    expect(rss).toContain('<lastBuildDate>Sat, 02 May 2026 09:00:00 GMT</lastBuildDate>');
    const tag = await readFile(path.join(s.outDir, 'tags/defense/atom.xml'), 'utf8');
    expect(tag).toContain('<updated>2026-03-14T08:30:00.000Z</updated>');
  });

  it('publishes an embargoed article at its time, not a millisecond before', async () => {
    const s = await site();
    const due = new Date('2031-06-01T09:00:00Z');
    const before = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: new Date(due.getTime() - 1), write: false });
    expect(before.visible.map((a) => a.title)).not.toContain('Embargoed scoop');
    expect(before.nextDue).toEqual(due);
    const at = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: due, write: false });
    expect(at.visible[0]!.title).toBe('Embargoed scoop');
    expect(at.files.get('feed.xml')).toContain('Embargoed scoop');
    expect(at.files.get('sections/secret/feed.json')).toContain('Embargoed scoop');
  });

  it('gives byte-identical files for the same inputs, whatever the build time', async () => {
    const s = await site();
    const a = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, write: false });
    const b = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: new Date('2027-01-01T00:00:00Z'), write: false });
    expect([...b.files]).toEqual([...a.files]);
  });

  it('does not rewrite unchanged files', async () => {
    const s = await site();
    const first = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(first.write!.written.length).toBe(23); // 7 feeds x 3 formats, index.html, feed.xsl
    const before = await snapshot(s.outDir);
    await new Promise((r) => setTimeout(r, 20));
    const second = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(second.write).toEqual({ written: [], unchanged: expect.any(Array), removed: [] });
    expect(await snapshot(s.outDir)).toEqual(before);
  });

  it('leaves the published feeds exactly as they were when a build fails', async () => {
    const s = await site();
    await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    const before = await snapshot(s.outDir);
    await writeFile(path.join(s.contentDir, 'business/markets.md'), article({ title: 'Markets rally', date: '2026-02-30' }));
    await writeFile(path.join(s.contentDir, 'new.md'), article({ title: 'New and fine', date: '2026-06-01' }));
    const report = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toMatchObject([{ code: 'invalid-date', line: 3 }]);
    expect(report.write).toBeUndefined();
    expect(await snapshot(s.outDir)).toEqual(before);
  });

  it('keeps the feeds of a tag that no longer has a public article empty for feeds.keepEmptyDays, then removes them', async () => {
    const s = await site();
    await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    await writeFile(path.join(s.contentDir, 'business/markets.md'), article({ title: 'Markets rally', date: '2026-05-01T10:00:00Z', draft: true, section: 'Business', tags: ['Markets'] }));
    const report = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(report.write!.removed).toEqual([]);
    expect(JSON.parse(await readFile(path.join(s.outDir, 'tags/markets/feed.json'), 'utf8')).items).toEqual([]);
    // The draft is in no file, kept feed or not.
    for (const f of Object.keys(await snapshot(s.outDir))) expect((await readFile(path.join(s.outDir, f), 'utf8')).includes('Markets rally')).toBe(false);
    const later = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: new Date(NOW.getTime() + 30 * 86_400_000) });
    expect(later.write!.removed.sort()).toEqual(['sections/business/atom.xml', 'sections/business/feed.json', 'sections/business/feed.xml', 'tags/markets/atom.xml', 'tags/markets/feed.json', 'tags/markets/feed.xml']);
    expect(Object.keys(await snapshot(s.outDir)).some((f) => f.includes('markets') || f.includes('business'))).toBe(false);
  });

  it('never deletes files it did not write', async () => {
    const s = await site();
    await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    await writeFile(path.join(s.outDir, 'robots.txt'), 'User-agent: *\n');
    await build({ config: { ...baseConfig, feeds: { tags: false } }, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
    expect(await readFile(path.join(s.outDir, 'robots.txt'), 'utf8')).toBe('User-agent: *\n');
  });

  it('limits every feed to the configured number of items, newest first', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 12; i++) files[`a${i}.md`] = article({ title: `Story ${i}`, date: `2026-01-${String(i).padStart(2, '0')}`, tags: ['All'] });
    const s = await makeSite(files);
    const report = await build({ config: { ...baseConfig, feeds: { limit: 5 } }, contentDir: s.contentDir, now: NOW, write: false });
    const json = JSON.parse(report.files.get('tags/all/feed.json')!) as { items: { title: string }[] };
    expect(json.items.map((i) => i.title)).toEqual(['Story 12', 'Story 11', 'Story 10', 'Story 9', 'Story 8']);
  });

  it('collects the errors of every file in one run', async () => {
    const s = await makeSite({
      'a.md': article({ titel: 'A', date: '2026-01-01' }),
      'b.md': article({ title: 'B', date: '2026-13-01' }),
      'c.md': 'no frontmatter',
      'd.md': article({ title: 'D', date: '2026-01-01', draft: '"false"' }),
    });
    const report = await check({ config: baseConfig, contentDir: s.contentDir, cwd: s.root });
    expect(report.ok).toBe(false);
    expect(new Set(report.diagnostics.map((d) => d.file))).toEqual(new Set(['content/a.md', 'content/b.md', 'content/c.md', 'content/d.md']));
  });

  it('reports config errors with their position', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: not a url\n  timezone: Mars/Olympus\n  tilte: x\n');
    const report = await build({ cwd: s.root, now: NOW });
    expect(report.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.field}`).sort()).toEqual([
      'feedpipe.config.yaml:3:8 invalid-url site.url',
      'feedpipe.config.yaml:4:13 invalid-timezone site.timezone',
      'feedpipe.config.yaml:5:3 unknown-field site.tilte',
    ]);
  });
});

describe('groupBy (tag and section feeds)', () => {
  const a = (id: string, tags: string[]) => ({ id, tags }) as unknown as Article;
  it('groups names case-insensitively, counts an article once per group, names the group by its first spelling in code order, stops at the limit', () => {
    const articles = [a('1', ['Asia', 'asia', 'Europe']), a('2', ['ASIA']), a('3', ['asia']), a('4', ['Europe'])];
    const groups = groupBy(articles, (x) => x.tags, 2);
    expect(groups.map((g) => [g.slug, g.name, g.articles.map((x) => x.id)])).toEqual([
      ['asia', 'ASIA', ['1', '2']],
      ['europe', 'Europe', ['1', '4']],
    ]);
  });
});
