import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishFiles } from '../../src/publish/write.js';
import { sha256 } from '../../src/util/hash.js';
import { MANIFEST } from '../../src/publish/files.js';
import { makeSite } from '../helpers/site.js';

describe('publishFiles', () => {
  it('writes nothing more once it has reported a failed write', async () => {
    const s = await makeSite({});
    // A folder where a file must go: that file's rename fails.
    await mkdir(path.join(s.outDir, 'a', 'feed.xml', 'x'), { recursive: true });
    const files = new Map<string, string>([['a/feed.xml', 'x']]);
    for (let i = 0; i < 400; i++) files.set(`b/${String(i).padStart(3, '0')}.xml`, `<x>${i}</x>`.repeat(200));
    const count = async () => (existsSync(path.join(s.outDir, 'b')) ? (await readdir(path.join(s.outDir, 'b'))).filter((f) => f.endsWith('.xml')).length : 0);
    await expect(publishFiles(s.outDir, files)).rejects.toThrow();
    const atFailure = await count();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count()).toBe(atFailure);
    expect(atFailure).toBeLessThan(400);
    // No temp file is left behind either.
    expect((await readdir(path.join(s.outDir, 'b'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes a file given in chunks as their bytes in order, and knows it unchanged next time', async () => {
    const s = await makeSite({});
    const chunks = (tail: string) => [Buffer.from('<feed>'), ...Array.from({ length: 1500 }, (_, i) => Buffer.from(`<e>${i} é</e>`)), Buffer.from(tail)];
    const whole = Buffer.concat(chunks('</feed>\n'));
    const first = await publishFiles(s.outDir, new Map([['atom.xml', chunks('</feed>\n')]]));
    expect(first.written).toEqual(['atom.xml']);
    const file = path.join(s.outDir, 'atom.xml');
    expect((await readFile(file)).equals(whole)).toBe(true);
    const manifest = JSON.parse(await readFile(path.join(s.outDir, MANIFEST), 'utf8'));
    expect(manifest.published['atom.xml'].sha256).toBe(sha256(whole));
    const mtime = (await stat(file)).mtimeMs;
    // The same bytes in other chunks: unchanged, not rewritten.
    const again = await publishFiles(s.outDir, new Map([['atom.xml', [whole.subarray(0, 7), whole.subarray(7)]]]));
    expect(again).toMatchObject({ written: [], unchanged: ['atom.xml'] });
    expect((await stat(file)).mtimeMs).toBe(mtime);
    // One byte more at the end, or one less: changed.
    for (const tail of ['</feed>\n\n', '</feed>']) {
      const r = await publishFiles(s.outDir, new Map([['atom.xml', chunks(tail)]]));
      expect(r.written).toEqual(['atom.xml']);
      expect((await readFile(file)).equals(Buffer.concat(chunks(tail)))).toBe(true);
    }
  });
});
