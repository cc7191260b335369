/**
 * A file with errors holds back nobody else's publication in the publisher (and in
 * `feedpipe build --keep-going`): it stands as the version the last publication carried, or
 * stays out; which articles are public is still select's decision alone.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { runCli } from '../../src/cli/main.js';
import { BuildCache } from '../../src/incremental/cache.js';
import { article, baseConfig, makeSite } from '../helpers/site.js';

const BROKEN_DATE = '---\ntitle: Broken\ndate: 2026-02-30\n---\nBody.\n';
const at = (iso: string) => new Date(iso);

async function site(files: Record<string, string>) {
  const s = await makeSite(files);
  const cache = new BuildCache('');
  const run = (now: string, extra: { keepGoing?: boolean } = { keepGoing: true }) => build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, cwd: s.root, now: at(now), cache, ...extra });
  const feed = () => readFile(path.join(s.outDir, 'feed.json'), 'utf8').then((t) => JSON.parse(t) as { items: { id: string; title: string }[] });
  const put = (rel: string, text: string) => writeFile(path.join(s.contentDir, rel), text);
  return { ...s, run, feed, put };
}

describe('a file with errors, with keepGoing', () => {
  it('never holds back an article falling due: the due one is published, the broken draft held out', async () => {
    const s = await site({ 'due.md': article({ title: 'Due at nine', date: '2026-06-01T09:00:00Z' }), 'old.md': article({ title: 'Old', date: '2026-01-01' }) });
    expect((await s.run('2026-06-01T08:00:00Z')).ok).toBe(true);
    await s.put('draft.md', '---\ntitle: Typo\ndraft: true\ndate: 2026-13-01\n---\n');
    const report = await s.run('2026-06-01T09:00:00Z');
    expect(report.ok).toBe(true);
    expect(report.write).toBeDefined();
    expect(report.held).toEqual([{ file: expect.stringMatching(/content\/draft\.md$/), kept: false }]);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'invalid-date', severity: 'error', held: true, file: expect.stringMatching(/draft\.md$/), line: 4 }));
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['Due at nine', 'Old']);
  });

  it('strict (the default of feedpipe build): the same content publishes nothing', async () => {
    const s = await site({ 'due.md': article({ title: 'Due at nine', date: '2026-06-01T09:00:00Z' }), 'draft.md': '---\ntitle: Typo\ndraft: true\ndate: 2026-13-01\n---\n' });
    const report = await s.run('2026-06-01T09:00:00Z', {});
    expect(report.ok).toBe(false);
    expect(report.write).toBeUndefined();
    expect(report.held).toBeUndefined();
    expect(report.diagnostics.find((d) => d.code === 'invalid-date')?.held).toBeUndefined();
  });

  it('a published article that breaks keeps its last published version; its fix replaces it', async () => {
    const s = await site({ 'a.md': article({ title: 'First version', date: '2026-01-01' }), 'b.md': article({ title: 'Other', date: '2026-01-02' }) });
    await s.run('2026-06-01T00:00:00Z');
    await s.put('a.md', BROKEN_DATE);
    await s.put('c.md', article({ title: 'New and fine', date: '2026-01-03' }));
    const report = await s.run('2026-06-01T00:01:00Z');
    expect(report.held).toEqual([{ file: expect.stringMatching(/a\.md$/), kept: true }]);
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['New and fine', 'Other', 'First version']);
    await s.put('a.md', article({ title: 'Fixed version', date: '2026-01-01' }));
    const fixed = await s.run('2026-06-01T00:02:00Z');
    expect(fixed.held).toBeUndefined();
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['New and fine', 'Other', 'Fixed version']);
  });

  it('an article scheduled, then broken before its time, stays out when its time comes: it was never published', async () => {
    const s = await site({ 'soon.md': article({ title: 'Soon', date: '2026-06-01T09:00:00Z' }), 'old.md': article({ title: 'Old', date: '2026-01-01' }) });
    await s.run('2026-06-01T08:00:00Z');
    await s.put('soon.md', '---\ntitle: Soon\ndate: 2026-06-01T09:00:00Z\nsection: [not, text]\n---\n');
    const report = await s.run('2026-06-01T10:00:00Z');
    expect(report.held).toEqual([{ file: expect.stringMatching(/soon\.md$/), kept: false }]);
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['Old']);
  });

  it('a kept version is still select\'s to show: a stand-in whose date is after the clock is not public', async () => {
    const s = await site({ 'a.md': article({ title: 'Published', date: '2026-05-01' }), 'b.md': article({ title: 'Other', date: '2026-01-01' }) });
    await s.run('2026-06-01T00:00:00Z');
    await s.put('a.md', BROKEN_DATE);
    // The clock stepped back before the kept version's date: select hides it, as it would the valid file.
    const report = await s.run('2026-04-01T00:00:00Z');
    expect(report.held?.[0]?.kept).toBe(true);
    expect(report.scheduled.map((a) => a.title)).toEqual(['Published']);
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['Other']);
  });

  it('a new file taking a published article\'s id: both are held, as a strict build errs on both; the published one keeps its place', async () => {
    const s = await site({ 'a.md': article({ title: 'Original', date: '2026-01-01', id: 'story-1' }) });
    await s.run('2026-06-01T00:00:00Z');
    await s.put('b.md', article({ title: 'Copy', date: '2026-01-02', id: 'story-1' }));
    const report = await s.run('2026-06-01T00:01:00Z');
    expect(report.held).toEqual([
      { file: expect.stringMatching(/a\.md$/), kept: true },
      { file: expect.stringMatching(/b\.md$/), kept: false },
    ]);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'duplicate-id', held: true, file: expect.stringMatching(/b\.md$/) }));
    expect((await s.feed()).items.map((i) => i.title)).toEqual(['Original']);
  });
});

describe('feedpipe build --keep-going', () => {
  async function cli(root: string, ...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['build', '--now', '2026-06-01T00:00:00Z', ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: root });
    return { code, stdout, stderr };
  }

  it('publishes the rest, keeps a broken article as the last build without errors published it, on every run, and exits 1', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'First version', date: '2026-01-01' }), 'b.md': article({ title: 'Other', date: '2026-01-02' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Keep Times\n  url: https://keep.example.com/\n');
    expect((await cli(s.root)).code).toBe(0);
    await writeFile(path.join(s.contentDir, 'a.md'), BROKEN_DATE);
    await writeFile(path.join(s.contentDir, 'c.md'), article({ title: 'New', date: '2026-01-03' }));
    const strict = await cli(s.root);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('nothing was published');
    for (let i = 0; i < 2; i++) {
      const going = await cli(s.root, '--keep-going');
      expect(going.code).toBe(1);
      expect(going.stderr).toContain('content/a.md:3:7  error  date: "2026-02-30" is not a real date');
      expect(going.stderr).toContain('1 file with errors held back (1 kept the version last published, 0 left out)');
      const feed = JSON.parse(await readFile(path.join(s.outDir, 'feed.json'), 'utf8')) as { items: { title: string }[] };
      expect(feed.items.map((it) => it.title)).toEqual(['New', 'Other', 'First version']);
    }
  });

  it('a kept version whose render was not kept (the cache lost it) cannot be made from the changed file: it is left out, the rest published', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'First version', date: '2026-01-01' }), 'b.md': article({ title: 'Other', date: '2026-01-02' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Keep Times\n  url: https://keep.example.com/\n');
    expect((await cli(s.root)).code).toBe(0);
    const cacheDir = path.join(s.root, '.feedpipe-cache');
    for (const f of await readdir(cacheDir)) if (/\.(renders|fragments)-/.test(f)) await rm(path.join(cacheDir, f));
    await writeFile(path.join(s.contentDir, 'a.md'), BROKEN_DATE);
    // A new article: the feed is made again, and with it the kept version's item.
    await writeFile(path.join(s.contentDir, 'c.md'), article({ title: 'New', date: '2026-01-03' }));
    const going = await cli(s.root, '--keep-going');
    expect(going.code).toBe(1);
    expect(going.stderr).toContain('1 file with errors held back (0 kept the version last published, 1 left out)');
    const feed = JSON.parse(await readFile(path.join(s.outDir, 'feed.json'), 'utf8')) as { items: { title: string }[] };
    expect(feed.items.map((it) => it.title)).toEqual(['New', 'Other']);
  });

  it('feedpipe schedule lists the files held back, and what is still to come', async () => {
    const s = await makeSite({ 'soon.md': article({ title: 'Soon', date: '2027-01-01' }), 'bad.md': '---\ntitle: Bad\ndate: nope\n---\n' });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Keep Times\n  url: https://keep.example.com/\n');
    let stdout = '';
    let stderr = '';
    const code = await runCli(['schedule', '--now', '2026-06-01T00:00:00Z'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: s.root });
    expect(code).toBe(1);
    expect(stderr).toContain('content/bad.md:3:7  error');
    expect(stdout).toContain('Scheduled: 1 article');
    expect(stdout).toMatch(/Held back by errors: 1 file .*\n {2}content\/bad\.md\n/);
  });
});
