/** The proofs each shortcut relies on, one by one, on plain values and small files: no build. */
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reuseModels, reuseSelection } from '../../src/incremental/selection.js';
import { buildFeedModels } from '../../src/publish/model.js';
import { configSchema } from '../../src/config/config.js';
import { loadStanding, saveStanding, stands, type Standing } from '../../src/incremental/standing.js';
import { digestStats, isRacy, statAll } from '../../src/incremental/stat.js';
import { changedSince, loadSummary, samePlace, saveSummary, type SiteSummary } from '../../src/incremental/summary.js';
import type { StoredArticle } from '../../src/incremental/stored.js';
import { select } from '../../src/publish/select.js';
import { fakeArticle } from '../helpers/articles.js';
import { madeSites } from '../helpers/site.js';

async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-proofs-'));
  madeSites.push(dir);
  return dir;
}

async function oldFile(dir: string, name: string, text: string, mtimeSeconds = 1_700_000_000): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await utimes(file, mtimeSeconds, mtimeSeconds);
  return file;
}

describe('stat digests', () => {
  it('change with a file’s size, mtime or set of files; refuse a stat too fresh to trust', async () => {
    const dir = await folder();
    const a = await oldFile(dir, 'a.md', 'one');
    const b = await oldFile(dir, 'b.md', 'two');
    const digest = () => digestStats([a, b], statAll([a, b]), Date.now());
    const first = digest();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(digest()).toBe(first);
    await oldFile(dir, 'b.md', 'two!');
    expect(digest()).not.toBe(first);
    expect(digestStats([a], statAll([a]), Date.now())).not.toBe(digest());
    await writeFile(a, 'just now');
    expect(isRacy((await import('node:fs')).statSync(a), Date.now())).toBe(true);
    expect(digest()).toBeUndefined();
    expect(digestStats([a, path.join(dir, 'gone.md')], statAll([a]), Date.now() + 10_000)).toBeUndefined();
  });
});

describe('the standing proof', () => {
  const window = { validFrom: Date.parse('2026-01-01T00:00:00Z'), validUntil: Date.parse('2026-02-01T00:00:00Z') };
  const standingFor = (inputs: string, outputs: Standing['outputs']): Standing => ({
    key: 'k', inputs, window, counts: { articles: 1, visible: 1, scheduled: 0, drafts: 0 }, feeds: [], updated: [], diagnostics: [], outputs,
  });

  it('holds only for the same inputs, inside the window, with every published file untouched', async () => {
    const out = await folder();
    const feed = await oldFile(out, 'feed.xml', '<rss/>');
    const st = statAll([feed]).get(feed)!;
    const s = standingFor('digest', [['feed.xml', st]]);
    const inside = Date.parse('2026-01-15T00:00:00Z');
    expect(stands(s, 'digest', inside, out)).toBe(true);
    expect(stands(s, 'other', inside, out)).toBe(false);
    expect(stands(s, undefined, inside, out)).toBe(false);
    expect(stands(s, 'digest', window.validUntil, out)).toBe(false);
    expect(stands(s, 'digest', window.validFrom - 1, out)).toBe(false);
    await oldFile(out, 'feed.xml', '<rss></rss>');
    expect(stands(s, 'digest', inside, out)).toBe(false);
  });

  it('is saved and loaded under its key only; removed when there is none', async () => {
    const dir = await folder();
    const file = path.join(dir, 'build.standing.json');
    await saveStanding(file, standingFor('d', []));
    expect((await loadStanding(file, 'k'))?.inputs).toBe('d');
    expect(await loadStanding(file, 'another key')).toBeUndefined();
    await writeFile(file, '{"key":"k","inputs":"d","outputs":[],"validFrom":0}'); // an older format, without a window
    expect(await loadStanding(file, 'k')).toBeUndefined();
    await saveStanding(file, undefined);
    await expect(readFile(file)).rejects.toThrow();
  });
});

describe('the summary', () => {
  const stored = (over: Partial<StoredArticle> = {}): StoredArticle => ({
    title: 'T', date: 1, id: 'x', slug: 's', url: 'https://e.com/s/', tags: ['A', 'B'], authors: [], draft: false, frontmatterLine: 2, bodyLine: 5, ...over,
  } as StoredArticle);

  it('samePlace: an edit that moves nothing keeps its place; anything select, sorting or grouping reads does not', () => {
    expect(samePlace(stored(), stored({ title: 'Other', summary: 'new' }))).toBe(true);
    for (const moved of [{ id: 'y' }, { date: 2 }, { draft: true }, { url: 'https://e.com/t/' }, { updated: 5 }, { section: 'World' }, { tags: ['B', 'A'] }, { tags: ['A', 'b'] }, { tags: ['A'] }]) {
      expect(samePlace(stored(), stored(moved)), JSON.stringify(moved)).toBe(false);
    }
  });

  it('round-trips through its file and finds the files whose stat changed', async () => {
    const dir = await folder();
    const a = await oldFile(dir, 'a.md', 'one');
    const b = await oldFile(dir, 'b.md', 'two');
    const stats = statAll([a, b]);
    const flat = new Float64Array([...[a, b].flatMap((p) => { const s = stats.get(p)!; return [s.size, s.mtimeMs, s.ctimeMs, s.ino]; })]);
    const summary: SiteSummary = { key: 'k', window: { validFrom: 0 }, paths: [a, b], stats: flat, hashes: ['h1', 'h2'], carried: [], models: [], counts: { articles: 2, visible: 2, scheduled: 0, drafts: 0 }, diagnostics: [] };
    const file = path.join(dir, 'build.summary.json');
    await saveSummary(file, summary);
    const loaded = (await loadSummary(file, 'k'))!;
    expect(loaded.paths).toEqual([a, b]);
    expect(loaded.hashes[1]!.replace(/-+$/, '')).toBe('h2');
    expect(await loadSummary(file, 'other')).toBeUndefined();
    expect(changedSince(loaded, [a, b], statAll([a, b]))).toEqual([]);
    await oldFile(dir, 'b.md', 'two, edited', 1_700_000_100);
    expect(changedSince(loaded, [a, b], statAll([a, b]))).toEqual([1]);
    expect(changedSince(loaded, [a], statAll([a]))).toBeUndefined(); // another set of files: no summary
  });
});

describe("the publisher's reused selection", () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const a = fakeArticle({ id: 'a', date: new Date('2026-01-01T00:00:00Z') });
  const b = fakeArticle({ id: 'b', date: new Date('2026-07-01T00:00:00Z') });
  const memo = { articles: [a, b], selection: select([a, b], now), collisions: [] };

  it('stands for an edit that changes nothing select reads, with the new version in place', () => {
    const edited = { ...a, title: 'Corrected' };
    const r = reuseSelection(memo, [edited, b], now)!;
    expect(r.selection.visible).toEqual([edited]);
    expect(r.selection.visible[0]).toBe(edited);
  });

  it("reuses the feeds' models for an edit that keeps section and tags, with the new version in each feed that carries it", () => {
    const config = configSchema.parse({ site: { title: 'T', url: 'https://t.example/' } });
    const x = fakeArticle({ id: 'x', date: new Date('2026-02-01T00:00:00Z'), section: 'World', tags: ['Rain'] });
    const y = fakeArticle({ id: 'y', date: new Date('2026-03-01T00:00:00Z'), section: 'Sport', tags: ['Rain', 'Sun'] });
    const visible = select([x, y], now).visible;
    const withModels = { articles: [x, y], selection: select([x, y], now), collisions: [], models: buildFeedModels(visible, config) };
    const edited = { ...x, title: 'Corrected' };
    const r = reuseSelection(withModels, [edited, y], now)!;
    const models = reuseModels(withModels, r.replaced)!;
    // The same feeds as grouping the new selection from scratch, holding the new version itself.
    expect(models).toEqual(buildFeedModels(r.selection.visible, config));
    expect(models.find((m) => m.key === 'section/world')!.items[0]).toBe(edited);
    expect(models.find((m) => m.key === 'tag/rain')!.items).toEqual([y, edited]);
    // A new tag or section moves it between feeds: grouped again.
    for (const moved of [{ ...x, tags: ['Rain', 'Snow'] }, { ...x, tags: ['rain'] }, { ...x, section: 'Sport' }]) {
      expect(reuseModels(withModels, reuseSelection(withModels, [moved, y], now)!.replaced)).toBeUndefined();
    }
    // Without models made yet (the last build stopped before it grouped), none to reuse.
    expect(reuseModels(memo, reuseSelection(memo, [{ ...a, title: 'Corrected' }, b], now)!.replaced)).toBeUndefined();
  });

  it('is refused after a date or draft change, another set of files, or a clock outside its window', () => {
    expect(reuseSelection(memo, [{ ...a, date: new Date('2026-08-01T00:00:00Z') }, b], now)).toBeUndefined();
    expect(reuseSelection(memo, [{ ...a, draft: true }, b], now)).toBeUndefined();
    expect(reuseSelection(memo, [a], now)).toBeUndefined();
    expect(reuseSelection(memo, [a, b], b.date)).toBeUndefined(); // b falls due
    expect(reuseSelection(memo, [a, b], new Date('2025-12-31T00:00:00Z'))).toBeUndefined(); // clock set back before a
  });
});
