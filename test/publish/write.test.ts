import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishFiles } from '../../src/publish/write.js';
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
});
