/** The build cache is keyed on the installed packages (src/version.ts), here swapped for a stand-in. */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const installed = vi.hoisted(() => ({ stamp: 'a' }));
vi.mock('../../src/util/version.js', async (original) => ({ ...(await original<typeof import('../../src/util/version.js')>()), dependencyVersions: () => installed.stamp }));

describe('the build cache after a dependency is upgraded in place', () => {
  it('is not used: every article is read and rendered again', async () => {
    const { build } = await import('../../src/build/build.js');
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }), 'b.md': article({ title: 'B', date: '2026-01-02' }) });
    const opts = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root, cacheDir: path.join(s.root, '.cache') };
    expect((await build(opts)).stats).toMatchObject({ parsed: 2, rendered: 2 });
    expect((await build(opts)).stats).toMatchObject({ parsed: 0, rendered: 0 });
    installed.stamp = 'b';
    expect((await build(opts)).stats).toMatchObject({ parsed: 2, rendered: 2 });
  });
});
