/**
 * A feed whose last article goes stays published with no items for feeds.keepEmptyDays, valid in
 * every format, rather than turning into a 404 that feed readers log as an error; then it leaves.
 * The build that takes a shortcut meanwhile publishes what a cold build does, and none publishes it
 * past its time.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import { parseFeedRecords } from '../../src/publish/feed-records.js';
import { parseManifest } from '../../src/publish/manifest.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { atomRulesBeyondRelaxNg, validateAtomRelaxNg, validateJsonFeed, validateXmlStrict } from '../helpers/validators.js';

const DAY = 86_400_000;
const config: ConfigInput = { ...baseConfig, feeds: { limit: 5, authors: false } };

async function site(cfg = config) {
  const s = await makeSite({
    'a.md': article({ title: 'Alpha', date: '2026-11-20T09:00:00Z', tags: ['Stays', 'Goes'] }),
    'b.md': article({ title: 'Beta', date: '2026-11-21T09:00:00Z', tags: ['Stays'] }),
  });
  // As `feedpipe build` runs: a cache on disk, and the last result's shortcuts.
  const run = (now: Date) => build({ config: cfg, contentDir: s.contentDir, outDir: s.outDir, now, cwd: s.root, cacheDir: path.join(s.root, '.cache'), reuseLastResult: true });
  const untag = () => writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'Alpha', date: '2026-11-20T09:00:00Z', tags: ['Stays'] }));
  const read = (rel: string) => readFile(path.join(s.outDir, rel), 'utf8');
  return { ...s, run, untag, read };
}

describe('a feed whose last article went', () => {
  it('stays published with no items, valid in every format, dated when it emptied, and off the index page', async () => {
    const s = await site();
    expect((await s.run(NOW)).ok).toBe(true);
    await s.untag();
    const emptied = new Date(NOW.getTime() + 3_600_000);
    const r = await s.run(emptied);
    expect(r.ok).toBe(true);
    expect(r.write!.removed).toEqual([]);
    const atom = await s.read('tags/goes/atom.xml');
    const rss = await s.read('tags/goes/feed.xml');
    const json = await s.read('tags/goes/feed.json');
    for (const xml of [atom, rss]) expect(validateXmlStrict(xml)).toEqual([]);
    expect(await validateAtomRelaxNg(atom)).toEqual([]);
    expect(atomRulesBeyondRelaxNg(atom)).toEqual([]);
    expect(validateJsonFeed(json)).toEqual([]);
    expect(JSON.parse(json)).toMatchObject({ title: 'Test Times: Goes', items: [] });
    expect(atom).not.toContain('<entry>');
    expect(rss).not.toContain('<item>');
    // The feed changed when its last item went: its date says so.
    expect(atom).toContain(`<updated>${emptied.toISOString()}</updated>`);
    // Nobody should subscribe to it now: the page for people does not list it.
    expect(await s.read('index.html')).not.toContain('tags/goes/');
    expect(await s.read('index.html')).toContain('tags/stays/');
    // The next time it leaves is the next due time.
    expect(r.nextDue).toEqual(new Date(emptied.getTime() + 30 * DAY));
    expect(r.nextDueFile).toBe(`${path.relative(s.root, s.outDir)}/tags/goes/ (an empty feed that leaves then)`);
  });

  it('leaves after feeds.keepEmptyDays, whichever path the builds take, and a cold build agrees at every step', async () => {
    const s = await site();
    expect((await s.run(NOW)).ok).toBe(true);
    await s.untag();
    const emptied = new Date(NOW.getTime() + 3_600_000);
    expect((await s.run(emptied)).ok).toBe(true);
    for (const [days, there] of [[1, true], [29.9, true], [30, false], [31, false]] as const) {
      const at = new Date(emptied.getTime() + days * DAY);
      const r = await s.run(at);
      expect(r.ok, `day ${days}`).toBe(true);
      expect(existsSync(path.join(s.outDir, 'tags/goes/feed.json')), `day ${days}`).toBe(there);
      // Cold: no cache; the last publication is read from the manifest, as every build does.
      const cold = await build({ config, contentDir: s.contentDir, outDir: s.outDir, now: at, cwd: s.root, write: false });
      const manifest = parseManifest(await s.read('.feedpipe-manifest.json'));
      expect(manifest.files.slice().sort(), `day ${days}`).toEqual([...cold.files.keys()].sort());
      for (const [rel, text] of cold.files) expect(await s.read(rel), `${rel} on day ${days}`).toBe(text);
    }
    // Gone for good: its record left with it.
    expect(parseFeedRecords(parseManifest(await s.read('.feedpipe-manifest.json')).feeds)['tags/goes/']).toBeUndefined();
  });

  it('is not kept by a build whose output folder was wiped, though its cache remains: there is no record of it', async () => {
    const s = await site();
    expect((await s.run(NOW)).ok).toBe(true);
    await s.untag();
    expect((await s.run(new Date(NOW.getTime() + DAY))).ok).toBe(true);
    expect(existsSync(path.join(s.outDir, 'tags/goes/feed.json'))).toBe(true);
    await rm(s.outDir, { recursive: true });
    const again = await s.run(new Date(NOW.getTime() + 2 * DAY));
    expect(again.ok).toBe(true);
    expect(again.kind).toBe('full');
    expect(existsSync(path.join(s.outDir, 'tags/goes/feed.json'))).toBe(false);
  });

  it('comes back as before when an article is tagged again in time', async () => {
    const s = await site();
    expect((await s.run(NOW)).ok).toBe(true);
    const before = await s.read('tags/goes/atom.xml');
    await s.untag();
    expect((await s.run(new Date(NOW.getTime() + DAY))).ok).toBe(true);
    await writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'Alpha', date: '2026-11-20T09:00:00Z', tags: ['Stays', 'Goes'] }));
    expect((await s.run(new Date(NOW.getTime() + 2 * DAY))).ok).toBe(true);
    expect(await s.read('tags/goes/atom.xml')).toBe(before);
    expect(parseFeedRecords(parseManifest(await s.read('.feedpipe-manifest.json')).feeds)['tags/goes/']).toEqual({ key: 'tag/goes', kind: 'tag', title: 'Test Times: Goes', description: 'Articles tagged “Goes” from Test Times' });
  });

  it('goes at once with feeds.keepEmptyDays: 0, and when its kind of feed is turned off', async () => {
    const s = await site({ ...config, feeds: { limit: 5, authors: false, keepEmptyDays: 0 } });
    expect((await s.run(NOW)).ok).toBe(true);
    await s.untag();
    const r = await s.run(new Date(NOW.getTime() + DAY));
    expect(r.write!.removed.sort()).toEqual(['tags/goes/atom.xml', 'tags/goes/feed.json', 'tags/goes/feed.xml']);

    const t = await site();
    expect((await t.run(NOW)).ok).toBe(true);
    const off = await build({ config: { ...config, feeds: { limit: 5, authors: false, tags: false } }, contentDir: t.contentDir, outDir: t.outDir, now: NOW, cwd: t.root });
    expect(off.write!.removed.filter((f) => f.startsWith('tags/')).length).toBe(6);
  });
});
