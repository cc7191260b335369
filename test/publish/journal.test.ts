/**
 * A publication killed at each of its steps, and the recovery a starting process runs: the real
 * publishFiles, with node:fs/promises wrapped so that from a chosen call on nothing completes
 * (the process is dead: every later file operation hangs forever), then recovery with the real
 * file system. Whatever the step, the folder afterwards holds one whole publication, the old or
 * the new, its manifest agreeing with every file, and no temp file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { JOURNAL, MANIFEST } from '../../src/publish/files.js';
import { readJournal, recoverOutput, recoverPublication } from '../../src/publish/journal.js';
import { readManifest } from '../../src/publish/manifest.js';
import { publishFiles } from '../../src/publish/write.js';
import { makeSite } from '../helpers/site.js';

type Op = 'rename' | 'unlink' | 'open' | 'link' | 'mkdir' | 'rmdir' | 'readFile' | 'lstat' | 'readdir';
/** Called before each wrapped operation: `before` kills the process before it, `after` right after it, `fail` makes it throw (`no-links`: as link(2) where there are no hard links). */
type Trigger = (op: Op, args: unknown[]) => 'before' | 'after' | 'fail' | 'no-links' | undefined;

const fault = vi.hoisted(() => ({ trigger: undefined as Trigger | undefined, crashed: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const never = () => new Promise<never>(() => undefined);
  const wrap =
    (op: Op) =>
    async (...args: unknown[]) => {
      if (fault.crashed) return never();
      const when = fault.trigger?.(op, args);
      if (when === 'before') {
        fault.crashed = true;
        return never();
      }
      if (when === 'fail') throw Object.assign(new Error(`EACCES: permission denied, ${op}`), { code: 'EACCES' });
      if (when === 'no-links') throw Object.assign(new Error(`EPERM: operation not permitted, ${op}`), { code: 'EPERM' });
      const result = await (real[op] as (...a: unknown[]) => Promise<unknown>)(...args);
      if (when === 'after') fault.crashed = true;
      return result;
    };
  const ops: Op[] = ['rename', 'unlink', 'open', 'link', 'mkdir', 'rmdir', 'readFile', 'lstat', 'readdir'];
  return { ...real, ...Object.fromEntries(ops.map((op) => [op, wrap(op)])) };
});

const A = new Map<string, string>([
  ['feed.xml', '<rss>A</rss>'],
  ['atom.xml', '<feed>A</feed>'],
  ['feed.json', '{"v":"A"}'],
  ['tags/kept/feed.xml', '<rss>kept</rss>'],
  ['tags/old/feed.xml', '<rss>old tag</rss>'],
]);
const B = new Map<string, string>([
  ['feed.xml', '<rss>B</rss>'],
  ['atom.xml', '<feed>B</feed>'],
  ['feed.json', '{"v":"B"}'],
  ['tags/kept/feed.xml', '<rss>kept</rss>'],
  ['tags/new/feed.xml', '<rss>new tag</rss>'],
]);
const NOW = new Date('2026-03-01T00:00:00Z');
const base = (args: unknown[], i: number) => path.basename(String(args[i]));
/** A rename of a staged feed file into place (not the journal's nor the manifest's). */
const isFileRename = (op: Op, args: unknown[]) => op === 'rename' && base(args, 0).endsWith('.tmp') && ![JOURNAL, MANIFEST].includes(base(args, 1)) && !base(args, 1).endsWith('.tmp');
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

let outDir: string;
beforeEach(async () => {
  fault.trigger = undefined;
  fault.crashed = false;
  outDir = (await makeSite({})).outDir;
  await publishFiles(outDir, A, { now: NOW });
});

/** Runs publication B until `trigger` kills it; returns once every operation under way has ended. */
async function killDuring(trigger: Trigger): Promise<void> {
  fault.trigger = trigger;
  const running = publishFiles(outDir, B, { now: NOW });
  running.catch(() => undefined);
  for (let i = 0; i < 200 && !fault.crashed; i++) await new Promise((r) => setTimeout(r, 5));
  expect(fault.crashed, 'the trigger never fired').toBe(true);
  // Operations begun before the kill end (the kernel finishes them); nothing after it starts.
  await new Promise((r) => setTimeout(r, 100));
  fault.trigger = undefined;
  fault.crashed = false;
}

/** Every file under the folder (the lock aside), with its text. */
async function contents(): Promise<Map<string, string>> {
  const names = (await readdir(outDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
  const out = new Map<string, string>();
  for (const d of names) {
    const rel = path.relative(outDir, path.join(d.parentPath, d.name)).split(path.sep).join('/');
    out.set(rel, await readFile(path.join(outDir, rel), 'utf8'));
  }
  return out;
}

/** The folder holds exactly `expected` and a manifest listing each file with its SHA-256. */
async function holdsWhole(expected: Map<string, string>): Promise<void> {
  const found = await contents();
  const manifest = await readManifest(outDir);
  expect([...found.keys()].sort()).toEqual([...expected.keys(), MANIFEST].sort());
  for (const [rel, text] of expected) expect(found.get(rel), rel).toBe(text);
  expect(manifest.files).toEqual([...expected.keys()].sort());
  for (const rel of manifest.files) expect(manifest.published[rel]?.sha256, rel).toBe(sha(found.get(rel)!));
}

/** Each makes a fresh trigger (some count calls). */
const crashPoints: { name: string; trigger: () => Trigger; forward: boolean }[] = [
  // Staged and fsynced; the journal is never created.
  { name: 'after the temps are written, before the journal', trigger: () => (op, args) => (op === 'open' && base(args, 0) === JOURNAL ? 'before' : undefined), forward: false },
  { name: 'after the journal is written, before any rename', trigger: () => (op, args) => (isFileRename(op, args) ? 'before' : undefined), forward: true },
  {
    name: 'after some renames',
    trigger: () => {
      let n = 0;
      return (op, args) => (isFileRename(op, args) && ++n === 3 ? 'before' : undefined);
    },
    forward: true,
  },
  { name: 'after every file is renamed, before the manifest', trigger: () => (op, args) => (op === 'rename' && base(args, 1) === MANIFEST ? 'before' : undefined), forward: true },
  { name: 'after the manifest is renamed, before the journal is removed', trigger: () => (op, args) => (op === 'rename' && base(args, 1) === MANIFEST ? 'after' : undefined), forward: true },
];

describe('a publication killed at each step, then a process starts', () => {
  for (const point of crashPoints) {
    it(`${point.name}: ${point.forward ? 'finished' : 'the previous one stands'}, and no temp file is left`, async () => {
      await killDuring(point.trigger());
      const journal = await readJournal(outDir);
      expect(!!journal, 'a journal is there exactly when the publication passed its commit point').toBe(point.forward);
      const { recovery, staleTemps } = await recoverOutput(outDir);
      expect(recovery.action).toBe(point.forward ? 'forward' : 'none');
      if (!point.forward) expect(staleTemps).toBeGreaterThan(0); // the staged files and their backups
      await holdsWhole(point.forward ? B : A);
      // The folder tags/old went with its last file; nothing else is left: no journal, no temp, no backup.
      expect((await contents()).has(JOURNAL)).toBe(false);
      // A second recovery finds nothing to do.
      expect(await recoverOutput(outDir)).toEqual({ recovery: { action: 'none' }, staleTemps: 0 });
    });
  }

  for (const point of crashPoints.slice(1, 4)) {
    it(`${point.name}: a publication about to follow undoes it instead, putting every old file back`, async () => {
      const mtime = (await stat(path.join(outDir, 'feed.xml'))).mtimeMs;
      await killDuring(point.trigger());
      expect((await recoverPublication(outDir, 'back')).action).toBe('back');
      expect((await recoverOutput(outDir)).staleTemps).toBe(0); // undoing removed every temp and backup it listed
      await holdsWhole(A);
      // The old file itself, not a copy: the next build may keep it as it found it.
      expect((await stat(path.join(outDir, 'feed.xml'))).mtimeMs).toBe(mtime);
    });
  }

  it('once the manifest is in place, even a publication about to follow finishes it', async () => {
    await killDuring(crashPoints[4]!.trigger());
    expect((await recoverPublication(outDir, 'back')).action).toBe('forward');
    await holdsWhole(B);
  });

  it('a staged file lost after the journal was written: the publication is undone, not half finished', async () => {
    await killDuring(crashPoints[2]!.trigger());
    const journal = (await readJournal(outDir))!;
    const pending = journal.files.filter((f) => f.target === 'feed.json' || f.target === 'tags/new/feed.xml');
    const stillStaged = [];
    for (const f of pending) if (await stat(path.join(outDir, f.temp)).catch(() => undefined)) stillStaged.push(f);
    expect(stillStaged.length).toBeGreaterThan(0);
    await unlink(path.join(outDir, stillStaged[0]!.temp));
    expect((await recoverOutput(outDir)).recovery.action).toBe('back');
    await holdsWhole(A);
  });

  it('a journal feedpipe did not write is removed, and nothing is renamed on its strength', async () => {
    await writeFile(path.join(outDir, JOURNAL), '{"files": "nonsense"');
    expect((await recoverOutput(outDir)).recovery.action).toBe('discarded');
    await holdsWhole(A);
  });

  it('removes only temp files of its own naming, never another file', async () => {
    const put = async (rel: string, text: string) => {
      await mkdir(path.dirname(path.join(outDir, rel)), { recursive: true });
      await writeFile(path.join(outDir, rel), text);
    };
    // Not of its naming (no leading dot, not 8 hex digits), or in a hidden folder, where feedpipe never publishes.
    const others = ['.feed.xml.swp', 'notes.tmp', '.notes.tmp', 'tags/kept/.feed.xml.12.zzzzzzzz.tmp', 'feed.xml.1234.abcdef01.tmp', '.well-known/.x.1.abcdef01.tmp'];
    for (const rel of others) await put(rel, 'not ours');
    // The lock's own temp file (src/start/lock.ts writes it, then links it into place) is one of them.
    const ours = ['.feed.xml.4242.0123abcd.tmp', 'tags/kept/.atom.xml.7.deadbeef.tmp', 'tags/gone/.feed.json.99.00ff00ff.tmp', '.feedpipe.lock.31337.c0ffee00.tmp'];
    for (const rel of ours) await put(rel, 'half');
    expect((await recoverOutput(outDir)).staleTemps).toBe(ours.length);
    const left = await contents();
    for (const rel of others) expect(left.get(rel), rel).toBe('not ours');
    for (const rel of ours) expect(left.has(rel), rel).toBe(false);
    // A folder only our temp kept goes with it.
    expect(await stat(path.join(outDir, 'tags', 'gone')).catch(() => undefined)).toBeUndefined();
  });
});

describe('a publication that fails (not killed)', () => {
  it('a rename that fails midway: every file already renamed is put back, no temp, no journal', async () => {
    let n = 0;
    fault.trigger = (op, args) => (isFileRename(op, args) && ++n === 3 ? 'fail' : undefined);
    await expect(publishFiles(outDir, B, { now: NOW })).rejects.toThrow(/EACCES/);
    fault.trigger = undefined;
    expect(n).toBeGreaterThanOrEqual(3);
    await holdsWhole(A);
  });

  it('where the file system has no hard links (no backups), a rename that fails midway is finished instead of undone', async () => {
    let n = 0;
    fault.trigger = (op, args) => (op === 'link' ? 'no-links' : isFileRename(op, args) && ++n === 3 ? 'fail' : undefined);
    await expect(publishFiles(outDir, B, { now: NOW })).rejects.toThrow(/EACCES/);
    fault.trigger = undefined;
    await holdsWhole(B);
  });

  it('a failure while staging: nothing is renamed, the temps and backups go', async () => {
    // The backup link of a file that exists (a new file's failed link is no failure): which one comes second depends on timing.
    fault.trigger = (op, args) => (op === 'link' && String(args[0]).endsWith(`${path.sep}atom.xml`) ? 'fail' : undefined);
    await expect(publishFiles(outDir, B, { now: NOW })).rejects.toThrow(/EACCES/);
    fault.trigger = undefined;
    await holdsWhole(A);
  });
});
