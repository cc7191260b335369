/**
 * The proof that a build made ahead of a due time may be published at a later clock
 * (src/incremental/prepared.ts), driven through the publisher's preparer with real builds.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { createPreparer, writePreparedReport } from '../../src/start/prepare.js';
import { makeSite } from '../helpers/site.js';

const DUE = new Date('2025-06-01T12:00:00Z');
const art = (title: string, date: string) => `---\ntitle: ${title}\ndate: ${date}\n---\nBody of ${title}\n`;

async function site() {
  const s = await makeSite({ 'a.md': art('Version X', '2025-01-01T00:00:00Z'), 'b.md': art('Due article', DUE.toISOString()) });
  const configFile = path.join(s.root, 'feedpipe.config.yaml');
  writeFileSync(configFile, 'site:\n  title: T\n  url: https://example.com/\n  author:\n    name: A\n');
  return { dir: s.root, content: s.contentDir, configFile };
}

describe('a build prepared ahead of a due time', () => {
  it('is refused after a file was edited and the edit undone meanwhile: its bytes were on disk only while it ran', async () => {
    const { dir, content, configFile } = await site();
    const a = path.join(content, 'a.md');
    const preparer = createPreparer({
      contentDir: content,
      outDir: path.join(dir, 'dist'),
      configFile,
      prepareAboveMs: 0,
      buildOptions: () => ({ cwd: dir, configPath: configFile }),
      remember: () => undefined,
      runOneBuild: async (o) => {
        writeFileSync(a, art('Version Y', '2025-01-01T00:00:00Z')); // saved while the build ahead runs…
        const r = await build(o);
        writeFileSync(a, art('Version X', '2025-01-01T00:00:00Z')); // …and undone before the due time
        return r;
      },
    });
    preparer.noteBuild(1000);
    await preparer.run(DUE, new AbortController().signal);
    const now = new Date(DUE.getTime() + 1000);
    const ahead = await preparer.takeFor(now);
    expect(ahead).toBeUndefined();
    if (ahead) await writePreparedReport(ahead, { now, outDir: path.join(dir, 'dist'), cwd: dir, startedMs: performance.now() });
    else await build({ cwd: dir, configPath: configFile, now, outDir: path.join(dir, 'dist') });
    await build({ cwd: dir, configPath: configFile, now, outDir: path.join(dir, 'cold') });
    expect(readFileSync(path.join(dir, 'dist', 'feed.xml'), 'utf8')).toBe(readFileSync(path.join(dir, 'cold', 'feed.xml'), 'utf8'));
  });

  it('is taken on a site whose content folder holds a symbolic link, when nothing changed', async () => {
    const { dir, content, configFile } = await site();
    writeFileSync(path.join(dir, 'elsewhere.md'), art('Linked', '2025-01-01T00:00:00Z'));
    symlinkSync(path.join(dir, 'elsewhere.md'), path.join(content, 'link.md'));
    const preparer = createPreparer({ contentDir: content, outDir: path.join(dir, 'dist'), configFile, prepareAboveMs: 0, buildOptions: () => ({ cwd: dir, configPath: configFile }), remember: () => undefined, runOneBuild: build });
    preparer.noteBuild(1000);
    await preparer.run(DUE, new AbortController().signal);
    expect(await preparer.takeFor(new Date(DUE.getTime() + 1000))).toBeDefined();
  });

  it('is taken when a file was saved just before it began and has not changed since', async () => {
    const { dir, content, configFile } = await site();
    const preparer = createPreparer({ contentDir: content, outDir: path.join(dir, 'dist'), configFile, prepareAboveMs: 0, buildOptions: () => ({ cwd: dir, configPath: configFile }), remember: () => undefined, runOneBuild: build });
    preparer.noteBuild(1000);
    await preparer.run(DUE, new AbortController().signal); // a.md and b.md were written moments ago
    await new Promise((r) => setTimeout(r, 2200)); // at the due time they are older than the racy window
    expect(await preparer.takeFor(new Date(DUE.getTime() + 1000))).toBeDefined();
  });
});
