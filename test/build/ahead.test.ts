/**
 * Renders ahead (src/build/render.ts, renderAhead): an edit of a published article is rendered in
 * a worker while select runs. Select still decides what is public, and the files are those a cold
 * build makes; a render ahead that runs over its budget is that article's error as any other.
 * Worker threads run compiled code: this uses lib/, which `npm test` compiles first.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCompiledBuild, type CompiledBuild } from '../helpers/compiled.js';
import type { ConfigInput } from '../../src/config/config.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const compiled = useCompiledBuild();
const pools = compiled.pools;
let lib: CompiledBuild;
beforeAll(() => {
  lib = compiled.lib();
});

const files = {
  'a.md': article({ title: 'Story A', date: '2026-11-01T09:00:00Z', tags: ['x'] }, 'First *version* of A.'),
  'b.md': article({ title: 'Story B', date: '2026-11-02T09:00:00Z' }, 'Text of B.'),
  'c.md': article({ title: 'Story C', date: '2026-11-03T09:00:00Z' }, 'Text of C.'),
};

/** Every file of `dir` but the manifest (its times are the clock's), by name. */
async function published(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== 'manifest.json')
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n), 'utf8')] as const)));
}

/**
 * What a cold build of the site as it is now publishes (no cache, no workers, nothing written): the
 * files it makes after the last publication in `site.outDir`, which it reads only for the feeds it
 * keeps empty a while (publish/emptied.ts).
 */
async function cold(site: { root: string; contentDir: string; outDir: string }, config: ConfigInput): Promise<Record<string, string>> {
  const r = await lib.build({ config, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: NOW, parallel: false, write: false });
  expect(r.ok).toBe(true);
  return Object.fromEntries([...r.files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A publisher's site (workers kept, cache in memory) after its first build; `opts` builds it again. */
async function publishedSite(config: ConfigInput) {
  const site = await makeSite(files);
  const workers = lib.WorkerPool.create({ size: 2 })!;
  pools.push(workers);
  const opts = { config, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: NOW, workers, cache: new lib.BuildCache(''), keepGoing: true };
  expect((await lib.build(opts)).ok).toBe(true);
  return { site, opts, a: path.join(site.contentDir, 'a.md') };
}

describe('a publisher, after an edit', () => {
  it('renders a published article ahead and publishes what a cold build does; an edit that makes it a draft takes it out', async () => {
    const { site, opts, a } = await publishedSite(baseConfig);
    await writeFile(a, article({ title: 'Story A', date: '2026-11-01T09:00:00Z', tags: ['x'] }, 'Second *version* of A.'));
    const edited = await lib.build({ ...opts, changedPaths: [a] });
    expect(edited.stats).toMatchObject({ parsed: 1, renderedAhead: 1, rendered: 1 });
    const after = await published(site.outDir);
    expect(after['feed.xml']).toContain('Second version of A.');
    expect(after).toEqual(await cold(site, baseConfig));

    // Rendered ahead, but select leaves a draft out: nothing of it is published.
    await writeFile(a, article({ title: 'Story A', date: '2026-11-01T09:00:00Z', draft: true }, 'Third version of A.'));
    const draft = await lib.build({ ...opts, changedPaths: [a] });
    expect(draft.stats).toMatchObject({ renderedAhead: 1, rendered: 0 });
    const now = await published(site.outDir);
    expect(Object.values(now).some((text) => text.includes('Story A') || text.includes('Third version'))).toBe(false);
    expect(now).toEqual(await cold(site, baseConfig));
  }, 60_000);

  it('keeps the published version of an article whose render ahead ran over its budget, with the error at the file', async () => {
    const { site, opts, a } = await publishedSite({ ...baseConfig, render: { timeout: 0.25 } });
    // Within every Markdown bound, and about a second of rendering (test/build/render.test.ts).
    await writeFile(a, article({ title: 'Story A, slow', date: '2026-11-01T09:00:00Z' }, '- item\n'.repeat(1990)));
    const r = await lib.build({ ...opts, changedPaths: [a] });
    expect(r.stats.renderedAhead).toBe(1);
    expect(r.held).toEqual([{ file: 'content/a.md', kept: true }]);
    expect(r.diagnostics).toMatchObject([{ code: 'render-timeout', file: 'content/a.md', line: 1, column: 1, held: true }]);
    const feed = await readFile(path.join(site.outDir, 'feed.xml'), 'utf8');
    expect(feed).toContain('First version of A.');
    expect(feed).not.toContain('slow');
  }, 60_000);

  it('stops at once when asked while an edit renders ahead, without waiting for its render', async () => {
    const { opts, a } = await publishedSite({ ...baseConfig, render: { timeout: 60 } });
    // Several seconds of rendering, within every bound.
    await writeFile(a, article({ title: 'Story A', date: '2026-11-01T09:00:00Z' }, 'Plain words in a paragraph that goes on and on.\n\n'.repeat(40_000)));
    const controller = new AbortController();
    // Asked to stop 100 ms after the file is parsed (its render ahead starts right then), however
    // long a busy machine takes to get there.
    let askedAt = 0;
    const onProgress = (p: { stage: string; done: number; total: number }) => {
      if (p.stage === 'validate' && p.done === p.total && !askedAt) {
        askedAt = -1;
        setTimeout(() => {
          askedAt = performance.now();
          controller.abort();
        }, 100);
      }
    };
    const r = await lib.build({ ...opts, changedPaths: [a], signal: controller.signal, onProgress });
    expect(r.stats.renderedAhead).toBe(1);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['build-aborted']);
    expect(askedAt).toBeGreaterThan(0);
    expect(performance.now() - askedAt).toBeLessThan(1500);
  }, 60_000);
});

describe('a one-off build after an edit', () => {
  it('renders the edited article ahead and publishes what a cold build does', async () => {
    const site = await makeSite(files);
    const opts = { config: baseConfig, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: NOW, cacheDir: '.feedpipe-cache', reuseLastResult: true, keepFiles: false };
    expect((await lib.build(opts)).ok).toBe(true);
    await writeFile(path.join(site.contentDir, 'b.md'), article({ title: 'Story B', date: '2026-11-02T09:00:00Z' }, 'Corrected text of B.'));
    const r = await lib.build(opts);
    expect(r.kind).toBe('changed-only');
    expect(r.stats).toMatchObject({ parsed: 1, renderedAhead: 1, rendered: 1 });
    const after = await published(site.outDir);
    expect(after['feed.json']).toContain('Corrected text of B.');
    expect(after).toEqual(await cold(site, baseConfig));
  }, 60_000);
});
