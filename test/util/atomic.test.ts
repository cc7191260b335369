import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAtomically } from '../../src/util/atomic.js';

describe('writeAtomically with the file in chunks', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes more chunks than one writev takes (IOV_MAX, 1024), in order, and leaves no temp file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-atomic-'));
    const target = path.join(dir, 'sub', 'shard.bin');
    // 2 500 chunks of different sizes, each saying where it is: a dropped, repeated or reordered batch shows.
    const chunks = Array.from({ length: 2500 }, (_, i) => Buffer.from(`${i}:${'x'.repeat(i % 7)};`));
    await writeAtomically(target, chunks, { durable: false });
    expect(readFileSync(target)).toEqual(Buffer.concat(chunks));
    expect(readdirSync(path.dirname(target))).toEqual(['shard.bin']);
  });

  it('replaces a file written from one buffer with one written from chunks', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-atomic-'));
    const target = path.join(dir, 'f.json');
    await writeAtomically(target, Buffer.from('old'));
    await writeAtomically(target, [Buffer.from('n'), Buffer.alloc(0), Buffer.from('ew')]);
    expect(readFileSync(target, 'utf8')).toBe('new');
  });
});
