/**
 * Feed items from the render workers as bytes (src/build/render-task.ts, asBytes): a build that
 * makes its files as bytes gets each item's UTF-8 bytes handed over by the worker, not its text
 * copied, and keeps no text for it. The files are those a build without workers makes.
 * Worker threads run compiled code: this uses lib/, which `npm test` compiles first.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCompiledBuild, type CompiledBuild } from '../helpers/compiled.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const compiled = useCompiledBuild();
const pools = compiled.pools;
let lib: CompiledBuild;
beforeAll(() => {
  lib = compiled.lib();
});

async function published(dir: string): Promise<Record<string, Buffer>> {
  const names = (await readdir(dir, { recursive: true })).filter((n) => /\.(xml|json|html|xsl)$/.test(n) && !n.endsWith('manifest.json')).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const)));
}

describe('feed items made by the render workers', () => {
  it('come as bytes only (no text kept) in a build that writes bytes, and make the files a build without workers makes', async () => {
    const site = await makeSite({
      // Beyond Latin-1 and beyond the BMP, markup to escape, and a summary: the bytes are the text's UTF-8, nothing lost.
      'a.md': article({ title: 'Café “quoted” & <tagged> 🎉', date: '2026-11-01T09:00:00Z', tags: ['x'], summary: 'Ünïcode summary' }, 'Body with *emphasis*, 日本語 and [a link](../b/).'),
      'b.md': article({ title: 'Story B', date: '2026-11-02T09:00:00Z', section: 'World' }, 'Text of B.'),
    });
    const workers = lib.WorkerPool.create({ size: 2 })!;
    pools.push(workers);
    const cache = new lib.BuildCache('');
    const r = await lib.build({ config: baseConfig, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: NOW, workers, cache, keepFiles: false });
    expect(r.ok).toBe(true);
    expect(r.stats.workers).toBe(2);
    const a = path.join(site.contentDir, 'a.md');
    const hash = cache.files.get(a)!.hash;
    for (const format of ['rss', 'atom', 'json'] as const) {
      const item = cache.fragment(a, hash, format)!;
      expect(item.text, format).toBeUndefined();
      expect(Buffer.isBuffer(item.utf8), format).toBe(true);
    }
    const plain = path.join(site.root, 'plain');
    expect((await lib.build({ config: baseConfig, contentDir: site.contentDir, outDir: plain, cwd: site.root, now: NOW, parallel: false })).ok).toBe(true);
    const [withWorkers, without] = [await published(site.outDir), await published(plain)];
    expect(Object.keys(withWorkers)).toEqual(Object.keys(without));
    for (const name of Object.keys(without)) expect(withWorkers[name]!.equals(without[name]!), name).toBe(true);
    const json = JSON.parse(withWorkers['feed.json']!.toString('utf8')) as { items: { title: string; content_html: string }[] };
    expect(json.items.map((i) => i.title)).toContain('Café “quoted” & <tagged> 🎉');
    expect(json.items.find((i) => i.title.startsWith('Café'))!.content_html).toContain('日本語');
  });
});
