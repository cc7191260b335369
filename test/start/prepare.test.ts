import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildOptions, BuildReport } from '../../src/build/build.js';
import { createPreparer } from '../../src/start/prepare.js';
import { article, baseConfig, makeSite } from '../helpers/site.js';

const DUE = new Date('2030-01-01T09:00:00Z');
const after = (ms: number) => new Date(DUE.getTime() + ms);

async function setup(prepareAboveMs = 250, report: Partial<BuildReport> = {}) {
  const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
  const configFile = path.join(s.root, 'feedpipe.config.yaml');
  await writeFile(configFile, 'site:\n  title: T\n  url: https://t.example/\n');
  const builds: BuildOptions[] = [];
  const remembered: BuildReport[] = [];
  const preparer = createPreparer({
    contentDir: s.contentDir,
    outDir: s.outDir,
    configFile,
    prepareAboveMs,
    buildOptions: () => ({ cwd: s.root }),
    // The article due at DUE is the newest public one, the next falls due a minute later: select's window.
    runOneBuild: async (o = {}) => (builds.push(o), { ok: true, nextDue: after(60_000), window: { validFrom: DUE.getTime(), validUntil: after(60_000).getTime() }, ...report } as BuildReport),
    remember: (r) => remembered.push(r),
  });
  return { s, configFile, preparer, builds, remembered, signal: new AbortController().signal };
}

describe('building ahead of a due time', () => {
  it('leads by three build durations, at least 5 s and at most 15 min', async () => {
    const { preparer } = await setup();
    expect(preparer.leadMs()).toBe(5_000);
    preparer.noteBuild(4_000);
    expect(preparer.leadMs()).toBe(12_000);
    preparer.noteBuild(3_600_000);
    expect(preparer.leadMs()).toBe(15 * 60_000);
  });

  it('does not build ahead for a site that builds fast enough', async () => {
    const { preparer, builds } = await setup(250);
    preparer.noteBuild(250);
    await preparer.run(DUE, new AbortController().signal);
    expect(builds).toEqual([]);
    expect(await preparer.takeFor(DUE)).toBeUndefined();
  });

  it('builds as of the due time, writing nothing, and hands the result over once, at or after the due time', async () => {
    const { preparer, builds, remembered, signal } = await setup();
    preparer.noteBuild(1_000);
    await preparer.run(DUE, signal);
    expect(builds).toEqual([expect.objectContaining({ now: DUE, write: false, signal })]);
    expect(remembered).toHaveLength(1);
    expect(await preparer.takeFor(after(-1))).toBeUndefined(); // too early: and it is gone
    await preparer.run(DUE, signal);
    const report = await preparer.takeFor(after(500));
    expect(report).toBe(remembered[1]);
    expect(await preparer.takeFor(after(500))).toBeUndefined();
  });

  it('is not used once the next article fell due too, or when a content or config file changed', async () => {
    const { preparer, s, configFile, signal } = await setup();
    preparer.noteBuild(1_000);
    await preparer.run(DUE, signal);
    expect(await preparer.takeFor(after(60_000))).toBeUndefined();
    for (const edit of [() => writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'B', date: '2026-01-02' })), () => writeFile(configFile, 'site:\n  title: U\n  url: https://t.example/\n')]) {
      await preparer.run(DUE, signal);
      await edit();
      expect(await preparer.takeFor(DUE)).toBeUndefined();
    }
  });

  it('is not used once a publication replaced the manifest meanwhile (the feeds kept empty are read from it)', async () => {
    const { preparer, s, signal } = await setup();
    preparer.noteBuild(1_000);
    await mkdir(s.outDir, { recursive: true });
    await writeFile(path.join(s.outDir, '.feedpipe-manifest.json'), '{"files":[]}\n');
    await preparer.run(DUE, signal);
    expect(await preparer.takeFor(DUE)).toBeDefined();
    await preparer.run(DUE, signal);
    // A publication in between: the manifest is renamed into place, a new file.
    await writeFile(path.join(s.outDir, 'next.json'), '{"files":["feed.xml"]}\n');
    await rename(path.join(s.outDir, 'next.json'), path.join(s.outDir, '.feedpipe-manifest.json'));
    expect(await preparer.takeFor(DUE)).toBeUndefined();
  });

  it('keeps nothing from a failed build ahead', async () => {
    const { preparer, signal } = await setup(250, { ok: false });
    preparer.noteBuild(1_000);
    await preparer.run(DUE, signal);
    expect(await preparer.takeFor(DUE)).toBeUndefined();
  });
});

describe('a publication built ahead, once written', () => {
  it('is what a file with errors stands as afterwards, not the publication before it', async () => {
    const { build } = await import('../../src/build/build.js');
    const { writePreparedReport } = await import('../../src/start/prepare.js');
    const { readFile } = await import('node:fs/promises');
    const s = await makeSite({ 'a.md': article({ title: 'First version', date: '2026-01-01T00:00:00Z' }), 'b.md': article({ title: 'Due story', date: '2030-01-01T09:00:00Z' }) });
    const options = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, cwd: s.root, keepGoing: true, parallel: false } as const;
    const first = await build({ ...options, now: after(-3_600_000) });
    const cache = first.kind === 'full' ? first.cache! : undefined;
    // Edited, then built ahead of the due time (writing nothing) and written at it.
    await writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'Second version', date: '2026-01-01T00:00:00Z' }));
    const ahead = await build({ ...options, cache, now: DUE, write: false });
    const written = await writePreparedReport(ahead, { now: DUE, outDir: s.outDir, cwd: s.root, startedMs: performance.now() });
    expect(written.write?.written).toContain('feed.xml');
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Second version');
    // Then the file breaks: it is held, and stands as the version published last.
    await writeFile(path.join(s.contentDir, 'a.md'), '---\ntitle: [unclosed\n---\nBody.\n');
    const held = await build({ ...options, cache, now: after(1_000) });
    expect(held.held).toEqual([{ file: expect.stringContaining('a.md'), kept: true }]);
    const feed = await readFile(path.join(s.outDir, 'feed.xml'), 'utf8');
    expect(feed).toContain('Second version');
    expect(feed).not.toContain('First version');
  });
});
