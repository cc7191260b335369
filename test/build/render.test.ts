/**
 * The render stage (src/build/render.ts) with its workers: an article over `render.timeout` is an
 * error. Strict (a plain `feedpipe build`), nothing is written; with keepGoing (the publisher,
 * `--keep-going`), it is an error for itself alone, the build runs again without it, so select
 * decides over the rest and the rest is published; the next build does not spend its budget on it
 * again. Worker threads run compiled code: this uses lib/, which `npm test` compiles first.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/config.js';
import { article, baseConfig, makeSite } from '../helpers/site.js';

const LIB = new URL('../../lib/build/build.js', import.meta.url);
let build: typeof import('../../src/build/build.js').build;

beforeAll(async () => {
  expect(existsSync(LIB), 'lib/ is missing: run `npm test` (it compiles lib/ first)').toBe(true);
  ({ build } = (await import(LIB.href)) as typeof import('../../src/build/build.js'));
});

// Within every Markdown bound (content/limits.ts), small, and about a second of rendering.
const slowBody = '- item\n'.repeat(1990);

describe('an article over its rendering budget', () => {
  it('is an error at file:1:1 naming the limit: strict, nothing is written; with keepGoing, select fills the feed without it and the rest is published', async () => {
    const site = await makeSite({
      'old.md': article({ title: 'Older story', date: '2026-01-01T00:00:00Z' }),
      'new.md': article({ title: 'Newest story', date: '2026-03-01T00:00:00Z' }, slowBody),
    });
    // One item a feed: without the slow article, the older one is the feed's.
    const config: ConfigInput = { ...baseConfig, feeds: { limit: 1 }, render: { timeout: 0.25 } };  // far above a 65-byte article's render, even on a loaded machine
    const strictOptions = { config, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: new Date('2026-06-01T00:00:00Z') };
    // Strict: the error, and nothing written.
    const strict = await build(strictOptions);
    expect(strict.ok).toBe(false);
    expect(strict.diagnostics).toMatchObject([{ code: 'render-timeout', severity: 'error', file: 'content/new.md', line: 1, column: 1 }]);
    expect(strict.write).toBeUndefined();
    expect(existsSync(`${site.outDir}/feed.xml`)).toBe(false);

    const options = { ...strictOptions, keepGoing: true };
    const report = await build(options);
    // Held back like a file with errors (never published, so nothing stands in for it); `feedpipe build --keep-going` exits 1 for it.
    expect(report.held).toEqual([{ file: 'content/new.md', kept: false }]);
    expect(report.diagnostics).toMatchObject([{ code: 'render-timeout', severity: 'error', held: true, file: 'content/new.md', line: 1, column: 1, message: expect.stringMatching(/took longer than 0\.25 s to render \(render\.timeout\)/) }]);
    expect(report.write?.written).toContain('feed.xml');
    const feed = await readFile(`${site.outDir}/feed.xml`, 'utf8');
    expect(feed).toContain('Older story');
    expect(feed).not.toContain('Newest story');

    // The next build in this process knows the verdict: nothing to render, so no worker is even used.
    const next = await build({ ...options, ...(report.kind === 'full' && report.cache ? { cache: report.cache } : {}) });
    expect(next.diagnostics).toMatchObject([{ code: 'render-timeout', file: 'content/new.md' }]);
    expect(next.stats).toMatchObject({ rendered: 0, workers: 0 });
    // With a budget it fits in, it is rendered and published.
    const roomy = await build({ ...options, config: { ...config, render: { timeout: 60 } } });
    expect(roomy.diagnostics).toEqual([]);
    expect(await readFile(`${site.outDir}/feed.xml`, 'utf8')).toContain('Newest story');
  }, 60_000);

  it('past a Markdown bound, is an error at its line and column before anything is rendered (with keepGoing, withheld alone)', async () => {
    const site = await makeSite({
      'fine.md': article({ title: 'Fine', date: '2026-01-01T00:00:00Z' }),
      'brackets.md': article({ title: 'Brackets', date: '2026-01-02T00:00:00Z' }, 'Intro.\n\n' + '[a]('.repeat(80_000)),
    });
    const started = performance.now();
    const options = { config: baseConfig, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: new Date('2026-06-01T00:00:00Z') };
    expect((await build(options)).write, 'strict: nothing written').toBeUndefined();
    const report = await build({ ...options, keepGoing: true });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(report.diagnostics).toMatchObject([
      { code: 'markdown-too-complex', file: 'content/brackets.md', line: 7, column: 1001, message: expect.stringContaining('more than 500 link or image brackets'), hint: expect.stringContaining('escape literal brackets') },
    ]);
    expect(await readFile(`${site.outDir}/feed.xml`, 'utf8')).toContain('Fine');
  });
});
