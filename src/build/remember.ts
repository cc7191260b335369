/**
 * After a one-off build published: what the next one needs to prove a
 * shortcut (src/incremental/standing.ts, summary.ts). Saved only from a build
 * that published without errors and whose scan reported nothing (a symbolic
 * link), so no proof ever replays a warning that is gone.
 */
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import { outputStats, saveStanding, type Standing } from '../incremental/standing.js';
import { digestStats, type FileStat } from '../incremental/stat.js';
import { flatStats, saveSummary, type SiteSummary, type StoredModel } from '../incremental/summary.js';
import type { StoredArticle } from '../incremental/stored.js';
import type { FeedModel } from '../publish/model.js';
import type { Article } from '../content/schema.js';
import type { ReportInProgress } from './report.js';
import type { BuildRun } from './run.js';

export type Summarise = (report: ReportInProgress) => SiteSummary | undefined;

export async function rememberResult(run: BuildRun, summarise: Summarise): Promise<void> {
  const { proofFiles, report, prescan } = run;
  if (!proofFiles) return;
  // A build that held files (src/build/hold.ts) proves nothing and keeps the last summary: its
  // articles are what such a file stands as in the next one-off build.
  const held = !!report.held?.length;
  // A renamed id is warned once, by the build that publishes it: a proof would replay the warning.
  const renamed = report.diagnostics.some((d) => d.code === 'id-changed');
  const summary = report.write && !held && !renamed && !hasErrors(report.diagnostics) && !prescan?.found.diagnostics.length ? summarise(report) : undefined;
  await saveStanding(proofFiles.standing, summary && standingOf(run, summary)).catch(() => undefined);
  if (!held) await saveSummary(proofFiles.summary, summary).catch(() => undefined);
}

/** What the next build needs to prove this one's result still stands; undefined if it cannot be proven. */
function standingOf(run: BuildRun, summary: SiteSummary): Standing | undefined {
  const { report, prescan } = run;
  if (!report.write || !prescan) return undefined;
  const inputs = digestStats(summary.paths, prescan.stats, prescan.wall);
  if (!inputs) return undefined;
  try {
    return {
      key: summary.key,
      inputs,
      window: summary.window,
      counts: summary.counts,
      ...(summary.nextDue ? { nextDue: summary.nextDue } : {}),
      feeds: report.feeds.map((f) => ({ ...f, updated: f.updated.getTime() })),
      updated: [...report.updated].map(([rel, d]) => [rel, d.getTime()]),
      diagnostics: report.diagnostics.slice(run.fromConfig),
      outputs: outputStats(run.outDir, [...report.write.written, ...report.write.unchanged]),
    };
  } catch {
    return undefined; // an output gone already (not while the lock is held): no proof
  }
}

/**
 * What the next one-off build needs to load only what changes (src/incremental/summary.ts).
 * `base` gives the key, the selection's window and counts; the report, its next due article.
 */
export function summaryOf(
  report: ReportInProgress,
  base: Pick<SiteSummary, 'key' | 'window' | 'counts'>,
  diagnostics: Diagnostic[],
  files: { paths: string[]; hashes: string[] },
  scanned: { stats: ReadonlyMap<string, FileStat>; wall: number },
  models: readonly FeedModel[],
  entryOf: (a: Article) => { hash: string; article: StoredArticle },
): SiteSummary | undefined {
  const { paths, hashes } = files;
  const stats = flatStats(paths, scanned.stats, scanned.wall);
  if (!stats) return undefined;
  const index = new Map(paths.map((p, i) => [p, i]));
  const numbered = new Map<Article, number>();
  const carried: SiteSummary['carried'] = [];
  const number = (a: Article) => {
    let k = numbered.get(a);
    if (k === undefined) {
      const e = entryOf(a);
      numbered.set(a, (k = carried.length));
      carried.push([index.get(a.source.absPath)!, e.hash, e.article]);
    }
    return k;
  };
  // The same key order as the model: its fingerprint is taken from its JSON.
  const storedModels = models.map((m): StoredModel => ({ ...m, updated: m.updated.getTime(), items: m.items.map(number) }));
  return {
    key: base.key,
    window: base.window,
    paths,
    stats,
    hashes,
    carried,
    models: storedModels,
    counts: base.counts,
    ...(report.nextDue && report.nextDueFile ? { nextDue: { date: report.nextDue.getTime(), file: report.nextDueFile } } : {}),
    diagnostics,
  };
}
