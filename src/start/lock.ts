import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, rmdir, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * One writer per output folder: two publishers interleaving their writes
 * could leave feeds from two different content trees side by side. The lock
 * is a file in the output folder holding who took it; it is never published
 * (it is not in the manifest) and is removed on exit.
 *
 * It is written whole or not at all: the holder is written to a temp file,
 * which is then hard-linked to the lock's name. link() fails if the name
 * exists, so it is as exclusive as `open(wx)`, and atomic like a rename (a
 * rename would replace a lock someone else holds). So we never leave an empty
 * or torn lock, even when killed or out of disk space mid-write.
 *
 * A crashed process must not leave it stuck. A lock is stale when:
 *  - it names no holder at all (empty, truncated, garbage, a directory, a file
 *    we cannot read): nobody can show it is theirs, so it is taken over at once;
 *  - its holder is on this host and that process no longer exists, or is this
 *    very process (a restarted container often gets the same pid back);
 *  - it has not been refreshed for `staleAfterMs`: the holder refreshes its
 *    mtime every `refreshMs` while it runs, so this covers a holder on another
 *    host (a shared volume) and a pid that was reused by another program.
 * A holder that is alive is refused at once, with who it is.
 */
export const LOCK_FILE = '.feedpipe.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  /** When it started, ISO 8601. */
  started: string;
  /** What holds it: `feedpipe start`, `feedpipe build`. */
  command: string;
}

export interface LockOptions {
  command: string;
  /** Default 5 minutes. */
  staleAfterMs?: number;
  now?: () => number;
  pid?: number;
  hostname?: string;
  /** Whether a process exists on this host; default `process.kill(pid, 0)`. */
  isAlive?: (pid: number) => boolean;
}

/** A stale lock that was removed: `file` is the lock's path, `reason` says why in a few words. */
export interface TakeOver {
  file: string;
  holder?: LockHolder;
  reason: string;
}

export type LockResult = { ok: true; lock: OutputLock; tookOver?: TakeOver } | { ok: false; holder?: LockHolder; message: string };

export const DEFAULT_STALE_AFTER_MS = 5 * 60_000;
/** How often a long-running holder should call `refresh()`. */
export const LOCK_REFRESH_MS = 30_000;

/** Lock files this process holds now: a lock naming our own pid is stale only if it is not one of them. */
const heldHere = new Set<string>();

export class OutputLock {
  #released = false;
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    heldHere.add(file);
  }

  /** Refreshes the mtime; false when the lock is no longer ours (taken over, or removed). */
  async refresh(now = Date.now()): Promise<boolean> {
    if (this.#released) return false;
    if (!(await this.#stillOurs())) return false;
    const t = new Date(now);
    await utimes(this.file, t, t).catch(() => undefined);
    return true;
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.file);
    if (await this.#stillOurs()) await unlink(this.file).catch(() => undefined);
  }

  async #stillOurs(): Promise<boolean> {
    const found = await inspect(this.file);
    return found.kind === 'holder' && sameHolder(found.holder, this.holder);
  }
}

/** What is at the lock's path, and enough of its identity to remove only that. */
type Found =
  | { kind: 'none' }
  | { kind: 'holder'; holder: LockHolder; stamp: Stamp }
  /** Cut short, but the start still names a pid and host (only a writer older than the link() scheme leaves one). */
  | { kind: 'partial'; holder: LockHolder; stamp: Stamp }
  | { kind: 'broken'; why: string; stamp: Stamp };

interface Stamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  dir: boolean;
}

type Verdict = { stale: string } | { held: true };

export async function acquireOutputLock(outDir: string, options: LockOptions): Promise<LockResult> {
  const now = options.now ?? Date.now;
  const file = path.join(outDir, LOCK_FILE);
  const me: LockHolder = { pid: options.pid ?? process.pid, hostname: options.hostname ?? os.hostname(), started: new Date(now()).toISOString(), command: options.command };
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  await mkdir(outDir, { recursive: true });

  let tookOver: TakeOver | undefined;
  // Two rounds: create; or find a stale lock, remove it, and create once more.
  // If another process wins the second round, the lock is simply held.
  for (let round = 0; round < 2; round++) {
    if (await createLock(file, me)) return { ok: true, lock: new OutputLock(file, me), ...(tookOver ? { tookOver } : {}) };
    const found = await inspect(file);
    if (found.kind === 'none') continue; // removed meanwhile: try again
    const verdict = judge(found, me, options.isAlive ?? processExists, now() - found.stamp.mtimeMs, staleAfterMs, file);
    const holder = found.kind === 'broken' ? undefined : found.holder;
    if ('held' in verdict || round === 1) return { ok: false, ...(holder ? { holder } : {}), message: heldMessage(file, holder, staleAfterMs) };
    const removed = await removeStale(file, found.stamp);
    if (removed === 'changed') continue; // someone else got there first: judge what is there now
    if (removed !== true) return { ok: false, message: `cannot take over the stale lock ${file} (${verdict.stale}): ${removed}` };
    tookOver = { file, ...(holder ? { holder } : {}), reason: verdict.stale };
  }
  return { ok: false, message: heldMessage(file, undefined, staleAfterMs) };
}

/** Whether `found` may be taken over, and why. */
function judge(found: Exclude<Found, { kind: 'none' }>, me: LockHolder, isAlive: (pid: number) => boolean, ageMs: number, staleAfterMs: number, file: string): Verdict {
  if (found.kind === 'broken') return { stale: found.why };
  const { holder } = found;
  const cut = found.kind === 'partial' ? 'it is cut short and ' : '';
  if (holder.hostname === me.hostname) {
    if (holder.pid === me.pid) return heldHere.has(file) ? { held: true } : { stale: `${cut}left by an earlier process with this process's pid ${me.pid}` };
    if (!isAlive(holder.pid)) return { stale: `${cut}process ${holder.pid} no longer exists` };
    return { held: true };
  }
  return ageMs > staleAfterMs ? { stale: `${cut}not refreshed for ${Math.round(ageMs / 1000)} s` } : { held: true };
}

/** Writes the holder to a temp file and links it into place: true if the lock is ours, false if the name is taken. */
async function createLock(file: string, me: LockHolder, attempt = 1): Promise<boolean> {
  const tmp = `${file}.${me.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let written = false;
  try {
    await writeFile(tmp, JSON.stringify(me) + '\n', { flag: 'wx', mode: 0o644 });
    written = true;
    await link(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // The temp file went before it was linked: the holder's recovery sweeps temp files of this
    // naming (src/publish/journal.ts) and took it for one a dead process left. Once more.
    if (code === 'ENOENT' && written && attempt < 3) return createLock(file, me, attempt + 1);
    // A file system without hard links (some network and FAT mounts): exclusive create, then write.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createInPlace(file, me);
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function createInPlace(file: string, me: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await handle.writeFile(JSON.stringify(me) + '\n');
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Removes the lock judged stale, if it is still that very file (another process
 * may have taken it over meanwhile). True, 'changed', or why it could not.
 */
async function removeStale(file: string, judged: Stamp): Promise<true | 'changed' | string> {
  const now = await inspect(file);
  if (now.kind === 'none') return true;
  if (!sameStamp(now.stamp, judged)) return 'changed';
  try {
    if (judged.dir) await rmdir(file);
    else await unlink(file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return `it is a folder with files in it, which feedpipe never deletes; remove it by hand`;
    return `cannot remove it (${code ?? (e as Error).message}); remove it by hand`;
  }
}

/** Reads the lock without ever throwing: what is there, and whether it names a holder. */
async function inspect(file: string): Promise<Found> {
  let stamp: Stamp;
  try {
    const s = await lstat(file);
    stamp = { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, dir: s.isDirectory() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'broken', why: `it cannot be examined (${(e as NodeJS.ErrnoException).code})`, stamp: { dev: 0, ino: 0, size: 0, mtimeMs: 0, dir: false } };
  }
  if (stamp.dir) return { kind: 'broken', why: 'it is a folder, not a lock file', stamp };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'none' } : { kind: 'broken', why: `it cannot be read (${code})`, stamp };
  }
  if (!text.trim()) return { kind: 'broken', why: 'it is empty (a crash or a full disk while it was written)', stamp };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const partial = salvage(text);
    return partial ? { kind: 'partial', holder: partial, stamp } : { kind: 'broken', why: 'it is not a feedpipe lock (torn or garbage)', stamp };
  }
  const holder = asHolder(value);
  return holder ? { kind: 'holder', holder, stamp } : { kind: 'broken', why: 'it names no holder', stamp };
}

function asHolder(value: unknown): LockHolder | undefined {
  const v = (value ?? {}) as Partial<LockHolder>;
  if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.started !== 'string') return undefined;
  return { pid: v.pid, hostname: v.hostname, started: v.started, command: typeof v.command === 'string' ? v.command : 'feedpipe' };
}

/** The pid and host at the start of a lock cut short after them (`{"pid":12,"hostname":"a","sta`). */
function salvage(text: string): LockHolder | undefined {
  const m = /^\{"pid":(\d+),"hostname":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), hostname: JSON.parse(m[2]!) as string, started: 'unknown', command: 'feedpipe' };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.dir === b.dir;
}

function heldMessage(file: string, holder: LockHolder | undefined, staleAfterMs: number): string {
  const who = holder ? `${holder.command} (pid ${holder.pid} on ${holder.hostname}, since ${holder.started})` : 'another feedpipe process';
  return (
    `the output folder is locked by ${who}: only one publisher may write it at a time (${file}). ` +
    `Stop that process first, or use --out for another folder. The lock of a process that crashed is taken over ` +
    `automatically: at once on the same host, after ${Math.round(staleAfterMs / 60_000)} minutes without a refresh otherwise.`
  );
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.hostname === b.hostname && a.started === b.started;
}

/** Signal 0 checks existence without signalling; EPERM means it exists but belongs to another user. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockKeeping {
  /** Every this often; default LOCK_REFRESH_MS. */
  everyMs?: number;
  now: () => number;
  timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  /** Ends the refreshing (the holder is stopping). */
  signal: AbortSignal;
  /** The lock was removed or taken over: the holder must stop, so two writers never interleave. */
  onLost: () => void;
}

/**
 * Refreshes a long-running holder's lock until `signal` aborts: a lock that
 * is not refreshed is taken over after a while, and one that was taken over
 * means stop.
 */
export function keepLockFresh(lock: OutputLock, options: LockKeeping): void {
  const { timers, signal } = options;
  let timer: unknown;
  const arm = () => {
    timer = timers.setTimeout(async () => {
      const ours = await lock.refresh(options.now()).catch(() => false);
      if (signal.aborted) return;
      if (!ours) return options.onLost();
      arm();
    }, options.everyMs ?? LOCK_REFRESH_MS);
  };
  if (signal.aborted) return;
  signal.addEventListener('abort', () => timers.clearTimeout(timer), { once: true });
  arm();
}
