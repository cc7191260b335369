import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * feedpipe's own temp files: `.NAME.PID.RANDOM.tmp` beside their target (RANDOM is 8 hex digits).
 * Only names of this shape are ever removed as left over (findTemps).
 */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * RANDOM: a random start once per process, then counted up: names never repeat within a process
 * (the pid tells processes apart), and no call to the system's random source per file. A temp
 * file is opened with 'wx' anyway: a name that exists is never written through.
 */
let tempCount = randomBytes(4).readUInt32BE(0);

/** A fresh temp path beside `target`, of feedpipe's own naming. */
export function tempPathFor(target: string): string {
  tempCount = (tempCount + 1) >>> 0;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${tempCount.toString(16).padStart(8, '0')}.tmp`);
}

/** Whether a file name (no folder) is one of feedpipe's temp files. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Opens a new file for writing; its folder is made only when missing (one call, not one per file, in the usual case). */
async function openCreating(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(path.dirname(file), { recursive: true });
    return await open(file, 'wx', 0o644);
  }
}

/**
 * Writes `bytes` to a new temp file beside `target` (creating its folder) and returns its path;
 * fsynced unless `durable: false`. On failure nothing is left.
 */
export async function writeTemp(target: string, bytes: Buffer | readonly Buffer[], options: { durable?: boolean } = {}): Promise<string> {
  const tmp = tempPathFor(target);
  // A name that exists is not ours: the open fails and nothing is removed.
  const handle = await openCreating(tmp);
  try {
    try {
      await writeAll(handle, bytes);
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return tmp;
}

/** Most buffers one writev takes (POSIX IOV_MAX on Linux and macOS). */
const IOV_MAX = 1024;

/**
 * Bytes, or chunks of them in order, written with writev a batch at a time: a file made of parts
 * is never joined in memory (on a VM a fresh page costs ~10 µs to touch: copying a cache's 30 MB
 * into new buffers cost more than writing them).
 */
async function writeAll(handle: FileHandle, bytes: Buffer | readonly Buffer[]): Promise<void> {
  if (Buffer.isBuffer(bytes)) return handle.writeFile(bytes);
  for (let at = 0; at < bytes.length; at += IOV_MAX) {
    const batch = bytes.slice(at, at + IOV_MAX) as Buffer[];
    const total = batch.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await handle.writev(batch);
    // A short write (which libuv already retries) is finished with what is left of the batch.
    if (bytesWritten < total) await handle.write(Buffer.concat(batch).subarray(bytesWritten));
  }
}

/**
 * Replaces `target` with `bytes` through a temp file and a rename, so a reader
 * sees the old bytes or the new, never a mix. `durable: false` skips the
 * fsyncs, for files that are only a hint (the build cache: a file lost in a
 * crash costs a slower build, and a torn one is detected and ignored).
 */
export async function writeAtomically(target: string, bytes: Buffer | readonly Buffer[], options: { syncFolder?: boolean; durable?: boolean } = {}): Promise<void> {
  const tmp = await writeTemp(target, bytes, options);
  try {
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // The rename itself is durable only once the folder is synced (the caller may do that once for many files).
  if (options.syncFolder !== false && options.durable !== false) await syncFolder(path.dirname(target));
}

export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/**
 * Every file of feedpipe's temp naming under `dir`, as absolute paths. Symlinks are neither
 * followed nor listed, and hidden folders (`.feedpipe-cache`, `.git`) are not entered:
 * feedpipe publishes nothing into them.
 */
export async function findTemps(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
      throw e;
    });
    const folders: string[] = [];
    for (const entry of entries) {
      if (entry.isFile() && isTempName(entry.name)) found.push(path.join(folder, entry.name));
      else if (entry.isDirectory() && !entry.name.startsWith('.')) folders.push(path.join(folder, entry.name));
    }
    await Promise.all(folders.map(walk));
  };
  await walk(dir);
  return found.sort();
}
