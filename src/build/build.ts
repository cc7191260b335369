/**
 * build(): one line per stage — resolve the config, prove a shortcut or load
 * and validate every content file, select what is public (src/publish/select.ts,
 * the one decision), model the feeds, render, serialise, verify, write.
 */
import type { Article } from '../content/schema.js';
import { hasBlockingErrors } from '../diagnostics/diagnostics.js';
import { BuildCache } from '../incremental/cache.js';
import { scanContent } from '../incremental/scan.js';
import type { StoredArticle } from '../incremental/stored.js';
import { shortHash } from '../incremental/summary.js';
import { countsOf } from '../publish/select.js';
import { toDisplayPath } from '../util/paths.js';
import { loadArticles } from './load.js';
import { publishStage } from './publish.js';
import { summaryOf } from './remember.js';
import type { BuildOptions, BuildReport } from './report.js';
import { aborted, closePool, finish, startRun, type BuildRun } from './run.js';
import { selectStage } from './select.js';
import { lastResultStands, publishedChangedOnly } from './shortcuts.js';
import { verdictFor } from './verdicts.js';

export type { BuildOptions, BuildProgress, BuildReport, BuildStats, FeedSummary, FullReport, ProvenReport } from './report.js';
export { resolveConfig } from './resolve.js';
export { withheldOnly } from './report.js';
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
    pass = await buildOnce({ ...options, ...(cache ? { cache } : {}) });
    pass.report.durationMs = performance.now() - started;
  }
  return pass.report;
}

async function buildOnce(options: BuildOptions): Promise<{ report: BuildReport; again: boolean }> {
  const run = await startRun(options);
  if (!('key' in run)) return { report: run, again: false };
  try {
    if ((await lastResultStands(run)) || (await publishedChangedOnly(run))) return { report: finish(run), again: !!run.withheld };
    await fullBuild(run);
    // `check` writes nothing: it reports every article and needs no second run.
    return { report: finish(run), again: !!run.withheld && !options.renderAll };
  } finally {
    await closePool(run);
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
  for (const l of loaded) {
    if (l.diagnostics.length) report.diagnostics.push(...l.diagnostics);
    // An article a worker could not render (verdicts.ts) is not select's to see: the rest is published.
    const withheld = l.article && verdictFor(l.hash, run.config, l.article.source.displayPath);
    if (withheld) report.diagnostics.push(withheld);
    else if (l.article) report.articles.push(l.article);
  }
  const models = selectStage(run, cache);
  if (!models || hasBlockingErrors(report.diagnostics)) return;
  const loaderDiagnostics = report.diagnostics.slice(run.fromConfig);
  const entryOf = (a: Article) => cache.files.get(a.source.absPath) as { hash: string; article: StoredArticle };
  const hashes = () => scan.paths.map((p) => shortHash(cache.files.get(p)?.hash ?? ''));
  await publishStage(run, cache, models, entryOf, (r) =>
    run.prescan ? summaryOf(r, { key: run.key, window: r.window!, counts: countsOf(r.articles, r) }, loaderDiagnostics, { paths: scan.paths, hashes: hashes() }, run.prescan, models, entryOf) : undefined,
  );
}
