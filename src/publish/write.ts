import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { isSafeRelative } from '../util/paths.js';
import { JOURNAL, MANIFEST } from './files.js';
import {
  commitPublication,
  eachUntilFailure,
  finishPublication,
  recoverPublication,
  stageFile,
  unlinkQuiet,
  writeJournal,
  type Journal,
  type StagedFile,
} from './journal.js';
import { readManifest, type Manifest, type PublishedFile } from './manifest.js';
import type { FeedRecords } from './feed-records.js';
import { runStep } from './steps.js';

export { writeAtomically } from '../util/atomic.js';

/** A file to publish: text, its UTF-8 bytes, or those bytes in chunks (a feed's frame and items, never joined in memory). */
export type FileContent = string | Buffer | readonly Buffer[];

/** Whether `content` (bytes or chunks) is exactly `bytes`. */
function sameBytes(bytes: Buffer, content: Buffer | readonly Buffer[]): boolean {
  if (Buffer.isBuffer(content)) return bytes.equals(content);
  let at = 0;
  for (const chunk of content) {
    if (at + chunk.length > bytes.length || !chunk.equals(bytes.subarray(at, at + chunk.length))) return false;
    at += chunk.length;
  }
  return at === bytes.length;
}

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
  /** The subscription feeds published, recorded in the manifest for the next build (publish/emptied.ts). */
  feeds?: FeedRecords;
}

/**
 * Publishes `files` (paths relative to `outDir`) as one set, through a journal
 * (publish/journal.ts): every changed file is staged beside its target, then
 * all are renamed into place and the manifest last, so that at every instant,
 * and after a crash at any instant, the manifest agrees with the files: the
 * whole previous publication or the whole new one. A file whose bytes did not
 * change is not touched (its mtime, and so HTTP validators, stay). Files that
 * an earlier build published and this one does not (a tag with no public
 * article left) are removed once the new manifest is in place: a stale feed
 * could keep showing an article that went back to draft. Only files feedpipe
 * wrote itself are ever removed. `keep` lists files known to be unchanged
 * without serialising them. A failure undoes the publication: the previous one
 * stays whole.
 */
export async function publishFiles(outDir: string, files: ReadonlyMap<string, FileContent>, options: PublishOptions = {}): Promise<WriteResult> {
  const keep = options.keep ?? new Set<string>();
  await settleInterrupted(outDir, keep);
  const previous = await readManifest(outDir);
  const all = new Set([...files.keys(), ...keep]);
  const set: PublishSet = { outDir, previous, options, now: options.now ?? new Date(), published: new Map(), staged: [] };
  const result: WriteResult = { written: [], unchanged: [...keep].sort(), removed: [] };
  let journal: Journal;
  try {
    const changed = await changedFiles(set, files, result);
    await entriesOfKept(set, keep);
    const sorted = [...all].sort();
    const published = Object.fromEntries(sorted.map((rel) => [rel, set.published.get(rel)!]));
    const manifest = JSON.stringify({ files: sorted, published, ...(options.feeds ? { feeds: options.feeds } : {}) } satisfies Manifest, null, 2) + '\n';
    const remove = previous.files.filter((rel) => !all.has(rel));
    result.written.sort();
    result.unchanged.sort();
    if (!changed.length && !remove.length) {
      // Nothing to rename but perhaps the manifest: one atomic write is a whole publication.
      const old = await readFile(path.join(outDir, MANIFEST), 'utf8').catch(() => undefined);
      if (old !== manifest) await writeAtomically(path.join(outDir, MANIFEST), Buffer.from(manifest));
      return result;
    }
    await stageAll(set, changed, manifest);
    const renames = set.staged.filter((f) => f.target !== MANIFEST).sort((a, b) => (a.target < b.target ? -1 : 1));
    journal = { files: renames, manifest: set.staged.find((f) => f.target === MANIFEST)!, remove };
    await writeJournal(outDir, journal);
  } catch (e) {
    await discardStaged(outDir, set.staged, !!journal!);
    throw e;
  }
  try {
    await commitPublication(outDir, journal);
  } catch (e) {
    // The manifest was not renamed: the previous publication is put back (where a file system
    // without hard links kept no backup, finished instead, if it can be; else at the next start).
    await recoverPublication(outDir, 'back').catch(() => undefined);
    throw e;
  }
  result.removed = await finishPublication(outDir, journal);
  return result;
}

/** What one publication works on while it stages its files. */
interface PublishSet {
  outDir: string;
  previous: Manifest;
  options: PublishOptions;
  now: Date;
  /** The new manifest's entries. */
  published: Map<string, PublishedFile>;
  staged: StagedFile[];
}

/**
 * A journal left by a publication that did not end is undone (or finished, if its manifest was
 * renamed): this publication supersedes it. Finishing it may have replaced files this build
 * planned to keep as they were: then it must be planned again.
 */
async function settleInterrupted(outDir: string, keep: ReadonlySet<string>): Promise<void> {
  const recovered = await recoverPublication(outDir, 'back');
  if (recovered.action === 'forward' && recovered.files.some((rel) => keep.has(rel))) {
    throw new Error('an interrupted publication was finished first and replaced files this build had found unchanged; publish again');
  }
}

/** Each file whose bytes differ from what is on disk, as bytes, with its digest; records every file's manifest entry. */
async function changedFiles(set: PublishSet, files: ReadonlyMap<string, FileContent>, result: WriteResult): Promise<[string, Buffer | readonly Buffer[], string][]> {
  const { outDir, previous, options, now } = set;
  const changed: [string, Buffer | readonly Buffer[], string][] = [];
  const one = async ([rel, text]: [string, FileContent]) => {
    const target = resolveInside(outDir, rel);
    // Encoded once: hashed, compared and written as these bytes.
    const content = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const digest = sha256(content);
    // Bytes whose hash differs from what was last published here are new: no need to read the old file.
    // The same hash is checked against the file itself, in case it was changed behind our back.
    const before = previous.published[rel];
    const existing = before && before.sha256 !== digest ? undefined : await readFile(target).catch(() => undefined);
    const unchanged = !!existing && sameBytes(existing, content);
    set.published.set(rel, { sha256: digest, lastModified: lastModified(previous.published[rel], options.updated?.get(rel), now, unchanged).toISOString() });
    if (unchanged) return result.unchanged.push(rel);
    changed.push([rel, content, digest]);
    return result.written.push(rel);
  };
  await mapLimit([...files], 16, one);
  return changed.sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Stages the changed files and the manifest side by side, a few at a time (a sliding window:
 * most of a file's time is its fsync, which the disk overlaps with the others').
 */
async function stageAll(set: PublishSet, changed: [string, Buffer | readonly Buffer[], string][], manifest: string): Promise<void> {
  const all: [string, Buffer | readonly Buffer[], string | undefined][] = [[MANIFEST, Buffer.from(manifest, 'utf8'), undefined], ...changed];
  await eachUntilFailure(all, async ([rel, bytes, digest]) => {
    // The manifest is replaced last, as the commit, never undone: it needs no backup.
    set.staged.push(await runStep('stage', () => stageFile(set.outDir, rel, bytes, digest, rel !== MANIFEST)));
  });
}

/** Files kept without serialising keep their entry; one from an older manifest without it is hashed from disk. */
async function entriesOfKept(set: PublishSet, keep: ReadonlySet<string>): Promise<void> {
  for (const rel of keep) {
    const before = set.previous.published[rel];
    if (before) {
      set.published.set(rel, before);
      continue;
    }
    const bytes = await readFile(resolveInside(set.outDir, rel));
    set.published.set(rel, { sha256: sha256(bytes), lastModified: lastModified(undefined, set.options.updated?.get(rel), set.now, true).toISOString() });
  }
}

/** A publication that failed before its journal was written whole: nothing was renamed, its temps, backups and journal go. */
async function discardStaged(outDir: string, staged: readonly StagedFile[], journal: boolean): Promise<void> {
  const files = [...staged.flatMap((f) => (f.backup ? [f.temp, f.backup] : [f.temp])), ...(journal ? [JOURNAL] : [])];
  await mapLimit(files, 16, (rel) => unlinkQuiet(path.join(outDir, rel)).catch(() => false));
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
