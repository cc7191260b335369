/**
 * One build's context: what it was asked, the config it resolved, where its
 * cache lives, its worker pool and the report it fills in. Every stage takes
 * it as its first argument; nothing else is shared between stages.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { diagnostic, hasBlockingErrors, hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import { cacheFileFor, cacheKey } from '../incremental/key.js';
import type { FileStat } from '../incremental/stat.js';
import { standingFile } from '../incremental/standing.js';
import { summaryFile } from '../incremental/summary.js';
import { countsOf } from '../publish/select.js';
import { WorkerPool } from './pool.js';
import type { Rendered } from './render-task.js';
import { resolveConfig } from './resolve.js';
import { emptyReport, type BuildOptions, type BuildReport, type ReportInProgress } from './report.js';

/** The content folder as listed and stat'ed before anything else (by a one-off build that may stand). */
export interface Prescan {
  found: { files: string[]; diagnostics: Diagnostic[] };
  stats: Map<string, FileStat>;
  /** The wall clock when the stats were taken (when the files were listed, if deferred). */
  wall: number;
  /**
   * Nothing to compare stats with (no proof, no summary, no cache): the files are not stat'ed up
   * front; each is stat'ed by its parser, on the open file before reading it, and its stat added
   * to `stats` (load.ts), where the next build's proof and summary find it as before.
   */
  deferred?: boolean;
}

export interface BuildRun {
  options: BuildOptions;
  now: Date;
  cwd: string;
  /** Write files (build), or only validate (check). */
  write: boolean;
  started: number;
  report: ReportInProgress;
  config: Config;
  contentDir: string;
  outDir: string;
  baseDir: string;
  /** The cache key: feedpipe's version, the cache format, the packages, the config, the folders. */
  key: string;
  cacheFile?: string;
  /** The standing proof and summary files, for a one-off build that may reuse the last result. */
  proofFiles?: { standing: string; summary: string };
  /** How many diagnostics came from the config: what a saved proof replays comes after them. */
  fromConfig: number;
  prescan?: Prescan;
  pool?: WorkerPool;
  /** Renders started before select, by source path (render.ts, renderAhead). */
  ahead?: Map<string, { hash: string; result: Promise<Rendered | undefined> }>;
  /** Articles this build's workers could not render were left out: the build runs again without them (build.ts). */
  withheld?: boolean;
}

/**
 * Below this many files to parse, a worker's start-up (~0.25 s, while the main
 * thread works alone) costs more than it saves: parsing takes ~50 µs a file.
 * Rendering has no such threshold: it is never done on the main thread.
 */
export const PARALLEL_MIN = { parse: 5000 };

/** The build's context, or the finished report of a build whose config is unusable. */
export async function startRun(options: BuildOptions): Promise<BuildRun | BuildReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const cwd = options.cwd ?? process.cwd();
  const report = emptyReport(now);
  const resolved = await resolveConfig(options);
  report.diagnostics.push(...resolved.diagnostics);
  const { config, contentDir, outDir, baseDir } = resolved;
  const write = options.write !== false;
  if (!config) return finish({ report, started });
  report.config = config;
  report.outDir = outDir;
  const key = cacheKey({ config, contentDir, outDir, cwd });
  const cacheFile = options.cacheDir ? cacheFileFor(path.resolve(baseDir, options.cacheDir), contentDir, outDir) : undefined;
  // Only a one-off build that writes everything it is asked to may reuse the last one's result.
  const mayReuse = cacheFile && options.reuseLastResult && !options.cache && write && !options.renderAll && !options.changedPaths;
  const proofFiles = mayReuse ? { standing: standingFile(cacheFile), summary: summaryFile(cacheFile) } : undefined;
  return { options, now, cwd, write, started, report, config, contentDir, outDir, baseDir, key, ...(cacheFile ? { cacheFile } : {}), ...(proofFiles ? { proofFiles } : {}), fromConfig: report.diagnostics.length };
}

/** The pool for parsing a batch of `size`, started on first need; undefined where the main thread does it alone. */
export function poolFor(run: BuildRun, size: number, min: number): WorkerPool | undefined {
  // A publisher's pool is warm: worth using for any batch of more than a chunk or two. The build's own
  // may be starting (startWorkersEarly): its workers load the parser only for thousands of files.
  if (size < (run.options.workers ? 16 : min)) return undefined;
  return usePool(run);
}

/** The pool, counted in the report's stats as used. */
export function usePool(run: BuildRun): WorkerPool | undefined {
  const pool = anyPool(run);
  if (pool) run.report.stats.workers = pool.size;
  return pool;
}

/**
 * The workers that render: the caller's (a publisher keeps one across builds), or the build's own,
 * started now. Undefined only without workers at all (`parallel: false`, running from TypeScript
 * sources, a Node that refuses them): then the main thread renders, with no time budget.
 */
export function anyPool(run: BuildRun): WorkerPool | undefined {
  if (run.options.parallel === false) return undefined;
  return run.options.workers ?? (run.pool ??= WorkerPool.create({ maxMemoryMb: run.config.render.maxMemoryMb }));
}

/**
 * A worker takes ~0.3 s to start (it loads the renderer and warms it up), and nothing renders on
 * the main thread: a build about to parse `files` files, and so likely to render some, starts
 * workers while the main thread stats and parses, where a core is spare. One fewer than the
 * cores, so the parsing keeps its core (the others start with the rendering, while these
 * render); all of them for thousands of files, which they parse too (PARALLEL_MIN). The one-off
 * build calls this before it stats the content (shortcuts.ts), any other build before it parses.
 */
export function startWorkersEarly(run: BuildRun, files: number): void {
  if (!files || !(run.write || run.options.renderAll) || os.availableParallelism() < 2) return;
  try {
    const pool = anyPool(run);
    pool?.grow(files >= PARALLEL_MIN.parse ? pool.size : Math.min(files, Math.max(1, pool.size - 1)));
  } catch {
    // No more workers now: the render stage starts what it can.
  }
}

/** Stops the build's own workers (their heaps go before the feeds and the cache are written); a caller's pool stays. */
export async function closePool(run: BuildRun): Promise<void> {
  const pool = run.pool;
  if (!pool) return;
  // Renders ahead still at its workers will never answer: nothing may wait for them.
  if (!run.options.workers) run.ahead = undefined;
  run.pool = undefined;
  await pool.close();
}

/** Whether the errors so far stop this build from writing (strict, any; with keepGoing, not those set aside). */
export function blocked(run: BuildRun): boolean {
  return hasBlockingErrors(run.report.diagnostics, !!run.options.keepGoing);
}

/** True, with a diagnostic, once the build was asked to stop: it then writes nothing. */
export function aborted(run: BuildRun): boolean {
  if (!run.options.signal?.aborted) return false;
  // Asked at every stage it reaches: said once.
  if (!run.report.diagnostics.some((d) => d.code === 'build-aborted')) run.report.diagnostics.push(diagnostic({ code: 'build-aborted', message: 'the build was stopped before writing anything' }));
  return true;
}

export function finish(run: Pick<BuildRun, 'report' | 'started'>): BuildReport {
  const { report } = run;
  report.ok = !hasErrors(report.diagnostics);
  if (report.kind === 'full') report.counts = countsOf(report.articles, report);
  report.durationMs = performance.now() - run.started;
  return report as BuildReport;
}
