import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildCache } from '../../src/incremental/cache.js';
import { fragmentText } from '../../src/publish/fragment.js';
import { decode, loadBinaryShards, saveBinaryShards, ShardedMap, type Saved } from '../../src/incremental/shards.js';

type Entry = { meta: string; texts: (Saved | string)[] };

describe('binary shards (renders and feed items)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function saved(n: number) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-shards-'));
    const file = path.join(dir, 'build-x.json');
    const map = new ShardedMap<Entry>();
    for (let i = 0; i < n; i++) map.set(`/c/a${i}.md`, { meta: `m${i}`, texts: [`<p>Item ${i} é 🎉</p>`, `second ${i}`] });
    await saveBinaryShards(file, 'items', 'k', map, (v) => [v.meta, v.texts]);
    const load = () => loadBinaryShards<string, { meta: string; texts: Saved[] }>(file, 'items', 'k', (meta, texts) => ({ meta, texts }));
    return { file, load };
  }

  it('loads what was saved, each text decoded when first used', async () => {
    const { load } = await saved(200);
    const map = await load();
    expect(map.size).toBe(200);
    expect(map.get('/c/a7.md')!.meta).toBe('m7');
    expect(map.get('/c/a7.md')!.texts.map(decode)).toEqual(['<p>Item 7 é 🎉</p>', 'second 7']);
    expect(map.dirty.size).toBe(0);
  });

  it('reads a text from the file only when used: bytes of a file replaced after loading fail their digest, never pass as the text', async () => {
    const { load } = await saved(50);
    const map = await load();
    const used = map.get('/c/a1.md')!.texts[0]!;
    expect(decode(used)).toBe('<p>Item 1 é 🎉</p>');
    // Every shard rewritten in place with other bytes of the same length (another build, bit rot).
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.bin'))) {
      const bytes = readFileSync(path.join(dir, f));
      const newline = bytes.indexOf(10);
      bytes.fill(0x78, newline + 1);
      writeFileSync(path.join(dir, f), bytes);
    }
    // Read before the change: kept. Not read yet: read now, and refused.
    expect(decode(used)).toBe('<p>Item 1 é 🎉</p>');
    expect(decode(map.get('/c/a2.md')!.texts[0]!)).toBeUndefined();
    // A file gone: no bytes, refused.
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.bin'))) rmSync(path.join(dir, f));
    expect(decode(map.get('/c/a3.md')!.texts[1]!)).toBeUndefined();
  });

  it('saves a loaded shard again whole, texts never read included, and ignores a torn one', async () => {
    const { file, load } = await saved(40);
    const map = await load();
    const entry = map.get('/c/a5.md')!;
    map.set('/c/a5.md', { ...entry, meta: 'changed' });
    const dirty = [...map.dirty];
    expect(dirty).toHaveLength(1);
    await saveBinaryShards(file, 'items', 'k', map, (v) => [v.meta, v.texts]);
    const again = await load();
    expect(again.size).toBe(40);
    expect(again.get('/c/a5.md')!.meta).toBe('changed');
    for (const [p, v] of again) expect(v.texts.map(decode), p).toEqual([`<p>Item ${p.match(/a(\d+)/)![1]} é 🎉</p>`, `second ${p.match(/a(\d+)/)![1]}`]);
    // Cut short by a crash: the lengths no longer add up, the shard is ignored.
    const one = readdirSync(dir).find((f) => f.endsWith('.bin'))!;
    const bytes = readFileSync(path.join(dir, one));
    writeFileSync(path.join(dir, one), bytes.subarray(0, bytes.length - 1));
    expect((await load()).size).toBeLessThan(40);
  });
});

describe('feed items read back from the cache', () => {
  it('come as checked bytes, with no text decoded until one is asked for, then decoded once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-fragments-'));
    try {
      const file = path.join(dir, 'build-x.json');
      const cache = new BuildCache('k', file);
      const text = '<item><title>Café 🎉 &amp; more</title></item>\n';
      cache.setFragment('/c/a.md', 'h1', 'rss', { text, verifiedIn: '<rss>' });
      await cache.save();
      const loaded = await BuildCache.load(file, 'k');
      await loaded.loadFragments();
      const item = loaded.fragment('/c/a.md', 'h1', 'rss')!;
      expect(item.text).toBeUndefined();
      expect(item.utf8!.equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(item.verifiedIn).toBe('<rss>');
      expect(fragmentText(item)).toBe(text);
      expect(item.text).toBe(text); // kept: the next feed that carries it decodes nothing
      expect(loaded.fragment('/c/a.md', 'h2', 'rss')).toBeUndefined(); // other bytes of the article
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
