import { readFile, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { syncFolder, writeAtomically } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { isSafeRelative } from '../util/paths.js';
import { MANIFEST } from './files.js';
import { readManifest, type Manifest, type PublishedFile } from './manifest.js';

export { writeAtomically } from '../util/atomic.js';

export interface WriteResult {
  written: string[];
  unchanged: string[];
  removed: string[];
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
    const digest = sha256(bytes);
    // Bytes whose hash differs from what was last published here are new: no need to read the old file.
    // The same hash is checked against the file itself, in case it was changed behind our back.
    const before = previous.published[rel];
    const existing = before && before.sha256 !== digest ? undefined : await readFile(target).catch(() => undefined);
    const unchanged = !!existing && existing.equals(bytes);
    published.set(rel, { sha256: digest, lastModified: lastModified(previous.published[rel], options.updated?.get(rel), now, unchanged).toISOString() });
    if (unchanged) return result.unchanged.push(rel);
    await writeAtomically(target, bytes, { syncFolder: false });
    folders.add(path.dirname(target));
    return result.written.push(rel);
  };
  // A sliding window: most of a file's time is its fsync, which the disk overlaps with the others'.
  const folders = new Set<string>();
  let failure: { error: unknown } | undefined;
  // After a failure no lane takes another file, and every write under way ends before the caller hears of it.
  await mapLimit(queue, 16, async (file) => {
    if (failure) return;
    try {
      await one(file);
    } catch (error) {
      failure ??= { error };
    }
  });
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
    published.set(rel, { sha256: sha256(bytes), lastModified: lastModified(undefined, options.updated?.get(rel), now, true).toISOString() });
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
