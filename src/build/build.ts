/**
 * build(): one line per stage — resolve the config, prove a shortcut or load
 * and validate every content file, select what is public (src/publish/select.ts,
 * the one decision), model the feeds, render, serialise, verify, write.
 */
import type { Article } from '../content/schema.js';
import { BuildCache } from '../incremental/cache.js';
import { scanContent } from '../incremental/scan.js';
import type { StoredArticle } from '../incremental/stored.js';
import { shortHash } from '../incremental/summary.js';
import { countsOf } from '../publish/select.js';
import { toDisplayPath } from '../util/paths.js';
import { withEmptied } from './emptied.js';
import { gather, type LateErrors, type StandIns } from './hold.js';
import { loadArticles } from './load.js';
import { publishStage } from './publish.js';
import { summaryOf } from './remember.js';
import type { BuildOptions, BuildReport, BuildStats } from './report.js';
import { aborted, blocked, closePool, finish, startRun, type BuildRun } from './run.js';
import { selectStage } from './select.js';
import { lastResultStands, publishedChangedOnly } from './shortcuts.js';

export type { BuildOptions, BuildProgress, BuildReport, BuildStats, FeedSummary, FullReport, ProvenReport } from './report.js';
export { resolveConfig } from './resolve.js';
export { WorkerPool } from './pool.js';

/** Most runs of one build: each leaves out at least one more article its workers could not render. */
const MAX_PASSES = 4;

/**
 * Runs the stages: load → validate → select(now) → model → render → serialise → verify → write.
 * An article the workers cannot render within `render.timeout` or `render.maxMemoryMb` is found
 * only once select has chosen it: the build then writes nothing and runs again without it (with
 * this run's cache, so nothing else is parsed or rendered twice), so select decides over the
 * articles that can be published and the rest of the site goes out.
 */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  let pass = await buildOnce(options);
  for (let n = 1; pass.again && n < MAX_PASSES && !options.signal?.aborted; n++) {
    const cache = pass.report.kind === 'full' ? pass.report.cache : undefined;
    const before = pass.report.stats;
    pass = await buildOnce({ ...options, ...(cache ? { cache } : {}) });
    pass.report.stats = bothPasses(before, pass.report.stats);
    pass.report.durationMs = performance.now() - started;
  }
  return pass.report;
}

/** The work of two passes of one build: a later pass reuses what an earlier one parsed and rendered. */
function bothPasses(a: BuildStats, b: BuildStats): BuildStats {
  const sum = (k: 'parsed' | 'rendered' | 'renderedAhead' | 'serialized' | 'fragments') => a[k] + b[k];
  return {
    parsed: sum('parsed'),
    // A later pass reuses what the first parsed; what the first reused, it reused for the build.
    reused: a.reused,
    rendered: sum('rendered'),
    renderedAhead: sum('renderedAhead'),
    serialized: sum('serialized'),
    fragments: sum('fragments'),
    workers: Math.max(a.workers, b.workers),
  };
}

async function buildOnce(options: BuildOptions): Promise<{ report: BuildReport; again: boolean }> {
  const run = await startRun(options);
  if (!('key' in run)) return { report: run, again: false };
  try {
    if ((await lastResultStands(run)) || (await publishedChangedOnly(run))) return { report: finish(run), again: !!run.withheld && !!options.keepGoing };
    await fullBuild(run);
    // `check` writes nothing: it reports every article and needs no second run.
    return { report: finish(run), again: !!run.withheld && !!options.keepGoing && !options.renderAll };
  } finally {
    await closePool(run);
    // A build leaves no cache write of its own running (saveFilesAhead, if it stopped before writing).
    await run.report.cache?.settled();
  }
}

/** Validates everything, renders every article, writes nothing. */
export function check(options: Omit<BuildOptions, 'write' | 'renderAll'> = {}): Promise<BuildReport> {
  return build({ ...options, write: false, renderAll: true });
}

async function fullBuild(run: BuildRun): Promise<void> {
  const { options, report } = run;
  const cache = options.cache ?? (run.cacheFile ? await BuildCache.load(run.cacheFile, run.key) : new BuildCache(run.key));
  cache.useKey(run.key);
  report.cache = cache;
  const startedWall = run.prescan?.wall ?? Date.now();
  const scan = await scanContent(run.contentDir, cache, options.changedPaths, run.prescan?.found);
  report.diagnostics.push(...scan.diagnostics.map((d) => ({ ...d, ...(d.file ? { file: toDisplayPath(d.file, run.cwd) } : {}) })));
  const loaded = await loadArticles(run, scan, cache, startedWall);
  if (aborted(run) || !loaded) return;
  const scanned = report.diagnostics.length;
  // With keepGoing, a file whose render fails is held like one that failed to validate, and the rest published.
  for (let late: LateErrors | undefined = new Map(); late; late = lateErrors(run, late)) {
    report.diagnostics.length = scanned;
    report.articles = [];
    delete report.held;
    const standIns = await gather(run, cache, scan.paths, loaded, late);
    await selectAndPublish(run, cache, scan.paths, standIns);
    if (report.write || aborted(run)) return;
  }
}

async function selectAndPublish(run: BuildRun, cache: BuildCache, paths: string[], standIns: StandIns): Promise<void> {
  const { report } = run;
  const selected = selectStage(run, cache);
  if (!selected || blocked(run)) return;
  const models = await withEmptied(run, selected);
  const loaderDiagnostics = report.diagnostics.slice(run.fromConfig);
  const entryOf = (a: Article) => standIns.get(a.source.absPath) ?? (cache.files.get(a.source.absPath) as { hash: string; article: StoredArticle });
  const hashes = () => paths.map((p) => shortHash(cache.files.get(p)?.hash ?? ''));
  const made = await publishStage(run, cache, models, entryOf, (r) =>
    run.prescan ? summaryOf(r, { key: run.key, window: r.window!, counts: countsOf(r.articles, r) }, loaderDiagnostics, { paths, hashes: hashes() }, run.prescan, models, entryOf) : undefined,
  );
  if (made && report.write) cache.published = report.carried!;
}

/**
 * With keepGoing, after a publish stopped by errors: the files those errors belong to, added to
 * `held`, for another pass; undefined when there is nothing more to hold (an error of no article).
 * An article over a rendering limit is not one of them: build() runs again without it (verdicts.ts).
 */
function lateErrors(run: BuildRun, held: LateErrors): LateErrors | undefined {
  const { report } = run;
  if (!run.options.keepGoing || report.write || run.withheld || aborted(run)) return undefined;
  const byDisplay = new Map(report.articles.map((a) => [a.source.displayPath, a.source.absPath]));
  const more = new Map(held);
  for (const d of report.diagnostics) {
    if (d.severity !== 'error' || d.held) continue;
    const path = d.file === undefined ? undefined : byDisplay.get(d.file);
    if (path === undefined) return undefined;
    const was = held.get(path);
    // A stand-in that failed (its render was not kept) is dropped: the file is then left out.
    if (was && !was.standIn) return undefined;
    more.set(path, was ? { diagnostics: was.diagnostics, standIn: false } : { diagnostics: [...(more.get(path)?.diagnostics ?? []), d], standIn: true });
  }
  return more.size > held.size || [...more].some(([p, l]) => l.standIn !== held.get(p)?.standIn) ? more : undefined;
}
