/**
 * What makes a publication all or nothing, on plain files at their published paths
 * (dist/.feedpipe-journal.json). A publication (publish/write.ts):
 *
 *  1. stages every changed file as a temp file beside its target, fsynced, with a hard link
 *     to the file it replaces as its backup; the new manifest likewise;
 *  2. writes this journal durably, and syncs the folders of every file it lists: the commit point;
 *  3. renames the files into place, then the manifest;
 *  4. syncs the folders, removes the files no longer published, the backups, the journal.
 *
 * Killed before 2, nothing was renamed: the previous publication is whole and its temps are
 * stale (removeStaleTemps). Killed after 2, `recoverPublication` either finishes it (every
 * staged file is there with its digest, or already in place) or undoes it (each renamed file's
 * backup goes back): either way the manifest agrees with every file it lists.
 */
import { link, lstat, open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { findTemps, isTempName, syncFolder, tempPathFor, writeTemp } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { isSafeRelative } from '../util/paths.js';
import { JOURNAL, MANIFEST } from './files.js';
import { runStep } from './steps.js';

/** A file written beside its target and not yet renamed over it; paths relative to the output folder, with `/`. */
export interface StagedFile {
  target: string;
  temp: string;
  sha256: string;
  /** A hard link to the file it replaces, to put back on undo; null when there was none, or the file system cannot link. */
  backup: string | null;
  /** Whether the target existed when staged: a file the publication added is removed to undo it. */
  existed: boolean;
}

export interface Journal {
  files: StagedFile[];
  /** The new manifest, staged like the files and renamed into place after all of them. */
  manifest: StagedFile;
  /** Files the previous manifest listed and the new one does not: removed once the manifest is in place. */
  remove: string[];
}

export type Recovery = { action: 'none' } | { action: 'discarded' } | { action: 'forward' | 'back'; files: string[] };

const abs = (outDir: string, rel: string) => path.join(outDir, rel);
const relTo = (outDir: string, file: string) => path.relative(outDir, file).split(path.sep).join('/');

/** Writes `bytes` beside `rel`'s target (fsynced) and links a backup of the file it will replace. Leaves nothing on failure. */
export async function stageFile(outDir: string, rel: string, bytes: Buffer | readonly Buffer[], digest = sha256(bytes), backup = true): Promise<StagedFile> {
  const target = abs(outDir, rel);
  const temp = await writeTemp(target, bytes);
  try {
    const kept = backup ? await linkBackup(target, rel) : { backup: null, existed: true };
    return { target: rel, temp: relTo(outDir, temp), sha256: digest, backup: kept.backup && relTo(outDir, kept.backup), existed: kept.existed };
  } catch (e) {
    await unlinkQuiet(temp);
    throw e;
  }
}

/** What link(2) answers where the file system has no hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV', 'ENOSYS']);

async function linkBackup(target: string, rel: string): Promise<{ backup: string | null; existed: boolean }> {
  const backup = tempPathFor(target);
  try {
    await link(target, backup);
    return { backup, existed: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { backup: null, existed: false };
    const found = await lstat(target).catch(() => undefined);
    if (!found) return { backup: null, existed: false };
    // A folder where the file goes fails here, before anything is renamed.
    if (!found.isFile()) throw new Error(`${rel} is in the way: it is not a file feedpipe can replace`);
    // A file system without hard links: published without a backup (an interruption is then finished, never undone).
    if (code && NO_LINKS.has(code)) return { backup: null, existed: true };
    throw e;
  }
}

/**
 * Step 2: the journal, durably, with the folders of every file it lists: nothing is renamed before
 * all of them are on disk. It is written in place, not through a temp file: one cut short by a
 * crash does not parse, and is discarded, which is right, as nothing was renamed on its strength.
 * Its data and the folders (its own among them, created before) are synced side by side.
 */
export async function writeJournal(outDir: string, journal: Journal): Promise<void> {
  const handle = await runStep('journal-open', () => open(abs(outDir, JOURNAL), 'w', 0o644));
  try {
    await handle.writeFile(JSON.stringify(journal) + '\n');
    await Promise.all([handle.sync(), syncFoldersOf(outDir, [...journal.files, journal.manifest])]);
  } finally {
    await handle.close();
  }
}

/** Step 3, for a journal whose files are all staged: the files, then the manifest (the commit). */
export async function commitPublication(outDir: string, journal: Journal): Promise<void> {
  await renameStaged(outDir, journal.files, 'rename');
  await runStep('manifest', () => rename(abs(outDir, journal.manifest.temp), abs(outDir, MANIFEST)));
}

export async function renameStaged(outDir: string, files: readonly StagedFile[], step: 'rename' | 'recover-rename'): Promise<void> {
  await eachUntilFailure(files, (f) => runStep(step, () => rename(abs(outDir, f.temp), abs(outDir, f.target))));
}

/**
 * `fn` over `items`, 16 at a time, as a sliding window. After a failure no lane takes another
 * item, and every call under way ends before the failure is thrown: nothing is still writing
 * when the caller undoes.
 */
export async function eachUntilFailure<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let failure: { error: unknown } | undefined;
  await mapLimit(items, 16, async (item) => {
    if (failure) return;
    try {
      await fn(item);
    } catch (error) {
      failure ??= { error };
    }
  });
  if (failure) throw failure.error;
}

/** Step 4, once the manifest is in place: returns the files removed. `sweep`: also the temps still listed (recovery). */
export async function finishPublication(outDir: string, journal: Journal, sweep = false): Promise<string[]> {
  await syncFoldersOf(outDir, [...journal.files, journal.manifest]);
  const removed: string[] = [];
  for (const rel of journal.remove) {
    await runStep(sweep ? 'recover-remove' : 'remove', async () => {
      if (await unlinkQuiet(abs(outDir, rel))) removed.push(rel);
      await removeEmptyParents(path.dirname(abs(outDir, rel)), outDir);
    });
  }
  if (removed.length) await Promise.all([outDir, ...removed.map((rel) => path.dirname(abs(outDir, rel)))].map(syncFolder));
  // A temp is still there after recovery only if it was damaged (only those with their digest are renamed).
  const leftovers = journal.files.flatMap((f) => [...(f.backup ? [f.backup] : []), ...(sweep ? [f.temp] : [])]);
  await runStep(sweep ? 'recover-clean' : 'clean', () => mapLimit(leftovers, 16, (rel) => unlinkQuiet(abs(outDir, rel))));
  await unlinkQuiet(abs(outDir, JOURNAL));
  return removed;
}

/** Undoes a publication whose manifest was not renamed: each renamed file's backup goes back, the temps go. */
export async function undoPublication(outDir: string, journal: Journal): Promise<void> {
  await mapLimit(journal.files, 16, (f) => runStep('undo', () => undoFile(outDir, f)));
  await unlinkQuiet(abs(outDir, journal.manifest.temp));
  await syncFoldersOf(outDir, journal.files);
  await unlinkQuiet(abs(outDir, JOURNAL));
}

/** One file of an interrupted publication put back as it was before it. */
async function undoFile(outDir: string, f: StagedFile): Promise<void> {
  if (await unlinkQuiet(abs(outDir, f.temp))) {
    if (f.backup) await unlinkQuiet(abs(outDir, f.backup));
    return;
  }
  // Renamed already (or undone already: then the target is not the new file).
  if (f.backup && (await exists(abs(outDir, f.backup)))) {
    await rename(abs(outDir, f.backup), abs(outDir, f.target));
    await unlinkQuiet(abs(outDir, f.backup)); // a no-op rename of two links to one file leaves it
  } else if (!f.existed && (await digestOf(abs(outDir, f.target))) === f.sha256) {
    await unlinkQuiet(abs(outDir, f.target));
    await removeEmptyParents(path.dirname(abs(outDir, f.target)), outDir);
  }
}

/**
 * Finishes or undoes the publication a journal in `outDir` describes; only the holder of the
 * output folder's lock may call it. A journal whose manifest is in place is always finished;
 * otherwise `prefer` decides, when both are possible: `forward` where the new publication is
 * wanted (a process starting), `back` where a new one follows at once (it supersedes it, and
 * what it planned to keep stays as it found it).
 */
export async function recoverPublication(outDir: string, prefer: 'forward' | 'back'): Promise<Recovery> {
  const journal = await readJournal(outDir);
  if (journal === undefined) return { action: 'none' };
  if (journal === null) {
    // Cut short by a crash while it was written (or not feedpipe's): nothing was renamed on its strength.
    await unlinkQuiet(abs(outDir, JOURNAL));
    return { action: 'discarded' };
  }
  const files = journal.files.map((f) => f.target);
  const states = await mapLimit(journal.files, 8, (f) => stateOf(outDir, f));
  const manifest = await stateOf(outDir, journal.manifest);
  const canForward = manifest === 'done' || (manifest === 'staged' && states.every((s) => s !== 'lost'));
  const canBack = manifest !== 'done' && (await everyAsync(journal.files, async (f, i) => states[i] !== 'done' || !f.existed || (!!f.backup && (await exists(abs(outDir, f.backup))))));
  if (canForward && (prefer === 'forward' || !canBack)) {
    await renameStaged(outDir, journal.files.filter((_, i) => states[i] === 'staged'), 'recover-rename');
    if (manifest === 'staged') await runStep('recover-manifest', () => rename(abs(outDir, journal.manifest.temp), abs(outDir, MANIFEST)));
    await finishPublication(outDir, journal, true);
    return { action: 'forward', files };
  }
  // (Neither way is open only when files were damaged behind the journal: then what can be undone is.)
  await undoPublication(outDir, journal);
  return { action: 'back', files };
}

/** `staged`: the temp is there with its digest; `done`: the target has the new bytes; `lost`: neither. */
async function stateOf(outDir: string, f: StagedFile): Promise<'staged' | 'done' | 'lost'> {
  if ((await digestOf(abs(outDir, f.temp))) === f.sha256) return 'staged';
  return (await digestOf(abs(outDir, f.target))) === f.sha256 ? 'done' : 'lost';
}

/** The journal; undefined when there is none, null when it is not one feedpipe wrote. */
export async function readJournal(outDir: string): Promise<Journal | null | undefined> {
  let text: string;
  try {
    text = await readFile(abs(outDir, JOURNAL), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const j = JSON.parse(text) as Journal;
    const ok = Array.isArray(j.files) && j.files.every(isStaged) && isStaged(j.manifest) && j.manifest.target === MANIFEST;
    return ok && Array.isArray(j.remove) && j.remove.every((r) => typeof r === 'string' && isSafeRelative(r)) ? j : null;
  } catch {
    return null;
  }
}

/** Paths inside the folder, temps and backups of feedpipe's naming beside their target. */
function isStaged(f: StagedFile): boolean {
  const beside = (p: unknown) => typeof p === 'string' && isSafeRelative(p) && isTempName(path.posix.basename(p)) && path.posix.dirname(p) === path.posix.dirname(f.target);
  return (
    !!f && typeof f.target === 'string' && isSafeRelative(f.target) && beside(f.temp) && (f.backup === null || beside(f.backup)) &&
    typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256) && typeof f.existed === 'boolean'
  );
}

/**
 * What the lock holder does on start, before anything reads or writes the folder: finishes (or
 * undoes) an interrupted publication, then removes every temp file of feedpipe's naming left by
 * a killed process — those, and nothing else.
 */
export async function recoverOutput(outDir: string): Promise<{ recovery: Recovery; staleTemps: number }> {
  const recovery = await recoverPublication(outDir, 'forward');
  const staleTemps = await removeStaleTemps(outDir);
  await runStep('recovered', async () => undefined);
  return { recovery, staleTemps };
}

/** Removes feedpipe's temp files under `outDir` (and folders they alone kept); only with the lock held. */
export async function removeStaleTemps(outDir: string): Promise<number> {
  let removed = 0;
  for (const temp of await findTemps(outDir)) {
    await runStep('stale-remove', async () => {
      if (await unlinkQuiet(temp)) removed++;
      await removeEmptyParents(path.dirname(temp), outDir);
    });
  }
  return removed;
}

export async function syncFoldersOf(outDir: string, files: readonly StagedFile[]): Promise<void> {
  await Promise.all([...new Set(files.map((f) => path.dirname(abs(outDir, f.target))))].map(syncFolder));
}

export async function removeEmptyParents(dir: string, stop: string): Promise<void> {
  const root = path.resolve(stop);
  for (let d = path.resolve(dir); d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}

/** Whether it removed the file; a file already gone is no error. */
export async function unlinkQuiet(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function digestOf(file: string): Promise<string | undefined> {
  return readFile(file).then(sha256, () => undefined);
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

async function everyAsync<T>(items: readonly T[], test: (item: T, index: number) => Promise<boolean>): Promise<boolean> {
  return (await mapLimit(items, 8, test)).every(Boolean);
}

/** The lock's command while `feedpipe serve` finishes what a killed publisher left (a moment): a starting publisher waits for it. */
export const RECOVERING_COMMAND = 'feedpipe serve (finishing an interrupted publication)';

/** One sentence for the operator, or undefined when there was nothing to do. */
export function describeRecovery({ recovery, staleTemps }: { recovery: Recovery; staleTemps: number }): string | undefined {
  const parts: string[] = [];
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (recovery.action === 'forward') parts.push(`finished a publication that was interrupted (${count(recovery.files.length, 'file')} put in place, then the manifest)`);
  if (recovery.action === 'back') parts.push(`undid a publication that was interrupted (${count(recovery.files.length, 'file')}); the previous one stands`);
  if (recovery.action === 'discarded') parts.push(`removed a ${JOURNAL} that feedpipe did not write whole`);
  if (staleTemps) parts.push(`removed ${count(staleTemps, 'temp file')} left by a process that was killed`);
  return parts.length ? parts.join('; ') : undefined;
}
