import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * One writer per output folder: two publishers interleaving their writes
 * could leave feeds from two different content trees side by side. The lock
 * is a file created exclusively (`wx`) in the output folder, holding who took
 * it; it is never published (it is not in the manifest) and is removed on exit.
 *
 * A crashed process must not leave it stuck forever. A lock is stale when:
 *  - its holder is on this host and that process no longer exists, or is this
 *    very process (a restarted container often gets the same pid back); or
 *  - it has not been refreshed for `staleAfterMs`: the holder refreshes its
 *    mtime every `refreshMs` while it runs, so this covers a holder on another
 *    host (a shared volume) and a pid that was reused by another program.
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

export type LockResult =
  | { ok: true; lock: OutputLock; tookOver?: { holder?: LockHolder; reason: string } }
  | { ok: false; holder?: LockHolder; message: string };

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
    const current = await readHolder(this.file);
    if (!current || !sameHolder(current, this.holder)) return false;
    const t = new Date(now);
    await utimes(this.file, t, t).catch(() => undefined);
    return true;
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.file);
    const current = await readHolder(this.file);
    if (current && sameHolder(current, this.holder)) await unlink(this.file).catch(() => undefined);
  }
}

export async function acquireOutputLock(outDir: string, options: LockOptions): Promise<LockResult> {
  const now = options.now ?? Date.now;
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const isAlive = options.isAlive ?? processExists;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const file = path.join(outDir, LOCK_FILE);
  const me: LockHolder = { pid, hostname, started: new Date(now()).toISOString(), command: options.command };
  await mkdir(outDir, { recursive: true });

  let tookOver: { holder?: LockHolder; reason: string } | undefined;
  // Two rounds: create; or find a stale lock, remove it, and create once more.
  // If another process wins the second round, the lock is simply held.
  for (let round = 0; round < 2; round++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(me) + '\n');
      } finally {
        await handle.close();
      }
      return { ok: true, lock: new OutputLock(file, me), ...(tookOver ? { tookOver } : {}) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readHolder(file);
    const mtime = await stat(file).then((s) => s.mtimeMs, () => undefined);
    if (mtime === undefined) continue; // removed meanwhile: try again
    const age = now() - mtime;
    let staleReason: string | undefined;
    if (!holder) {
      // Being written this very moment, or garbage: only its age tells.
      if (age > staleAfterMs) staleReason = `unreadable lock not refreshed for ${Math.round(age / 1000)} s`;
    } else if (holder.hostname === hostname && holder.pid === pid && !heldHere.has(file)) {
      staleReason = `left by an earlier process with this process's pid ${pid}`;
    } else if (holder.hostname === hostname && holder.pid !== pid && !isAlive(holder.pid)) {
      staleReason = `process ${holder.pid} no longer exists`;
    } else if (age > staleAfterMs) {
      staleReason = `not refreshed for ${Math.round(age / 1000)} s`;
    }
    if (!staleReason || round === 1) {
      return { ok: false, ...(holder ? { holder } : {}), message: heldMessage(file, holder, staleAfterMs) };
    }
    // Narrow the race with another process taking over the same stale lock:
    // remove it only if it is still the one judged stale. (A holder whose
    // lock is taken anyway finds out at its next refresh and stops.)
    const again = await readHolder(file);
    if ((again && holder && !sameHolder(again, holder)) || (!!again !== !!holder)) continue;
    await unlink(file).catch(() => undefined);
    tookOver = { ...(holder ? { holder } : {}), reason: staleReason };
  }
  return { ok: false, message: heldMessage(file, undefined, staleAfterMs) };
}

function heldMessage(file: string, holder: LockHolder | undefined, staleAfterMs: number): string {
  const who = holder ? `${holder.command} (pid ${holder.pid} on ${holder.hostname}, since ${holder.started})` : 'another feedpipe process';
  return (
    `the output folder is locked by ${who}: only one publisher may write it at a time (${file}). ` +
    `Stop that process first, or use --out for another folder. The lock of a process that crashed is taken over ` +
    `automatically: at once on the same host, after ${Math.round(staleAfterMs / 60_000)} minutes without a refresh otherwise.`
  );
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.started === 'string') {
      return { pid: v.pid, hostname: v.hostname, started: v.started, command: typeof v.command === 'string' ? v.command : 'feedpipe' };
    }
  } catch {
    // missing or not ours
  }
  return undefined;
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
