/**
 * Step 0 of a one-off build (`feedpipe build`), before anything is loaded:
 * the shortcuts whose proofs src/incremental/ keeps. Each may skip work only
 * where select's window holds at this clock and the inputs it was computed
 * from are unchanged; otherwise it does nothing and the full build follows.
 */
import { existsSync } from 'node:fs';
import { findMarkdownFiles } from '../content/find.js';
import type { Article } from '../content/schema.js';
import { hasErrors } from '../diagnostics/diagnostics.js';
import { BuildCache, type FileEntry } from '../incremental/cache.js';
import { loadStanding, saveStanding, stands, type Standing } from '../incremental/standing.js';
import { digestStats, isRacy, statAll, statOf } from '../incremental/stat.js';
import { restoreArticle, type StoredArticle } from '../incremental/stored.js';
import { changedSince, loadSummary, samePlace, shortHash, type SiteSummary } from '../incremental/summary.js';
import { feedRecords, sameRecords } from '../publish/emptied.js';
import { MANIFEST } from '../publish/files.js';
import type { FeedModel } from '../publish/model.js';
import { holdsAt } from '../publish/select.js';
import { lastFeedRecords } from './emptied.js';
import { refMaker } from './load.js';
import { publishStage } from './publish.js';
import { renderAhead } from './render.js';
import { summaryOf } from './remember.js';
import { aborted, startWorkersEarly, type BuildRun } from './run.js';
import { verdictFor } from './verdicts.js';

/** Above this many changed files, the full build (which parses in parallel) is no slower. */
const CHANGED_ONLY_MAX = 64;

/** True if the last build's result was proven to still stand (the report is then that build's); lists and stats the content meanwhile. */
export async function lastResultStands(run: BuildRun): Promise<boolean> {
  const { proofFiles } = run;
  if (!proofFiles) return false;
  const loading = loadStanding(proofFiles.standing, run.key);
  const found = findMarkdownFiles(run.contentDir);
  const standing = await loading;
  // Without a proof, the build will do work: the workers start now, while the files are stat'ed
  // (no cache either: every file will be parsed).
  const cached = existsSync(run.cacheFile!);
  if (!standing) startWorkersEarly(run, cached ? 1 : found.files.length);
  const cold = !standing && !cached && !run.options.cache && !existsSync(proofFiles.summary);
  const wall = Date.now();
  // A cold build stats each file as it parses it: the parsing starts now, not after 10 000 stats.
  run.prescan = cold ? { found, stats: new Map(), wall, deferred: true } : { found, stats: statAll(found.files), wall };
  if (standing && !found.diagnostics.length && stands(standing, digestStats(found.files, run.prescan.stats, wall), run.now.getTime(), run.outDir)) {
    restoreStanding(run, standing);
    return true;
  }
  // Something changed: whatever is rendered (always in a worker) need not wait for one to start.
  if (standing) startWorkersEarly(run, 1);
  // From here on, the last build's result no longer stands until this build says it does.
  await saveStanding(proofFiles.standing, undefined).catch(() => undefined);
  return false;
}

/** The report of the build that left `standing`. */
function restoreStanding(run: BuildRun, standing: Standing): void {
  const { report } = run;
  report.kind = 'stands';
  report.diagnostics.push(...standing.diagnostics);
  report.counts = standing.counts;
  report.window = standing.window;
  if (standing.nextDue) {
    report.nextDue = new Date(standing.nextDue.date);
    report.nextDueFile = standing.nextDue.file;
  }
  report.feeds = standing.feeds.map((f) => ({ ...f, updated: new Date(f.updated) }));
  report.updated = new Map(standing.updated.map(([rel, t]) => [rel, new Date(t)]));
  const files = standing.outputs.map(([rel]) => rel).filter((rel) => rel !== MANIFEST);
  report.write = { written: [], unchanged: files.sort(), removed: [] };
  report.stats.reused = standing.counts.articles;
}

/**
 * The build of src/incremental/summary.ts: parses the changed files only and, if each kept its
 * place in the site, publishes the last build's feeds with their new versions. False (nothing
 * done, nothing written) otherwise: the full build follows.
 */
export async function publishedChangedOnly(run: BuildRun): Promise<boolean> {
  const { proofFiles, prescan } = run;
  if (!proofFiles || !prescan || prescan.deferred || prescan.found.diagnostics.length) return false;
  const summary = await loadSummary(proofFiles.summary, run.key);
  const changed = summary && holdsAt(summary.window, run.now.getTime()) ? changedSince(summary, prescan.found.files, prescan.stats) : undefined;
  if (!summary || !changed || changed.length > CHANGED_ONLY_MAX) return false;
  // The feeds it kept empty were read from the manifest it published: another manifest (dist/ wiped,
  // a publisher's publication since) may keep others, and only the full build reads it (build/emptied.ts).
  if (!sameRecords(feedRecords(summary.models), await lastFeedRecords(run.outDir))) return false;
  // The workers stay up if this returns false: the full build that follows uses them.
  const cache = await BuildCache.load(run.cacheFile!, run.key, changed.map((i) => summary.paths[i]!));
  const { parseFile } = await import('./work.js');
  const fresh = reparse(run, summary, changed, cache, parseFile);
  if (!fresh) return false;
  if (aborted(run)) return true;
  await publishFromSummary(run, summary, fresh, cache);
  return true;
}

type Fresh = Map<number, FileEntry & { article: StoredArticle }>;

/** The changed files, parsed; undefined unless each parses cleanly and either has the same bytes or keeps its place. */
function reparse(run: BuildRun, summary: SiteSummary, changed: readonly number[], cache: BuildCache, parseFile: typeof import('./work.js').parseFile): Fresh | undefined {
  const refOfPath = refMaker(run.contentDir, run.cwd);
  const fresh: Fresh = new Map();
  for (const i of changed) {
    const ref = refOfPath(summary.paths[i]!);
    const st = run.prescan!.stats.get(ref.absPath)!;
    if (st.size > run.config.limits.maxFileBytes) return undefined;
    const r = parseFile(ref, run.config);
    if (!r.hash || !r.article || hasErrors(r.diagnostics) || verdictFor(r.hash, run.config, ref.displayPath)) return undefined;
    if (shortHash(r.hash) !== summary.hashes[i]) {
      // New bytes: the version the summary was made from must be the one the cache has, in the same place.
      const old = cache.files.get(ref.absPath);
      if (!old?.article || shortHash(old.hash) !== summary.hashes[i] || !samePlace(old.article, r.article)) return undefined;
    }
    fresh.set(i, { ...statOf(st), hash: r.hash, racy: isRacy(st, run.prescan!.wall), diagnostics: r.diagnostics, article: r.article });
  }
  return fresh;
}

/** Every check passed: the last build's feeds, with the changed articles' new versions, are this build. */
async function publishFromSummary(run: BuildRun, summary: SiteSummary, fresh: Fresh, cache: BuildCache): Promise<void> {
  const { report } = run;
  const { paths } = summary;
  const refOfPath = refMaker(run.contentDir, run.cwd);
  report.kind = 'changed-only';
  report.stats.parsed = [...fresh].filter(([i, f]) => shortHash(f.hash) !== summary.hashes[i]).length;
  report.stats.reused = paths.length - report.stats.parsed;
  for (const [i, f] of fresh) cache.files.set(paths[i]!, f);
  const changedFiles = new Set([...fresh.keys()].map((i) => refOfPath(paths[i]!).displayPath));
  report.diagnostics.push(...summary.diagnostics.filter((d) => !d.file || !changedFiles.has(d.file)), ...[...fresh.values()].flatMap((f) => f.diagnostics));
  report.counts = summary.counts;
  report.window = summary.window;
  if (summary.nextDue) {
    report.nextDue = new Date(summary.nextDue.date);
    report.nextDueFile = summary.nextDue.file;
  }
  const stored = new Map<Article, { hash: string; article: StoredArticle }>();
  const carried = summary.carried.map(([i, hash, article]) => {
    const f = fresh.get(i);
    const a = restoreArticle(f?.article ?? article, refOfPath(paths[i]!));
    stored.set(a, f ?? { hash, article });
    return a;
  });
  const models = summary.models.map((m): FeedModel => ({ ...m, updated: new Date(m.updated), items: m.items.map((k) => carried[k]!) }));
  await renderEditsAhead(run, summary, fresh, models, refOfPath);
  const hashes = summary.hashes.slice();
  for (const [i, f] of fresh) hashes[i] = shortHash(f.hash);
  const loaderDiagnostics = report.diagnostics.slice(run.fromConfig);
  const entryOf = (a: Article) => stored.get(a)!;
  await publishStage(run, cache, models, entryOf, (r) => summaryOf(r, summary, loaderDiagnostics, { paths, hashes }, run.prescan!, models, entryOf));
}

/** The changed articles the last build's feeds carry, rendered ahead (render.ts) while the feeds are planned. */
async function renderEditsAhead(run: BuildRun, summary: SiteSummary, fresh: Fresh, models: FeedModel[], refOfPath: ReturnType<typeof refMaker>): Promise<void> {
  const inFeeds = new Set(summary.carried.map(([i]) => i));
  const edits = [...fresh].filter(([i, f]) => inFeeds.has(i) && shortHash(f.hash) !== summary.hashes[i]);
  const withItems = models.find((m) => m.items.length);
  if (!edits.length || !withItems || !(run.options.workers ?? run.pool)) return;
  const roots = (await import('../publish/items.js')).rootsOf(withItems);
  renderAhead(run, edits.map(([i, f]) => ({ ref: refOfPath(summary.paths[i]!), hash: f.hash, article: f.article })), roots);
}
