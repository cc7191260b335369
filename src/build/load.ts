/**
 * Stage 1, load and validate: every content file becomes an article (or
 * diagnostics). A file whose stat and bytes the cache knows is reused, not
 * parsed (src/incremental/cache.ts decides); the rest is parsed, in worker
 * threads when there are thousands.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Article } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache, FileEntry } from '../incremental/cache.js';
import type { Scan } from '../incremental/scan.js';
import { isRacy, sameStat, statOf, type FileStat } from '../incremental/stat.js';
import { restoreArticle } from '../incremental/stored.js';
import { toDisplayPath } from '../util/paths.js';
import { runChunked } from './pool.js';
import { PARALLEL_MIN, poolFor, type BuildRun } from './run.js';
import type { FileRef, ParsedFile } from './work.js';

export type Loaded = { hash?: string; article?: Article; diagnostics: Diagnostic[] };

type ToParse = { i: number; ref: FileRef; stat: FileStat };

/**
 * Every file of `scan`, in its order: reused when unchanged, parsed otherwise. Undefined if the
 * build was stopped. `startedWall`: the wall clock before the files were stat'ed (for isRacy).
 */
export async function loadArticles(run: BuildRun, scan: Scan, cache: BuildCache, startedWall: number): Promise<Loaded[] | undefined> {
  const { stats } = run.report;
  const loaded: Loaded[] = new Array(scan.paths.length);
  const refOfPath = refMaker(run.contentDir, run.cwd);
  const toParse: ToParse[] = [];
  // With a watcher's list of changes and the same files as the last build, that build's articles
  // stand for every other file: only the changed ones are looked at.
  const last = scan.changed && cache.loaded?.paths === scan.paths ? cache.loaded : undefined;
  const changedAt = last ? [...scan.changed!].map((p) => last.index.get(p)) : undefined;
  const fromLast = changedAt?.every((i) => i !== undefined) ? last : undefined;
  if (fromLast) {
    for (let i = 0; i < fromLast.entries.length; i++) loaded[i] = fromLast.entries[i]!;
    stats.reused += fromLast.entries.length - changedAt!.length;
  }
  for (const i of fromLast ? (changedAt as number[]) : scan.paths.keys()) {
    const absPath = scan.paths[i]!;
    // With a watcher's list of changes, every other file is taken as the cache has it, unstat'ed.
    const memo = scan.changed && !scan.changed.has(absPath) ? cache.articles.get(absPath) : undefined;
    if (memo && memo.hash === cache.files.get(absPath)?.hash) {
      stats.reused++;
      loaded[i] = memo;
    } else {
      const known = fromStat(run, cache, refOfPath(absPath));
      if ('stat' in known) toParse.push({ i, ...known });
      else loaded[i] = known;
    }
  }
  // Loaded only when something is parsed: a build that reuses every article never loads the parsers.
  const { parseFile } = toParse.length ? await import('./work.js') : { parseFile: undefined as never };
  const pool = poolFor(run, toParse.length, PARALLEL_MIN.parse);
  const parsed = await runChunked('parse', toParse.map((t) => t.ref), (ref) => parseFile(ref, run.config), pool, {
    ...(run.options.signal ? { signal: run.options.signal } : {}),
    // The main thread parses too: one worker fewer than the pool has.
    extra: { config: run.config },
    workers: (pool?.size ?? 1) - 1,
    onProgress: (n, total) => run.options.onProgress?.({ stage: 'validate', done: n, total }),
  });
  if (!parsed) return undefined;
  for (const [n, t] of toParse.entries()) loaded[t.i] = recordParsed(run, cache, t, parsed[n]!, startedWall);
  cache.loaded = { paths: scan.paths, entries: loaded, index: cache.loaded?.paths === scan.paths ? cache.loaded.index : new Map(scan.paths.map((p, i) => [p, i])) };
  return loaded;
}

/** A file the cache knows by its stat is reused; one too large is an error; anything else is to be parsed. */
function fromStat(run: BuildRun, cache: BuildCache, ref: FileRef): Loaded | { ref: FileRef; stat: FileStat } {
  let st;
  try {
    // Synchronous stat is several times cheaper than its promise form for thousands of small files.
    st = run.prescan?.stats.get(ref.absPath) ?? statSync(ref.absPath);
  } catch (e) {
    forget(cache, ref.absPath);
    return { diagnostics: [diagnostic({ code: 'file-unreadable', file: ref.displayPath, message: `cannot read file: ${(e as Error).message}` })] };
  }
  const entry = cache.files.get(ref.absPath);
  if (entry && !entry.racy && sameStat(entry, st)) return reuse(run, cache, ref, entry);
  const max = run.config.limits.maxFileBytes;
  if (st.size > max) {
    forget(cache, ref.absPath);
    return { diagnostics: [diagnostic({ code: 'file-too-large', file: ref.displayPath, message: `file is ${st.size} bytes, over the limit of ${max}` })] };
  }
  return { ref, stat: statOf(st) };
}

/** The cache's article for `entry`, made once per process. */
function reuse(run: BuildRun, cache: BuildCache, ref: FileRef, e: FileEntry): Loaded {
  run.report.stats.reused++;
  const memo = cache.articles.get(ref.absPath);
  if (memo && memo.hash === e.hash) return memo;
  const diagnostics = e.diagnostics.length ? e.diagnostics.map((d) => ({ ...d, file: ref.displayPath })) : [];
  const restored = { hash: e.hash, diagnostics, ...(e.article ? { article: restoreArticle(e.article, ref) } : {}) };
  cache.articles.set(ref.absPath, restored);
  return restored;
}

/** A file that now yields no article must not leave its last version to be reused. */
function forget(cache: BuildCache, absPath: string): void {
  if (cache.files.delete(absPath)) cache.dirty = true;
  cache.articles.delete(absPath);
}

function recordParsed(run: BuildRun, cache: BuildCache, t: ToParse, result: ParsedFile, startedWall: number): Loaded {
  // A file written within two seconds of its stat may change again without its stat moving.
  const racy = isRacy(t.stat, startedWall);
  const entry = cache.files.get(t.ref.absPath);
  cache.dirty = true;
  if (entry && entry.hash === result.hash) {
    cache.files.set(t.ref.absPath, Object.assign(entry, t.stat, { racy }));
    return reuse(run, cache, t.ref, entry);
  }
  run.report.stats.parsed++;
  if (!result.hash) {
    forget(cache, t.ref.absPath);
    return { diagnostics: result.diagnostics };
  }
  cache.files.set(t.ref.absPath, { ...t.stat, hash: result.hash, racy, diagnostics: result.diagnostics, ...(result.article ? { article: result.article } : {}) });
  const fresh = { hash: result.hash, diagnostics: result.diagnostics, ...(result.article ? { article: restoreArticle(result.article, t.ref) } : {}) };
  cache.articles.set(t.ref.absPath, fresh);
  return fresh;
}

/** A content file's paths from its absolute path. */
export function refMaker(contentDir: string, cwd: string): (absPath: string) => FileRef {
  // path.relative costs microseconds; for 10 000 files under the same folders a prefix test does.
  const cwdPrefix = cwd.endsWith(path.sep) ? cwd : cwd + path.sep;
  const displayPathOf = (abs: string) => (abs.startsWith(cwdPrefix) && path.sep === '/' ? abs.slice(cwdPrefix.length) : toDisplayPath(abs, cwd));
  return (absPath) => ({ absPath, relPath: relativeTo(contentDir, absPath), displayPath: displayPathOf(absPath) });
}

/** `abs` relative to `dir`, with forward slashes. */
function relativeTo(dir: string, abs: string): string {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  if (path.sep === '/' && abs.startsWith(prefix)) return abs.slice(prefix.length);
  return path.relative(dir, abs).split(path.sep).join('/');
}
