import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';

export const MANIFEST = '.feedpipe-manifest.json';

export interface WriteResult {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/**
 * dist/.feedpipe-manifest.json. `files` is what feedpipe published (the
 * clean-up reads only it, as every version did); `published` adds, per file,
 * the SHA-256 of its bytes and its HTTP Last-Modified, for the server: the
 * manifest is renamed into place after every file it lists, so a reader that
 * finds a file's bytes matching the manifest's hash has a complete build.
 */
export interface Manifest {
  files: string[];
  published: Record<string, PublishedFile>;
}

export interface PublishedFile {
  sha256: string;
  /** ISO 8601, whole seconds. */
  lastModified: string;
}

export interface PublishOptions {
  /** Files known to be unchanged, not serialised this time: published as they are. */
  keep?: ReadonlySet<string>;
  /** The time each file's content says it was last updated (a feed's newest item), by path. */
  updated?: ReadonlyMap<string, Date>;
  /** The build's clock: Last-Modified of a changed file whose content gives no later time. */
  now?: Date;
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
export async function publishFiles(outDir: string, files: ReadonlyMap<string, string | Buffer>, options: PublishOptions = {}): Promise<WriteResult> {
  const keep = options.keep ?? new Set<string>();
  const result: WriteResult = { written: [], unchanged: [...keep].sort(), removed: [] };
  const all = new Set([...files.keys(), ...keep]);
  const previous = await readManifest(outDir);
  const published = new Map<string, PublishedFile>();
  const now = options.now ?? new Date();
  // Files are independent: write them side by side, a few at a time.
  const queue = [...files].sort(([a], [b]) => (a < b ? -1 : 1));
  const one = async ([rel, content]: [string, string | Buffer]) => {
    const target = resolveInside(outDir, rel);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Bytes whose hash differs from what was last published here are new: no need to read the old file.
    // The same hash is checked against the file itself, in case it was changed behind our back.
    const before = previous.published[rel];
    const existing = before && before.sha256 !== sha256 ? undefined : await readFile(target).catch(() => undefined);
    const unchanged = !!existing && existing.equals(bytes);
    published.set(rel, { sha256, lastModified: lastModified(previous.published[rel], options.updated?.get(rel), now, unchanged).toISOString() });
    if (unchanged) return result.unchanged.push(rel);
    await writeAtomically(target, bytes, { syncFolder: false });
    folders.add(path.dirname(target));
    return result.written.push(rel);
  };
  // A sliding window: most of a file's time is its fsync, which the disk overlaps with the others'.
  const folders = new Set<string>();
  let next = 0;
  let failure: { error: unknown } | undefined;
  // After a failure no lane takes another file, and every write under way ends before the caller hears of it.
  await Promise.all(Array.from({ length: Math.min(16, queue.length) }, async () => {
    while (!failure && next < queue.length) {
      try {
        await one(queue[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  }));
  if (failure) throw failure.error;
  // The renames are durable once their folders are synced: once per folder, not once per file.
  await Promise.all([...folders].map(syncFolder));
  // Files kept without serialising keep their entry; one from an older manifest without it is hashed from disk.
  for (const rel of keep) {
    const before = previous.published[rel];
    if (before) {
      published.set(rel, before);
      continue;
    }
    const bytes = await readFile(resolveInside(outDir, rel));
    published.set(rel, { sha256: createHash('sha256').update(bytes).digest('hex'), lastModified: lastModified(undefined, options.updated?.get(rel), now, true).toISOString() });
  }
  result.written.sort();
  result.unchanged.sort();
  for (const rel of previous.files) {
    if (all.has(rel)) continue;
    const target = resolveInside(outDir, rel);
    try {
      await unlink(target);
      result.removed.push(rel);
      await removeEmptyParents(path.dirname(target), outDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const sorted = [...all].sort();
  const manifest = JSON.stringify({ files: sorted, published: Object.fromEntries(sorted.map((rel) => [rel, published.get(rel)!])) } satisfies Manifest, null, 2) + '\n';
  const manifestPath = path.join(outDir, MANIFEST);
  const old = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (old !== manifest) await writeAtomically(manifestPath, Buffer.from(manifest));
  return result;
}

/**
 * Last-Modified is the content's own time (a feed's newest item), so it is the
 * same on every machine and after a fresh deploy, and an aggregator's
 * If-Modified-Since keeps matching. But it must move forward whenever the bytes
 * change, or a client holding the old copy would be told "not modified": when a
 * change does not bring a later content time (a title edited, an article
 * withdrawn), the build's clock is used, and never anything not after the
 * previous value. HTTP dates have whole seconds.
 */
function lastModified(previous: PublishedFile | undefined, updated: Date | undefined, now: Date, unchanged: boolean): Date {
  const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
  const before = previous && !Number.isNaN(Date.parse(previous.lastModified)) ? new Date(previous.lastModified) : undefined;
  const content = updated ? seconds(updated) : undefined;
  if (unchanged) return before ?? content ?? seconds(now);
  if (content && (!before || content > before)) return content;
  if (!before) return seconds(now);
  return new Date(Math.max(seconds(now).getTime(), before.getTime() + 1000));
}

/** Reads and checks the manifest; anything unreadable or unsafe counts as absent. */
export async function readManifest(outDir: string): Promise<Manifest> {
  return parseManifest(await readFile(path.join(outDir, MANIFEST), 'utf8').catch(() => ''));
}

export function parseManifest(text: string): Manifest {
  let parsed: { files?: unknown; published?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { files: [], published: {} };
  }
  const files = Array.isArray(parsed?.files) ? parsed.files.filter((f): f is string => typeof f === 'string' && isSafeRelative(f)) : [];
  const published: Record<string, PublishedFile> = {};
  const meta = parsed?.published && typeof parsed.published === 'object' ? (parsed.published as Record<string, unknown>) : {};
  for (const rel of files) {
    const m = Object.hasOwn(meta, rel) ? (meta[rel] as Partial<PublishedFile> | null) : undefined;
    if (m && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256) && typeof m.lastModified === 'string' && !Number.isNaN(Date.parse(m.lastModified))) {
      published[rel] = { sha256: m.sha256, lastModified: m.lastModified };
    }
  }
  return { files, published };
}

export function isSafeRelative(rel: string): boolean {
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

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
