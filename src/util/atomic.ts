import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `target` with `bytes` through a temp file and a rename, so a reader
 * sees the old bytes or the new, never a mix. `durable: false` skips the
 * fsyncs, for files that are only a hint (the build cache: a file lost in a
 * crash costs a slower build, and a torn one is detected and ignored).
 */
export async function writeAtomically(target: string, bytes: Buffer, options: { syncFolder?: boolean; durable?: boolean } = {}): Promise<void> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // The rename itself is durable only once the folder is synced (the caller may do that once for many files).
  if (options.syncFolder !== false && options.durable !== false) await syncFolder(dir);
}

export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
