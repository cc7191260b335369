/**
 * The one way a shortcut tells whether a file changed without reading it: its
 * stat. Every reuse decision that trusts a stat (the standing proof, the
 * summary, the cache's per-file entries, the build prepared before a due time)
 * uses these, with the same fields and the same rule for a stat too fresh to trust.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

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
 * Digest of `paths` and their stats, or undefined if one is missing. A stat too fresh to trust
 * makes it undefined too (no shortcut may rely on it), unless `racy` is 'hash': then that file's
 * bytes stand in for its stat, as git does for a racily clean entry.
 */
export function digestStats(paths: readonly string[], stats: ReadonlyMap<string, FileStat>, wallAtStat: number, racy: 'refuse' | 'hash' = 'refuse'): string | undefined {
  // A just-edited file is the common case after an edit: look for one before hashing anything.
  for (const p of paths) {
    const st = stats.get(p);
    if (!st || (racy === 'refuse' && isRacy(st, wallAtStat))) return undefined;
  }
  const hash = createHash('sha256');
  for (const p of paths) {
    const st = stats.get(p)!;
    if (!isRacy(st, wallAtStat)) hash.update(`${p}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\n`);
    else {
      try {
        hash.update(`${p}\0#${createHash('sha256').update(readFileSync(p)).digest('hex')}\n`);
      } catch {
        return undefined;
      }
    }
  }
  return hash.digest('hex');
}
