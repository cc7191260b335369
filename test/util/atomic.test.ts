import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempName, tempPathFor, writeAtomically, writeTemp } from '../../src/util/atomic.js';

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

describe('temp files', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('have feedpipe’s own names, never the same twice, and a name that exists is neither written through nor removed', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-temp-'));
    const target = path.join(dir, 'feed.xml');
    const names = Array.from({ length: 1000 }, () => path.basename(tempPathFor(target)));
    expect(new Set(names).size).toBe(1000);
    for (const n of names) expect(isTempName(n), n).toBe(true);
    // The next name, taken by someone else's file.
    const last = /\.([0-9a-f]{8})\.tmp$/.exec(names.at(-1)!)![1]!;
    const next = path.join(dir, names.at(-1)!.replace(`.${last}.tmp`, `.${((parseInt(last, 16) + 1) >>> 0).toString(16).padStart(8, '0')}.tmp`));
    writeFileSync(next, 'not ours');
    await expect(writeTemp(target, Buffer.from('ours'))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(next, 'utf8')).toBe('not ours');
    // A folder that does not exist yet is made.
    const made = await writeTemp(path.join(dir, 'new', 'deeper', 'feed.xml'), Buffer.from('x'));
    expect(readFileSync(made, 'utf8')).toBe('x');
  });
});
