/**
 * Stage 1, load and validate: every content file becomes an article (or
 * diagnostics). A file whose stat and bytes the cache knows is reused, not
 * parsed (src/incremental/cache.ts decides); the rest is parsed, in worker
 * threads when there are thousands.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Article } from '../content/schema.js';
import { diagnostic, hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache, FileEntry } from '../incremental/cache.js';
import type { Scan } from '../incremental/scan.js';
import { isRacy, sameStat, statOf, type FileStat } from '../incremental/stat.js';
import { restoreArticle, type StoredArticle } from '../incremental/stored.js';
import { toDisplayPath } from '../util/paths.js';
import { runEach } from './dispatch.js';
import { runChunked } from './pool.js';
import { AHEAD_MAX, renderAhead } from './render.js';
import { PARALLEL_MIN, poolFor, startWorkersEarly, usePool, type BuildRun } from './run.js';
import { tooLarge, unreadable } from './file-errors.js';
import type { FileRef, ParsedFile } from './work.js';

export type Loaded = { hash?: string; article?: Article; diagnostics: Diagnostic[] };

/** A file to parse; `stat` undefined when stats are deferred to the parser (Prescan.deferred). */
type ToParse = { i: number; ref: FileRef; stat?: FileStat };

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
      if ('ref' in known) toParse.push({ i, ...known });
      else loaded[i] = known;
    }
  }
  startWorkersEarly(run, toParse.length);
  // Loaded only when something is parsed: a build that reuses every article never loads the parsers.
  const { parseFile } = toParse.length ? await import('./work.js') : { parseFile: undefined as never };
  const withStat = !!run.prescan?.deferred;
  const parsed = await parseAll(run, toParse, (ref) => parseFile(ref, run.config, withStat));
  if (!parsed) return undefined;
  // Before recordParsed: a file parsed again with the bytes the cache already had was rendered ahead already, if at all.
  const edits = editsToRenderAhead(cache, toParse, parsed);
  for (const [n, t] of toParse.entries()) loaded[t.i] = recordParsed(run, cache, t, parsed[n]!, startedWall);
  renderAhead(run, edits, cache.roots);
  cache.loaded = { paths: scan.paths, entries: loaded, index: cache.loaded?.paths === scan.paths ? cache.loaded.index : new Map(scan.paths.map((p, i) => [p, i])) };
  return loaded;
}

/**
 * The new versions of articles the last publication carried (a publisher knows them), parsed
 * without errors, to render ahead (render.ts) while select runs.
 */
function editsToRenderAhead(cache: BuildCache, toParse: readonly ToParse[], parsed: readonly ParsedFile[]): { ref: FileRef; hash: string; article: StoredArticle }[] {
  const { published } = cache;
  if (!published || toParse.length > AHEAD_MAX) return [];
  return toParse.flatMap((t, n) => {
    const { hash, article, diagnostics } = parsed[n]!;
    const before = published.get(t.ref.absPath);
    const known = cache.files.get(t.ref.absPath)?.hash === hash;
    return before && hash && article && before.hash !== hash && !known && !hasErrors(diagnostics) ? [{ ref: t.ref, hash, article }] : [];
  });
}

/**
 * Reading, hashing and splitting a file takes time in proportion to its size: 5 MiB is tens of
 * milliseconds, more on a busy machine. Files this large are parsed in a worker, so the thread that
 * keeps a publisher's timers and serves requests never spends that long on one.
 */
const PARSE_ALONE_BYTES = 128 * 1024;

/** Every file of `toParse`, in order: the small ones in chunks (in workers too for thousands), the large ones in workers. */
async function parseAll(run: BuildRun, toParse: ToParse[], local: (ref: FileRef) => ParsedFile): Promise<ParsedFile[] | undefined> {
  const signal = run.options.signal ? { signal: run.options.signal } : {};
  const withStat = !!run.prescan?.deferred;
  // Sizes not known yet (stats deferred: a one-off build with nothing cached) count as small.
  const isBig = (t: ToParse) => (t.stat?.size ?? 0) >= PARSE_ALONE_BYTES;
  const big = toParse.filter(isBig);
  const alone = big.length ? usePool(run) : undefined;
  const small = alone ? toParse.filter((t) => !isBig(t)) : toParse;
  let done = 0;
  const onProgress = (n: number) => run.options.onProgress?.({ stage: 'validate', done: (done += n), total: toParse.length });
  const pool = poolFor(run, small.length, PARALLEL_MIN.parse);
  const [chunked, each] = await Promise.all([
    runChunked('parse', small.map((t) => t.ref), local, pool, { ...signal, extra: { config: run.config, withStat }, workers: (pool?.size ?? 1) - 1, onProgress: progressBy(onProgress) }),
    alone
      ? runEach<FileRef, ParsedFile>(alone, 'parse', big.map((t) => t.ref), {
          ...signal,
          budgetMs: undefined,
          message: (ref) => ({ kind: 'parse', tasks: [ref], config: run.config }),
          result: (reply) => reply.results![0] as ParsedFile,
          failed: (ref) => ({ hash: '', diagnostics: [diagnostic({ code: 'parse-failed', file: ref.displayPath, message: 'could not be read: the worker reading it stopped twice' })] }),
          local: async (ref) => local(ref),
          onProgress: progressBy(onProgress),
        })
      : [],
  ]);
  if (!chunked || !each) return undefined;
  if (!alone) return chunked;
  // Back into the order of `toParse`.
  const bySmall = chunked[Symbol.iterator]();
  const byBig = each[Symbol.iterator]();
  return toParse.map((t) => (isBig(t) ? byBig : bySmall).next().value as ParsedFile);
}

/** Progress reported as totals, turned into increments. */
function progressBy(add: (n: number) => void): (done: number) => void {
  let last = 0;
  return (d) => {
    add(d - last);
    last = d;
  };
}

/** A file the cache knows by its stat is reused; one too large is an error; anything else is to be parsed. */
function fromStat(run: BuildRun, cache: BuildCache, ref: FileRef): Loaded | { ref: FileRef; stat?: FileStat } {
  // Nothing cached to compare with: the parser stats the file itself (Prescan.deferred).
  if (run.prescan?.deferred) return { ref };
  let st;
  try {
    // Synchronous stat is several times cheaper than its promise form for thousands of small files.
    st = run.prescan?.stats.get(ref.absPath) ?? statSync(ref.absPath);
  } catch (e) {
    forget(cache, ref.absPath);
    return { diagnostics: [unreadable(ref, e)] };
  }
  const entry = cache.files.get(ref.absPath);
  if (entry && !entry.racy && sameStat(entry, st)) return reuse(run, cache, ref, entry);
  const max = run.config.limits.maxFileBytes;
  if (st.size > max) {
    forget(cache, ref.absPath);
    return { diagnostics: [tooLarge(ref, st.size, max)] };
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
  const stat = t.stat ?? result.stat;
  // A stat the parser took (Prescan.deferred) goes where one taken up front would have been.
  if (!t.stat && result.stat) run.prescan?.stats.set(t.ref.absPath, result.stat);
  // A file written within two seconds of its stat may change again without its stat moving.
  const racy = !stat || isRacy(stat, startedWall);
  const entry = cache.files.get(t.ref.absPath);
  cache.dirty = true;
  if (stat && entry && entry.hash === result.hash) {
    cache.files.set(t.ref.absPath, Object.assign(entry, stat, { racy }));
    return reuse(run, cache, t.ref, entry);
  }
  // Counted as before stats were deferred: a file refused from its stat (unopenable, too large) was not parsed.
  if (t.stat || result.hash) run.report.stats.parsed++;
  if (!result.hash || !stat) {
    forget(cache, t.ref.absPath);
    return { diagnostics: result.diagnostics };
  }
  cache.files.set(t.ref.absPath, { ...stat, hash: result.hash, racy, diagnostics: result.diagnostics, ...(result.article ? { article: result.article } : {}) });
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
