import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';

/**
 * Golden fixtures: test/fixtures/<case>/ holds a config, content/ and expected/.
 * The build's files must match expected/ byte for byte. Regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
 * and review the diff like any other change.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const NOW = new Date('2026-11-25T12:00:00Z');

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full, base)));
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

describe('golden fixtures', async () => {
  const cases = (await readdir(FIXTURES, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  it.each(cases)('%s matches expected/ byte for byte', async (name) => {
    const dir = path.join(FIXTURES, name);
    const expectedDir = path.join(dir, 'expected');
    const report = await build({ cwd: dir, now: NOW, write: false });
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (process.env.UPDATE_GOLDEN) {
      await rm(expectedDir, { recursive: true, force: true });
      for (const [rel, text] of report.files) {
        await mkdir(path.dirname(path.join(expectedDir, rel)), { recursive: true });
        await writeFile(path.join(expectedDir, rel), text);
      }
    }
    expect([...report.files.keys()].sort()).toEqual(await listFiles(expectedDir));
    for (const [rel, text] of report.files) expect(text, rel).toBe(await readFile(path.join(expectedDir, rel), 'utf8'));
  });
});
