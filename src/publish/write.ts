import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';

export const MANIFEST = '.feedpipe-manifest.json';

export interface WriteResult {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/**
 * Publishes `files` (paths relative to `outDir`): each changed file is written
 * to a temp file in its own folder, fsynced and renamed over the old one, so a
 * reader sees the old bytes or the new, never a mix; a file whose bytes did not
 * change is not touched (its mtime, and so HTTP validators, stay). Files that
 * an earlier build published and this one does not (a tag with no public
 * article left) are removed: a stale feed could keep showing an article that
 * went back to draft. Only files feedpipe wrote itself are ever removed.
 * `keep` lists files known to be unchanged without serialising them.
 */
export async function publishFiles(outDir: string, files: ReadonlyMap<string, string>, keep: ReadonlySet<string> = new Set()): Promise<WriteResult> {
  const result: WriteResult = { written: [], unchanged: [...keep].sort(), removed: [] };
  const published = new Set([...files.keys(), ...keep]);
  const previous = await readManifest(outDir);
  // Files are independent: write them side by side, a few at a time.
  const queue = [...files].sort(([a], [b]) => (a < b ? -1 : 1));
  const one = async ([rel, text]: [string, string]) => {
    const target = resolveInside(outDir, rel);
    const bytes = Buffer.from(text, 'utf8');
    const existing = await readFile(target).catch(() => undefined);
    if (existing && existing.equals(bytes)) return result.unchanged.push(rel);
    await writeAtomically(target, bytes);
    return result.written.push(rel);
  };
  for (let i = 0; i < queue.length; i += 8) await Promise.all(queue.slice(i, i + 8).map(one));
  result.written.sort();
  result.unchanged.sort();
  for (const rel of previous) {
    if (published.has(rel)) continue;
    const target = resolveInside(outDir, rel);
    try {
      await unlink(target);
      result.removed.push(rel);
      await removeEmptyParents(path.dirname(target), outDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const manifest = JSON.stringify({ files: [...published].sort() }, null, 2) + '\n';
  const manifestPath = path.join(outDir, MANIFEST);
  const old = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (old !== manifest) await writeAtomically(manifestPath, Buffer.from(manifest));
  return result;
}

async function readManifest(outDir: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(path.join(outDir, MANIFEST), 'utf8')) as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string' && isSafeRelative(f)) : [];
  } catch {
    return [];
  }
}

function isSafeRelative(rel: string): boolean {
  return rel !== '' && !path.isAbsolute(rel) && !rel.split(/[\\/]/).some((p) => p === '..' || p === '');
}

function resolveInside(outDir: string, rel: string): string {
  if (!isSafeRelative(rel)) throw new Error(`refusing to write outside the output folder: ${rel}`);
  return path.join(outDir, rel);
}

async function removeEmptyParents(dir: string, stop: string): Promise<void> {
  const root = path.resolve(stop);
  for (let d = path.resolve(dir); d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}

export async function writeAtomically(target: string, bytes: Buffer): Promise<void> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // The rename itself is durable only once the folder is synced.
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
