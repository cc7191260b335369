/**
 * The one way a shortcut tells whether a file changed without reading it: its
 * stat. Every reuse decision that trusts a stat (the standing proof, the
 * summary, the cache's per-file entries, the build prepared before a due time)
 * uses these, with the same fields and the same rule for a stat too fresh to trust.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';

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

/** A file written this recently may change again without its size or mtime moving ("racy git"). */
const RACY_MS = 2000;

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

/** Stats `paths` (a file that cannot be stat'ed is left out: whoever reads it reports it). */
export function statAll(paths: readonly string[]): Map<string, FileStat> {
  const stats = new Map<string, FileStat>();
  for (const p of paths) {
    try {
      stats.set(p, statOf(statSync(p)));
    } catch {
      // left out: a digest over it is undefined, and the loader reports the file
    }
  }
  return stats;
}

/**
 * Digest of `paths` and their stats, or undefined if one is missing, or (with `racy` 'refuse', for
 * proofs saved for a later process) too fresh to trust. 'trust' is for two digests compared within
 * one process a few seconds apart (the build prepared before a due time): any write between them
 * moves the ctime, even one undone later, which comparing bytes would miss.
 */
export function digestStats(paths: readonly string[], stats: ReadonlyMap<string, FileStat>, wallAtStat: number, racy: 'refuse' | 'trust' = 'refuse'): string | undefined {
  // A just-edited file is the common case after an edit: look for one before hashing anything.
  for (const p of paths) {
    const st = stats.get(p);
    if (!st || (racy === 'refuse' && isRacy(st, wallAtStat))) return undefined;
  }
  const hash = createHash('sha256');
  for (const p of paths) {
    const st = stats.get(p)!;
    hash.update(`${p}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\n`);
  }
  return hash.digest('hex');
}
