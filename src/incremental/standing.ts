/**
 * Proof that the last build's result still stands, without loading the cache
 * index or a single article: a build's output is a function of the content,
 * the config (in the cache key) and `now`. If every content file has the size
 * and mtime it had, no article's date lies between that build's clock and this
 * one (so the same articles are public), and every published file is as that
 * build left it, a new build would write the same bytes. Then only the content
 * folder is listed and stat'ed: a no-op build of 10 000 articles costs what
 * 10 000 stats cost.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { writeAtomically } from '../util/atomic.js';
import { MANIFEST } from '../publish/files.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
  /**
   * The change time and inode too, as git does: tools that copy or extract
   * files (cp -p, rsync -t, tar -x) restore the mtime, but cannot restore these.
   */
  ctimeMs: number;
  ino: number;
}

export function statOf(st: FileStat): FileStat {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** A file written this recently may be written again without its mtime moving: never trust its stat. */
export function isRacy(st: FileStat, wallAtStat: number): boolean {
  return wallAtStat - st.mtimeMs < RACY_MS;
}

/**
 * The clocks over which a selection stays the same: from its newest public
 * article's date (a clock before it hides that article) up to, not including,
 * its next due date.
 */
export interface ClockWindow {
  validFrom: number;
  validUntil?: number;
}

export function windowOf(visible: readonly { date: Date }[], nextDue: Date | undefined): ClockWindow {
  return { validFrom: visible[0]?.date.getTime() ?? -8.64e15, ...(nextDue ? { validUntil: nextDue.getTime() } : {}) };
}

export function holdsAt(window: ClockWindow, now: number): boolean {
  return now >= window.validFrom && (window.validUntil === undefined || now < window.validUntil);
}

export interface Standing extends ClockWindow {
  key: string;
  /** Digest of every content file's path, size, mtime, ctime and inode. */
  inputs: string;
  counts: Counts;
  nextDue?: { date: number; file: string };
  feeds: { key: string; items: number; updated: number; files: string[] }[];
  updated: [string, number][];
  diagnostics: Diagnostic[];
  /** Every published file and the manifest, as the build left them. */
  outputs: [string, FileStat][];
}

export interface Counts {
  articles: number;
  visible: number;
  scheduled: number;
  drafts: number;
}

/** A file written this recently may change again without its size or mtime moving (as in the cache). */
const RACY_MS = 2000;

export function standingFile(cacheFile: string): string {
  return cacheFile.replace(/\.json$/, '.standing.json');
}

/** Digest of the content files' stats, or undefined if one is too fresh to trust its stat. */
export function digestInputs(paths: readonly string[], stats: ReadonlyMap<string, FileStat>, wallNow = Date.now()): string | undefined {
  // A just-edited file is the common case after an edit: look for one before hashing anything.
  for (const p of paths) {
    const st = stats.get(p);
    if (!st || isRacy(st, wallNow)) return undefined;
  }
  const hash = createHash('sha256');
  for (const p of paths) {
    const st = stats.get(p)!;
    hash.update(`${p}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\n`);
  }
  return hash.digest('hex');
}

/** Stats `paths` (a file that cannot be stat'ed is left out: the build reports it). */
export function statAll(paths: readonly string[]): Map<string, FileStat> {
  const stats = new Map<string, FileStat>();
  for (const p of paths) {
    try {
      stats.set(p, statOf(statSync(p)));
    } catch {
      // reported by the loader
    }
  }
  return stats;
}

export async function loadStanding(file: string, key: string): Promise<Standing | undefined> {
  try {
    const s = JSON.parse(await readFile(file, 'utf8')) as Standing;
    return s.key === key && typeof s.inputs === 'string' && Array.isArray(s.outputs) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `standing` holds at `now` for content with these `inputs` and the files now in `outDir`. */
export function stands(standing: Standing, inputs: string | undefined, now: number, outDir: string): boolean {
  if (inputs === undefined || standing.inputs !== inputs) return false;
  if (!holdsAt(standing, now)) return false;
  for (const [rel, was] of standing.outputs) {
    try {
      if (!sameStat(statSync(path.join(outDir, rel)), was)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export function outputStats(outDir: string, files: Iterable<string>): [string, FileStat][] {
  return [...files, MANIFEST].map((rel) => {
    return [rel, statOf(statSync(path.join(outDir, rel)))];
  });
}

export async function saveStanding(file: string, standing: Standing | undefined): Promise<void> {
  if (standing) await writeAtomically(file, Buffer.from(JSON.stringify(standing)));
  else await rm(file, { force: true });
}
