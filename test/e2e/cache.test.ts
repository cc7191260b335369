import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { BuildCache } from '../../src/incremental/cache.js';
import { dependencyVersions } from '../../src/util/version.js';
import { article, baseConfig, madeSites, makeSite, NOW } from '../helpers/site.js';

/** Backdates every content file so its stat can be trusted (files written in the last 2 s are "racy" and always re-read). */
async function settle(dir: string): Promise<void> {
  const old = new Date(Date.now() - 60_000);
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) await utimes(path.join(e.parentPath, e.name), old, old);
  }
}

async function cachedSite(n = 20) {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`a${i}.md`] = article({ title: `Story ${i}`, date: `2026-01-${String(i + 1).padStart(2, '0')}`, tags: [i % 2 ? 'Odd' : 'Even'] }, `Body ${i}.`);
  const s = await makeSite(files);
  await settle(s.contentDir);
  // Without author feeds (every article here is the site author's: that feed would be the main feed again); author feeds' own cache tests use them.
  // The subscription documents alone: what an edit does to archive pages is test/e2e/archives.test.ts's.
  const opts = { config: { ...baseConfig, feeds: { limit: 5, authors: false, archives: false } }, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root, cacheDir: path.join(s.root, '.cache') };
  return { ...s, opts };
}

/** A site built once with a cache held in memory, as a publisher holds it. */
async function inMemorySite(n = 20, limits?: { maxFileBytes: number }) {
  const s = await cachedSite(n);
  const { cacheDir: _, ...plain } = s.opts;
  const opts = limits ? { ...plain, config: { ...plain.config, limits } } : plain;
  const cache = new BuildCache('');
  await build({ ...opts, cache });
  return { ...s, opts, cache };
}

describe('build cache', () => {
  it('neither re-parses, re-renders nor re-serialises anything when nothing changed', async () => {
    const s = await cachedSite();
    const cold = await build(s.opts);
    expect(cold.stats).toEqual({ parsed: 20, reused: 0, rendered: 10, renderedAhead: 0, serialized: 11, fragments: 30, workers: 0 }); // main a15–a19, odd and even: ten distinct articles, each serialised once per format; 9 feed files, index.html, feed.xsl
    const warm = await build(s.opts);
    expect(warm.stats).toEqual({ parsed: 0, reused: 20, rendered: 0, renderedAhead: 0, serialized: 0, fragments: 0, workers: 0 });
    expect(warm.write).toEqual({ written: [], unchanged: expect.arrayContaining(['feed.xml', 'tags/odd/atom.xml']), removed: [] });
    expect(warm.feeds).toEqual(cold.feeds);
  });

  it('makes index.html again when the list of feeds changes, even if the main feed does not; the manifest keeps every hash', async () => {
    const s = await cachedSite();
    await build(s.opts);
    const manifestBefore = JSON.parse(await readFile(path.join(s.outDir, '.feedpipe-manifest.json'), 'utf8')) as { published: Record<string, { sha256: string }> };
    // a0 is older than the five items of the main and "even" feeds: only a new tag feed and the page's list of feeds change.
    await writeFile(path.join(s.contentDir, 'a0.md'), article({ title: 'Story 0', date: '2026-01-01', tags: ['Even', 'Rare'] }, 'Body 0.'));
    const r = await build(s.opts);
    expect(r.write!.written.sort()).toEqual(['index.html', 'tags/rare/atom.xml', 'tags/rare/feed.json', 'tags/rare/feed.xml']);
    expect(await readFile(path.join(s.outDir, 'index.html'), 'utf8')).toContain('tags/rare/feed.xml');
    const manifest = JSON.parse(await readFile(path.join(s.outDir, '.feedpipe-manifest.json'), 'utf8')) as { files: string[]; published: Record<string, { sha256: string }> };
    expect(Object.keys(manifest.published).sort()).toEqual(manifest.files);
    // Files kept without being serialised carry their entry over unchanged.
    expect(manifest.published['feed.xml']).toEqual(manifestBefore.published['feed.xml']);
    expect(manifest.published['feed.xsl']).toEqual(manifestBefore.published['feed.xsl']);
  });

  it('re-processes only the edited article and only the feeds that carry it', async () => {
    const s = await cachedSite();
    await build(s.opts);
    await writeFile(path.join(s.contentDir, 'a19.md'), article({ title: 'Story 19 corrected', date: '2026-01-20', tags: ['Odd'] }, 'New body.'));
    const r = await build(s.opts);
    expect(r.stats).toEqual({ parsed: 1, reused: 19, rendered: 1, renderedAhead: 0, serialized: 7, fragments: 3, workers: 0 }); // main + odd, three formats each, and index.html (it lists main's items); the other items' fragments were saved
    expect(r.write!.written.sort()).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'index.html', 'tags/odd/atom.xml', 'tags/odd/feed.json', 'tags/odd/feed.xml']);
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Story 19 corrected');
  });

  it('gives the same bytes as a cold build', async () => {
    const s = await cachedSite();
    await build(s.opts);
    await writeFile(path.join(s.contentDir, 'a3.md'), article({ title: 'Story 3 moved up', date: '2026-02-01', tags: ['Odd'] }));
    await build(s.opts);
    const { cacheDir: _, ...noCache } = s.opts;
    const cold = await build({ ...noCache, write: false });
    for (const [rel, text] of cold.files) expect(await readFile(path.join(s.outDir, rel), 'utf8'), rel).toBe(text);
  });

  it('trusts content, not timestamps: a touched but unchanged file is not re-parsed, an edited one is', async () => {
    const s = await cachedSite();
    await build(s.opts);
    const file = path.join(s.contentDir, 'a19.md');
    await utimes(file, new Date(), new Date(Date.now() - 30_000));
    expect((await build(s.opts)).stats.parsed).toBe(0);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('Story 19', 'Story 91'));
    await settle(s.contentDir);
    const r = await build(s.opts);
    expect(r.stats.parsed).toBe(1);
    expect(r.files.get('feed.xml')).toContain('Story 91');
  });

  it.each([false, true])('publishes a same-size edit whose old mtime a tool restored (cp -p, rsync -t, tar -x); proof asked for: %s', async (reuseLastResult) => {
    const s = await cachedSite(3);
    const opts = { ...s.opts, reuseLastResult };
    await build(opts);
    const file = path.join(s.contentDir, 'a1.md');
    const before = await stat(file);
    await writeFile(file, article({ title: 'Story X', date: '2026-01-02', tags: ['Odd'] }, 'Body 1.'));
    await utimes(file, before.atime, before.mtime); // size and mtime as before; ctime (and inode, for a copy) are not
    expect((await stat(file)).size).toBe(before.size);
    const r = await build(opts);
    expect(r.kind).not.toBe('stands');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Story X');
  });

  it('re-reads a file whose stat could not be trusted when it was cached', async () => {
    const s = await cachedSite(2);
    const file = path.join(s.contentDir, 'a1.md');
    await writeFile(file, article({ title: 'Fresh', date: '2026-01-02' })); // mtime = now: racy
    await build(s.opts);
    const st = await stat(file);
    await writeFile(file, article({ title: 'Fresh', date: '2026-01-03' })); // same size
    await utimes(file, st.atime, st.mtime);
    const r = await build(s.opts);
    expect(r.stats.parsed).toBe(1);
    expect(r.visible[0]!.date.toISOString()).toBe('2026-01-03T00:00:00.000Z');
  });

  it('starts cold, and correct, from a torn or foreign cache file', async () => {
    const s = await cachedSite(3);
    await build(s.opts);
    const files = (await readdir(path.join(s.root, '.cache'))).map((f) => path.join(s.root, '.cache', f));
    // The index's outputs and shards, the renders' shards, the proof that the last build stands.
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) await writeFile(file, (await readFile(file, 'utf8')).slice(0, 100));
    const r = await build(s.opts);
    expect(r.ok).toBe(true);
    expect(r.stats.parsed).toBe(3);
    for (const file of files) await writeFile(file, JSON.stringify({ key: 'other', files: [], outputs: [], inputs: '' }));
    expect((await build(s.opts)).stats.parsed).toBe(3);
  });

  it('saves the parsed articles while workers render, and an entry changed meanwhile as it ends up', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-cache-'));
    try {
      const file = path.join(dir, 'build.json');
      const cache = new BuildCache('k', file);
      const entry = (hash: string) => ({ size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1, hash, diagnostics: [] });
      for (let i = 0; i < 200; i++) cache.files.set(`/c/a${i}.md`, entry('old'));
      cache.saveFilesAhead();
      cache.files.set('/c/a7.md', entry('new')); // while the early save runs
      await cache.save();
      const loaded = await BuildCache.load(file, 'k');
      expect(loaded.files.size).toBe(200);
      expect(loaded.files.get('/c/a7.md')?.hash).toBe('new');
      expect(loaded.files.get('/c/a8.md')?.hash).toBe('old');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rewrites only the shards of the cache an edit touched', async () => {
    const s = await cachedSite();
    await build(s.opts);
    const dir = path.join(s.root, '.cache');
    const stamp = async () => new Map(await Promise.all((await readdir(dir)).map(async (f) => [f, (await stat(path.join(dir, f))).mtimeMs] as const)));
    const before = await stamp();
    await writeFile(path.join(s.contentDir, 'a19.md'), article({ title: 'Story 19, corrected', date: '2026-01-20', tags: ['Odd'] }, 'Body 19.'));
    const r = await build(s.opts);
    expect(r.stats.parsed).toBe(1);
    const after = await stamp();
    const rewritten = [...after].filter(([f, t]) => before.get(f) !== t).map(([f]) => f.replace(/^build-[0-9a-f]+/, ''));
    // One shard of the index, one of the renders and one of the feed items (a19 is in the main feed), plus the outputs and the proof.
    expect(rewritten.filter((f) => f.startsWith('.files-'))).toHaveLength(1);
    expect(rewritten.filter((f) => f.startsWith('.renders-'))).toHaveLength(1);
    expect(rewritten.filter((f) => f.startsWith('.fragments-'))).toHaveLength(1);
    expect(rewritten.length).toBeLessThanOrEqual(5);
    // And what was saved is what the next build reads: nothing is parsed again.
    await settle(s.contentDir);
    const next = await build({ ...s.opts, now: new Date(NOW.getTime() + 1) });
    expect(next.stats.parsed).toBe(0);
  });

  it('saves the feed items: a new process serialises only the edited article\'s, and gives the bytes of a cold build', async () => {
    const s = await cachedSite();
    expect((await build(s.opts)).stats.fragments).toBe(30);
    await writeFile(path.join(s.contentDir, 'a17.md'), article({ title: 'Story 17 & “corrected”', date: '2026-01-18', tags: ['Odd'] }, 'New body, ü 東京.'));
    const r = await build(s.opts); // a fresh BuildCache, loaded from cacheDir, as each `feedpipe build` does
    expect(r.stats).toMatchObject({ parsed: 1, rendered: 1, serialized: 7, fragments: 3 });
    const { cacheDir: _, ...noCache } = s.opts;
    const cold = await build({ ...noCache, write: false });
    for (const [rel, text] of cold.files) expect(await readFile(path.join(s.outDir, rel), 'utf8'), rel).toBe(text);
    // A damaged shard of saved items is ignored, never published: its items are made again.
    const dir = path.join(s.root, '.cache');
    for (const f of (await readdir(dir)).filter((f) => f.includes('.fragments-'))) {
      const bytes = await readFile(path.join(dir, f));
      await writeFile(path.join(dir, f), bytes.subarray(0, bytes.length - 1));
    }
    await rm(path.join(s.outDir, 'feed.xml'));
    const again = await build(s.opts);
    expect(again.stats).toMatchObject({ serialized: 3, fragments: 15 }); // main's five items in three formats
    for (const [rel, text] of cold.files) expect(await readFile(path.join(s.outDir, rel), 'utf8'), rel).toBe(text);
  });

  it('never publishes a saved feed item or render whose bytes were damaged in place', async () => {
    const s = await cachedSite();
    await build(s.opts);
    const dir = path.join(s.root, '.cache');
    for (const f of (await readdir(dir)).filter((f) => f.includes('.fragments-') || f.includes('.renders-'))) {
      const bytes = await readFile(path.join(dir, f));
      bytes.fill(0, bytes.indexOf(10) + 1); // the header intact, the items zeroed (a crash after a rename without fsync, bit rot)
      await writeFile(path.join(dir, f), bytes);
    }
    await writeFile(path.join(s.contentDir, 'a19.md'), article({ title: 'Story 19, corrected', date: '2026-01-20', tags: ['Odd'] }, 'Body 19.'));
    const r = await build(s.opts); // main and odd made again, around a15–a18's saved items
    expect(r.ok).toBe(true);
    const { cacheDir: _, ...noCache } = s.opts;
    const cold = await build({ ...noCache, write: false });
    for (const [rel, text] of cold.files) expect(await readFile(path.join(s.outDir, rel), 'utf8'), rel).toBe(text);
  });

  it('is keyed on the installed packages too: upgrading one in place starts afresh', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-deps-'));
    madeSites.push(dir);
    const from = path.join(dir, 'node_modules', 'feedpipe', 'lib', 'util', 'version.js');
    const record = path.join(dir, 'node_modules', '.package-lock.json');
    await mkdir(path.dirname(from), { recursive: true });
    const installed = (feed: string) => JSON.stringify({ packages: { '': {}, 'node_modules/feed': { version: feed }, 'node_modules/remark': { version: '15.0.1' } } });
    await writeFile(record, installed('6.0.0'));
    const before = dependencyVersions(from);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(dependencyVersions(from)).toBe(before);
    await writeFile(record, installed('6.0.1'));
    expect(dependencyVersions(from)).not.toBe(before);
  });

  it('starts over when the config changes', async () => {
    const s = await cachedSite(3);
    await build(s.opts);
    const r = await build({ ...s.opts, config: { ...s.opts.config, site: { ...s.opts.config.site, title: 'Renamed Times' } } });
    expect(r.stats.parsed).toBe(3);
    expect(r.files.get('feed.xml')).toContain('<title>Renamed Times</title>');
  });

  it('rewrites a published file that was changed behind its back', async () => {
    const s = await cachedSite(3);
    await build(s.opts);
    await writeFile(path.join(s.outDir, 'feed.xml'), 'tampered');
    const r = await build(s.opts);
    expect(r.write!.written).toEqual(['feed.xml']);
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('<rss');
  });

  it('in memory, reuses the last selection only while no edit moved an article', async () => {
    const { opts, cache, ...s } = await inMemorySite();
    const file = path.join(s.contentDir, 'a3.md');
    const edit = async (fields: Record<string, unknown>, body = 'Body 3.') => {
      await writeFile(file, article({ title: 'Story 3', date: '2026-01-04', tags: ['Odd'], ...fields }, body));
      return build({ ...opts, cache, changedPaths: [file] });
    };
    const titles = (r: { visible: { title: string }[] }) => r.visible.map((a) => a.title);
    // A new body and title: the same order, the new version in it and in the feed.
    const retitled = await edit({ title: 'Story 3, corrected' }, 'New body.');
    expect(retitled.stats).toMatchObject({ parsed: 1, reused: 19 });
    expect(titles(retitled)).toEqual([...Array(20).keys()].reverse().map((i) => (i === 3 ? 'Story 3, corrected' : `Story ${i}`)));
    expect(retitled.visible.find((a) => a.title === 'Story 3, corrected')!.source.absPath).toBe(file);
    // A new date (in the same month: the same URL) moves it to the top.
    expect(titles(await edit({ date: '2026-01-28' }))[0]).toBe('Story 3');
    // A draft leaves, a new id is checked for duplicates again.
    expect(titles(await edit({ date: '2026-01-28', draft: true }))).not.toContain('Story 3');
    await edit({ date: '2026-01-28' });
    const dup = await edit({ date: '2026-01-28', id: 'tag:news.example.com,2000:a4' });
    expect(dup.diagnostics.map((d) => d.code)).toContain('duplicate-id');
    // A clock past a due date selects afresh.
    await edit({ date: '2026-12-01' });
    const due = await build({ ...opts, cache, now: new Date('2026-12-01T00:00:00Z') });
    expect(titles(due)[0]).toBe('Story 3');
  });

  it('in memory, a watcher build of another file keeps reporting a file that cannot be loaded', async () => {
    const s = await cachedSite(6);
    const { cacheDir: _, ...plain } = s.opts;
    const opts = { ...plain, config: { ...plain.config, limits: { maxFileBytes: 2000 } } };
    const big = path.join(s.contentDir, 'big.md');
    await writeFile(big, article({ title: 'Big', date: '2026-01-20' }, 'x'.repeat(5000)));
    const cache = new BuildCache('');
    expect((await build({ ...opts, cache })).diagnostics.map((d) => d.code)).toContain('file-too-large');
    const other = path.join(s.contentDir, 'a1.md');
    await writeFile(other, article({ title: 'Story 1 edited', date: '2026-01-02' }));
    const second = await build({ ...opts, cache, changedPaths: [other] });
    expect(second.ok).toBe(false);
    expect(second.diagnostics.map((d) => d.code)).toContain('file-too-large');
  });

  it('in memory, an article edited to be too large is not replaced by its old version when another file is added', async () => {
    const { opts, cache, ...s } = await inMemorySite(6, { maxFileBytes: 2000 });
    const a1 = path.join(s.contentDir, 'a1.md');
    await writeFile(a1, article({ title: 'Story 1 v2', date: '2026-01-02' }, 'x'.repeat(5000)));
    expect((await build({ ...opts, cache, changedPaths: [a1] })).diagnostics.map((d) => d.code)).toContain('file-too-large');
    const added = path.join(s.contentDir, 'new.md');
    await writeFile(added, article({ title: 'New', date: '2026-01-10' }));
    const r = await build({ ...opts, cache, changedPaths: [added] });
    expect(r.articles.map((a) => a.title)).not.toContain('Story 1');
    expect(r.diagnostics.map((d) => d.code)).toContain('file-too-large');
  });

  it('in memory, with changed paths from a watcher, looks only at those files', async () => {
    const { opts, cache, ...s } = await inMemorySite();
    const added = path.join(s.contentDir, 'new.md');
    await writeFile(added, article({ title: 'Breaking', date: '2026-03-01', tags: ['Even'] }));
    const r = await build({ ...opts, cache, changedPaths: [added] });
    expect(r.stats).toMatchObject({ parsed: 1, reused: 20 });
    expect(r.visible[0]!.title).toBe('Breaking');
    await rm(added);
    const gone = await build({ ...opts, cache, changedPaths: [added] });
    expect(gone.visible.map((a) => a.title)).not.toContain('Breaking');
    expect(gone.stats.parsed).toBe(0);
  });

  it('in memory, serialises only the edited article\'s items again, and gives the bytes of a cold build', async () => {
    const s = await cachedSite();
    const { cacheDir: _, ...opts } = s.opts;
    const cache = new BuildCache('');
    expect((await build({ ...opts, cache })).stats.fragments).toBe(30);
    const edited = path.join(s.contentDir, 'a17.md');
    await writeFile(edited, article({ title: 'Story 17 corrected', date: '2026-01-18', tags: ['Odd'] }, 'New body.'));
    const r = await build({ ...opts, cache, changedPaths: [edited] });
    expect(r.stats).toMatchObject({ parsed: 1, rendered: 1, serialized: 7, fragments: 3 }); // main and odd in three formats, index.html; one item per format
    const cold = await build({ ...opts, write: false });
    for (const [rel, text] of r.files) expect(text, rel).toBe(cold.files.get(rel));
    expect(r.files.get('tags/odd/feed.json')).toContain('Story 17 corrected');
    // A feed made again for another reason (its file was removed behind our back) reuses every item.
    await rm(path.join(s.outDir, 'tags/even/atom.xml'));
    const again = await build({ ...opts, cache, changedPaths: [] });
    expect(again.stats).toMatchObject({ serialized: 3, fragments: 0 });
    expect(again.files.get('tags/even/atom.xml')).toBe(cold.files.get('tags/even/atom.xml'));
  });

  it('keeps fragments only of articles some feed carries, and none across a config change', async () => {
    const cache = new BuildCache('k1');
    const fragment = { text: '<item/>\n', verifiedIn: '<rss>' };
    cache.setFragment('/a.md', 'h1', 'rss', fragment);
    cache.setFragment('/b.md', 'h1', 'rss', fragment);
    expect(cache.fragment('/a.md', 'h1', 'rss')).toBe(fragment);
    expect(cache.fragment('/a.md', 'h2', 'rss')).toBeUndefined(); // the file changed
    expect(cache.fragment('/a.md', 'h1', 'atom')).toBeUndefined();
    cache.pruneFragments(new Set(['/b.md']));
    expect(cache.fragment('/a.md', 'h1', 'rss')).toBeUndefined();
    expect(cache.fragment('/b.md', 'h1', 'rss')).toBe(fragment);
    cache.useKey('k2');
    expect(cache.fragment('/b.md', 'h1', 'rss')).toBeUndefined();
  });
});

describe('a build whose last result still stands', () => {
  async function scheduledSite() {
    const s = await cachedSite(3);
    await writeFile(path.join(s.contentDir, 'later.md'), article({ title: 'Embargoed', date: '2026-11-25T15:00:00Z' }));
    await writeFile(path.join(s.contentDir, 'raw.md'), article({ title: 'Raw', date: '2026-01-10' }, 'Text <b>raw</b>.'));
    await settle(s.contentDir);
    return { ...s, opts: { ...s.opts, reuseLastResult: true } };
  }

  it('is used only when asked for: a publisher (or any library caller by default) gets the site loaded', async () => {
    const s = await scheduledSite();
    await build(s.opts);
    const { reuseLastResult: _, ...plain } = s.opts;
    const r = await build(plain);
    // Loaded (every article, from the cache: nothing parsed again), selected, and nothing written anew.
    expect(r.kind).toBe('full');
    expect(r.articles).toHaveLength(5);
    expect(r.stats).toMatchObject({ parsed: 0, reused: 5 });
    expect(r.cache?.files.size).toBe(5);
    expect(r.write?.written).toEqual([]);
  });

  it('is not proven from a stat taken while the file was too fresh to trust, however long the build', async () => {
    const s = await scheduledSite();
    const file = path.join(s.contentDir, 'a2.md');
    // Saved just as the build starts, on a file system with whole-second timestamps.
    await writeFile(file, article({ title: 'Story 2 v1', date: '2026-01-03' }, 'Body 2.'));
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000);
    await utimes(file, mtime, mtime);
    let waited = false;
    const first = await build({
      ...s.opts,
      onProgress: () => {
        if (waited) return;
        waited = true;
        while (Date.now() - mtime.getTime() < 2200); // a long build: the stat is old by the time it ends
      },
    });
    expect(first.ok && waited).toBe(true);
    // Saved again within the same timestamp tick, with the same size.
    await writeFile(file, article({ title: 'Story 2 v2', date: '2026-01-03' }, 'Body 2.'));
    await utimes(file, mtime, mtime);
    const second = await build(s.opts);
    expect(second.kind).not.toBe('stands');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Story 2 v2');
  });

  it('after a cold build that stat\'ed each file as it parsed it: stands on those stats, and sees a change made after the parse', async () => {
    const s = await scheduledSite();
    const edited = path.join(s.contentDir, 'a1.md');
    let editedMidBuild = false;
    const cold = await build({
      ...s.opts,
      onProgress: (p) => {
        // Once everything is parsed, an author saves a1.md again (same size, an older mtime): its ctime moves.
        if (editedMidBuild || p.stage !== 'validate' || p.done !== p.total) return;
        editedMidBuild = true;
        writeFileSync(edited, readFileSync(edited, 'utf8').replace('Story 1', 'Story 9'));
        utimesSync(edited, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      },
    });
    expect(editedMidBuild).toBe(true);
    expect(cold.stats).toMatchObject({ parsed: 5, reused: 0 });
    // The build that follows does not stand on the stat taken before the edit: it publishes it.
    const next = await build(s.opts);
    expect(next.kind).not.toBe('stands');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Story 9');
    expect((await build(s.opts)).kind).toBe('stands');
  });

  it('refuses a file too large from the stat its parser took in a cold build, before reading it', async () => {
    const s = await scheduledSite();
    await writeFile(path.join(s.contentDir, 'big.md'), article({ title: 'Big', date: '2026-01-04' }, 'x'.repeat(6000)));
    const cold = await build({ ...s.opts, config: { ...s.opts.config, limits: { maxFileBytes: 4096 } }, keepGoing: true });
    expect(cold.diagnostics.filter((d) => d.code === 'file-too-large').map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`)).toEqual([
      expect.stringMatching(/big\.md:1:1 file is 60\d\d bytes, over the limit of 4096$/),
    ]);
    expect(cold.articles.map((a) => a.title)).not.toContain('Big');
  });

  it('loads nothing, writes nothing and reports what the last build reported', async () => {
    const s = await scheduledSite();
    const first = await build(s.opts);
    const second = await build(s.opts);
    expect(second.kind).toBe('stands');
    expect(second.stats).toEqual({ parsed: 0, reused: 5, rendered: 0, renderedAhead: 0, serialized: 0, fragments: 0, workers: 0 });
    expect(second.articles).toEqual([]);
    expect(second.counts).toEqual({ articles: 5, visible: 4, scheduled: 1, drafts: 0 });
    expect(second.counts).toEqual(first.counts);
    expect(second.nextDue).toEqual(new Date('2026-11-25T15:00:00Z'));
    expect(second.nextDueFile).toBe(first.nextDueFile);
    expect(second.feeds).toEqual(first.feeds);
    expect(second.updated).toEqual(first.updated);
    expect(second.write).toEqual({ written: [], unchanged: [...first.write!.written].sort(), removed: [] });
    // Warnings are reported again, as a full no-op build would.
    expect(second.diagnostics.map((d) => d.code)).toEqual(first.diagnostics.map((d) => d.code));
    expect(second.diagnostics.map((d) => d.code)).toContain('raw-html-removed');
  });

  it('does not stand once an article falls due: it is published at its time', async () => {
    const s = await scheduledSite();
    await build(s.opts);
    const before = await build({ ...s.opts, now: new Date('2026-11-25T14:59:59.999Z') });
    expect(before.kind).toBe('stands');
    const due = await build({ ...s.opts, now: new Date('2026-11-25T15:00:00Z') });
    expect(due.kind).not.toBe('stands');
    expect(due.visible[0]!.title).toBe('Embargoed');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Embargoed');
    expect(due.counts).toEqual({ articles: 5, visible: 5, scheduled: 0, drafts: 0 });
  });

  it('does not stand for a clock set before the newest public article', async () => {
    const s = await scheduledSite();
    await build(s.opts);
    const earlier = await build({ ...s.opts, now: new Date('2026-01-09T12:00:00Z') });
    expect(earlier.kind).not.toBe('stands');
    expect(earlier.visible.map((a) => a.title)).not.toContain('Raw');
  });

  it('does not stand when a content file was touched, added or removed', async () => {
    const s = await scheduledSite();
    await build(s.opts);
    const file = path.join(s.contentDir, 'a1.md');
    await utimes(file, new Date(), new Date(Date.now() - 30_000));
    expect((await build(s.opts)).kind).not.toBe('stands');
    expect((await build(s.opts)).kind).toBe('stands');
    await writeFile(path.join(s.contentDir, 'added.md'), article({ title: 'Added', date: '2026-02-01' }));
    await settle(s.contentDir);
    const added = await build(s.opts);
    expect(added.kind).not.toBe('stands');
    expect(added.counts.articles).toBe(6);
  });

  it('is never proven while a content file is too fresh for its stat to be trusted', async () => {
    const s = await scheduledSite();
    await writeFile(path.join(s.contentDir, 'a1.md'), article({ title: 'Fresh', date: '2026-01-02' }));
    await build(s.opts);
    const again = await build(s.opts);
    expect(again.kind).not.toBe('stands');
    expect(again.stats.parsed).toBe(0); // read again, and found unchanged
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Fresh');
  });

  it('does not stand after a failed build', async () => {
    const s = await scheduledSite();
    await build(s.opts);
    const file = path.join(s.contentDir, 'a1.md');
    const good = await readFile(file);
    const st = await stat(file);
    await writeFile(file, article({ title: 'Broken', date: '2026-02-30' }));
    expect((await build(s.opts)).ok).toBe(false);
    // Even with the old bytes and the old timestamps back, the failed build's doubt remains: build again from the cache.
    await writeFile(file, good);
    await utimes(file, st.atime, st.mtime);
    const r = await build(s.opts);
    expect(r.kind).not.toBe('stands');
    expect(r.ok).toBe(true);
  });
});

describe('a one-off build after a few files changed', () => {
  /** A site built once by `feedpipe build`'s path; `cold()` is what a build from nothing makes of the content now. */
  async function builtSite() {
    const s = await cachedSite(20);
    await writeFile(path.join(s.contentDir, 'later.md'), article({ title: 'Embargoed', date: '2026-11-25T15:00:00Z', tags: ['Odd'] }));
    await writeFile(path.join(s.contentDir, 'raw.md'), article({ title: 'Raw', date: '2026-01-20T12:00', tags: ['Even'] }, 'Text <b>raw</b>.'));
    await settle(s.contentDir);
    const opts = { ...s.opts, reuseLastResult: true };
    const first = await build(opts);
    expect(first.ok).toBe(true);
    const { cacheDir: _, reuseLastResult: __, ...plain } = opts;
    const cold = async (now = NOW) => (await build({ ...plain, now, write: false })).files;
    const expectCold = async (now = NOW) => {
      for (const [rel, text] of await cold(now)) expect(await readFile(path.join(s.outDir, rel), 'utf8'), rel).toBe(text);
    };
    const edit = (name: string, fields: Record<string, unknown>, body: string) => writeFile(path.join(s.contentDir, name), article(fields, body));
    return { ...s, opts, first, expectCold, edit };
  }

  it('loads only an edited article that kept its place, writes only the feeds that carry it, and gives the bytes of a cold build', async () => {
    const s = await builtSite();
    await s.edit('a19.md', { title: 'Story 19 & “corrected”', date: '2026-01-20', tags: ['Odd'] }, 'New body, ü 東京.');
    const r = await build(s.opts);
    expect(r.kind).toBe('changed-only');
    expect(r.stats).toMatchObject({ parsed: 1, reused: 21, rendered: 1, fragments: 3 });
    expect(r.articles).toEqual([]);
    expect(r.counts).toEqual(s.first.counts);
    expect(r.nextDue).toEqual(s.first.nextDue);
    expect(r.nextDueFile).toBe(s.first.nextDueFile);
    expect(r.feeds.map((f) => f.key)).toEqual(s.first.feeds.map((f) => f.key));
    expect(r.write!.written.sort()).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'index.html', 'tags/odd/atom.xml', 'tags/odd/feed.json', 'tags/odd/feed.xml']);
    await s.expectCold();
    // The render warning of an unchanged article in a feed made again is reported, as by a full build.
    expect(r.diagnostics.map((d) => [d.code, d.file])).toContainEqual(['raw-html-removed', expect.stringContaining('raw.md')]);
    // And it chains: the next edit starts from what this build saved.
    await s.edit('a18.md', { title: 'Story 18, v2', date: '2026-01-19', tags: ['Even'] }, 'Body 18 v2.');
    const next = await build(s.opts);
    expect(next.kind).toBe('changed-only');
    await s.expectCold();
    expect(await readFile(path.join(s.outDir, 'tags/even/feed.xml'), 'utf8')).toContain('Story 18, v2');
  });

  it('writes nothing for an edit no feed carries, and re-reads a touched file without parsing it as new', async () => {
    const s = await builtSite();
    await s.edit('a0.md', { title: 'Story 0, an old one, corrected', date: '2026-01-01', tags: ['Even'] }, 'Body 0 v2.');
    const r = await build(s.opts);
    expect(r.kind).toBe('changed-only');
    expect(r.write!.written).toEqual([]);
    await utimes(path.join(s.contentDir, 'a5.md'), new Date(), new Date(Date.now() - 30_000));
    const touched = await build(s.opts);
    expect(touched.kind).toBe('changed-only');
    expect(touched.stats.parsed).toBe(0);
    await s.expectCold();
  });

  it('falls back to the full build for every edit that moves an article in the site', async () => {
    const moves: [string, Record<string, unknown>][] = [
      ['date', { title: 'Story 19', date: '2026-01-02', tags: ['Odd'] }],
      ['updated', { title: 'Story 19', date: '2026-01-20', updated: '2026-02-01', tags: ['Odd'] }],
      ['tags', { title: 'Story 19', date: '2026-01-20', tags: ['Odd', 'New'] }],
      ['tag spelling', { title: 'Story 19', date: '2026-01-20', tags: ['odd'] }],
      ['section', { title: 'Story 19', date: '2026-01-20', tags: ['Odd'], section: 'World' }],
      ['draft', { title: 'Story 19', date: '2026-01-20', tags: ['Odd'], draft: true }],
      ['id', { title: 'Story 19', date: '2026-01-20', tags: ['Odd'], id: 'urn:x:19' }],
      ['slug', { title: 'Story 19', date: '2026-01-20', tags: ['Odd'], slug: 'story-nineteen' }],
    ];
    for (const [what, fields] of moves) {
      const s = await builtSite();
      await s.edit('a19.md', fields, 'Body 19.');
      const r = await build(s.opts);
      expect(r.kind, what).not.toBe('changed-only');
      expect(r.ok, what).toBe(true);
      await s.expectCold();
    }
  });

  it('falls back to the full build for an added or removed file, an error, a due article or another clock', async () => {
    const s = await builtSite();
    await writeFile(path.join(s.contentDir, 'added.md'), article({ title: 'Added', date: '2026-02-01' }));
    expect((await build(s.opts)).kind).not.toBe('changed-only');
    await rm(path.join(s.contentDir, 'added.md'));
    expect((await build(s.opts)).kind).not.toBe('changed-only');
    await s.expectCold();
    await s.edit('a3.md', { title: 'Story 3', date: '2026-02-30' }, 'Body 3.');
    const broken = await build(s.opts);
    expect(broken.kind).not.toBe('changed-only');
    expect(broken.ok).toBe(false);
    await s.edit('a3.md', { title: 'Story 3, fixed', date: '2026-01-04', tags: ['Odd'] }, 'Body 3.');
    const due = await build({ ...s.opts, now: new Date('2026-11-25T15:00:00Z') });
    expect(due.kind).not.toBe('changed-only');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Embargoed');
    await s.expectCold(new Date('2026-11-25T15:00:00Z'));
  });

  it('never takes the last version from a cache that another build updated since', async () => {
    const s = await builtSite();
    // A library build with the same cache, not asked to reuse anything, publishes a19 moved to another date.
    await s.edit('a19.md', { title: 'Story 19', date: '2026-01-02', tags: ['Odd'] }, 'Body 19.');
    const { reuseLastResult: _, ...library } = s.opts;
    expect((await build(library)).ok).toBe(true);
    // Then a19 is edited again, staying where it moved: compared with what the last `feedpipe build` read, it moved.
    await s.edit('a19.md', { title: 'Story 19, v3', date: '2026-01-02', tags: ['Odd'] }, 'Body 19.');
    const r = await build(s.opts);
    expect(r.kind).not.toBe('changed-only');
    await s.expectCold();
  });

  it('does not report a warning about a symbolic link that is gone, whether the rest changed or not', async () => {
    const s = await builtSite();
    await writeFile(path.join(s.root, 'outside.md'), article({ title: 'Outside', date: '2026-01-03' }));
    await symlink(path.join(s.root, 'outside.md'), path.join(s.contentDir, 'link.md'));
    expect((await build(s.opts)).diagnostics.map((d) => d.code)).toContain('symlink-skipped');
    await rm(path.join(s.contentDir, 'link.md'));
    const unchanged = await build(s.opts);
    expect(unchanged.ok).toBe(true);
    expect(unchanged.diagnostics.map((d) => d.code)).not.toContain('symlink-skipped');
    await symlink(path.join(s.root, 'outside.md'), path.join(s.contentDir, 'link.md'));
    expect((await build(s.opts)).diagnostics.map((d) => d.code)).toContain('symlink-skipped');
    // The link is removed and one article edited in place.
    await rm(path.join(s.contentDir, 'link.md'));
    await s.edit('a19.md', { title: 'Story 19, v2', date: '2026-01-20', tags: ['Odd'] }, 'Body 19 v2.');
    const edited = await build(s.opts);
    expect(edited.ok).toBe(true);
    expect(edited.diagnostics.map((d) => d.code)).not.toContain('symlink-skipped');
    await s.expectCold();
  });
});

describe('author feeds, built again after an edit', () => {
  /** Eight articles by Ann and Bob, built once by `feedpipe build`'s path (with its proofs), and what a build from nothing makes now. */
  async function authoredSite() {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`a${i}.md`] = article({ title: `Story ${i}`, date: `2026-01-${String(i + 1).padStart(2, '0')}`, author: i % 2 ? 'Ann' : 'Bob', tags: ['T'] }, `Body ${i}.`);
    const s = await makeSite(files);
    await settle(s.contentDir);
    const config = { ...baseConfig, feeds: { limit: 3, archives: false } };
    const opts = { config, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root, cacheDir: path.join(s.root, '.cache'), reuseLastResult: true };
    expect((await build(opts)).feeds.map((f) => f.key)).toEqual(['main', 'tag/t', 'author/ann', 'author/bob']);
    /** The published files are those a cold build makes, byte for byte, and no others. */
    const expectCold = async (outDir = s.outDir) => {
      // Cold: no cache; the last publication read only for the feeds it keeps empty a while (publish/emptied.ts).
      const cold = (await build({ config, contentDir: s.contentDir, outDir, now: NOW, cwd: s.root, write: false })).files;
      const published = (await readdir(outDir, { recursive: true })).filter((f) => /\.(xml|json|html|xsl)$/.test(f) && !path.basename(f).startsWith('.'));
      expect(published.map((f) => f.split(path.sep).join('/')).sort()).toEqual([...cold.keys()].sort());
      for (const [rel, text] of cold) expect(await readFile(path.join(outDir, rel), 'utf8'), rel).toBe(text);
    };
    const edit = (i: number, author: string, body = `Body ${i}, edited.`) => writeFile(path.join(s.contentDir, `a${i}.md`), article({ title: `Story ${i}`, date: `2026-01-0${i + 1}`, author, tags: ['T'] }, body));
    return { ...s, opts, config, expectCold, edit };
  }

  it('a one-off build: an edit that keeps the author touches that author’s feed only; a new author moves the article, as a cold build would', async () => {
    const s = await authoredSite();
    await s.edit(7, 'Ann');
    const kept = await build(s.opts);
    expect(kept.kind).toBe('changed-only');
    expect(kept.write!.written.filter((f) => f.startsWith('authors/'))).toEqual(['authors/ann/atom.xml', 'authors/ann/feed.json', 'authors/ann/feed.xml']);
    await s.expectCold();
    // Ann's newest article now by Bob: it leaves Ann's feed for Bob's.
    await s.edit(7, 'Bob');
    const moved = await build(s.opts);
    expect(moved.kind).not.toBe('changed-only');
    expect(await readFile(path.join(s.outDir, 'authors/bob/feed.xml'), 'utf8')).toContain('Story 7');
    expect(await readFile(path.join(s.outDir, 'authors/ann/feed.xml'), 'utf8')).not.toContain('Story 7');
    await s.expectCold();
    // A new name: a new feed; its only article back to Bob: the feed stays, empty, for feeds.keepEmptyDays.
    await s.edit(6, 'Cy');
    expect((await build(s.opts)).feeds.map((f) => f.key)).toContain('author/cy');
    await s.expectCold();
    await s.edit(6, 'Bob');
    const back = await build(s.opts);
    expect(back.write!.removed).toEqual([]);
    expect(back.feeds.find((f) => f.key === 'author/cy')).toMatchObject({ items: 0 });
    await s.expectCold();
  });

  it('a publisher (cache in memory, the watcher’s changed path): the same', async () => {
    const s = await authoredSite();
    const { cacheDir: _, reuseLastResult: __, ...plain } = s.opts;
    const cache = new BuildCache('');
    await build({ ...plain, cache });
    const file = path.join(s.contentDir, 'a7.md');
    for (const author of ['Ann', 'Bob', 'Ann', 'Cy']) {
      await s.edit(7, author, `Body 7 by ${author}.`);
      const r = await build({ ...plain, cache, changedPaths: [file] });
      expect(r.ok, author).toBe(true);
      await s.expectCold();
    }
  });
});
