/**
 * build(): one line per stage — resolve the config, prove a shortcut or load
 * and validate every content file, select what is public (src/publish/select.ts,
 * the one decision), model the feeds, render, serialise, verify, write.
 */
import type { Article } from '../content/schema.js';
import { hasErrors } from '../diagnostics/diagnostics.js';
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

export type { BuildOptions, BuildProgress, BuildReport, BuildStats, FeedSummary, FullReport, ProvenReport } from './report.js';
export { resolveConfig } from './resolve.js';

/** Runs the stages: load → validate → select(now) → model → render → serialise → verify → write. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const run = await startRun(options);
  if (!('key' in run)) return run;
  try {
    if ((await lastResultStands(run)) || (await publishedChangedOnly(run))) return finish(run);
    await fullBuild(run);
    return finish(run);
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
    if (l.article) report.articles.push(l.article);
  }
  const models = selectStage(run, cache);
  if (!models || hasErrors(report.diagnostics)) return;
  const loaderDiagnostics = report.diagnostics.slice(run.fromConfig);
  const entryOf = (a: Article) => cache.files.get(a.source.absPath) as { hash: string; article: StoredArticle };
  const hashes = () => scan.paths.map((p) => shortHash(cache.files.get(p)?.hash ?? ''));
  await publishStage(run, cache, models, entryOf, (r) =>
    run.prescan ? summaryOf(r, { key: run.key, window: r.window!, counts: countsOf(r.articles, r) }, loaderDiagnostics, { paths: scan.paths, hashes: hashes() }, run.prescan, models, entryOf) : undefined,
  );
}
