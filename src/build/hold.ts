/**
 * Between loading and select: the articles the build goes on with, and their diagnostics.
 *
 * Strict (the default of `feedpipe build`): every article, every diagnostic; an error stops the
 * build before anything is written. With `keepGoing` (the publisher always; `feedpipe build
 * --keep-going`), a file with errors holds back nobody else: it stands as the version of it that
 * the last publication carried, or, if none did, it is left out. Its errors are still reported,
 * on every run, marked `held` so that they do not stop the build. Whether that last published
 * version is public now is select's decision, as for every other article: nothing here looks at
 * a date or a draft flag.
 */
import { findCollisions, type Article } from '../content/schema.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache } from '../incremental/cache.js';
import { restoreArticle, storeArticle, type StoredArticle } from '../incremental/stored.js';
import { loadSummary } from '../incremental/summary.js';
import { refMaker, type Loaded } from './load.js';
import type { BuildRun } from './run.js';
import { verdictFor } from './verdicts.js';

/** A file whose errors did not stop the build: `kept` if its last published version stands in for it. */
export interface Held {
  file: string;
  kept: boolean;
}

/**
 * Files found to have errors after loading (a render that failed), by absolute path, with those
 * errors; `standIn: false` once the stand-in itself failed (its render was not kept: it cannot be
 * made again from a file that changed), so the file is left out.
 */
export type LateErrors = ReadonlyMap<string, { diagnostics: Diagnostic[]; standIn: boolean }>;

/** An article as a publication carried it, with the hash of the bytes it was made from (its render and feed items are cached by it). */
export interface PublishedVersion {
  hash: string;
  article: Article;
}

/** The stand-ins a build goes on with, by source path, as the render stage looks them up. */
export type StandIns = ReadonlyMap<string, { hash: string; article: StoredArticle }>;

/** Fills the report's articles and diagnostics from what was loaded; with keepGoing, holds the files with errors and returns their stand-ins. */
export async function gather(run: BuildRun, cache: BuildCache, paths: readonly string[], loaded: readonly Loaded[], late: LateErrors = new Map()): Promise<StandIns> {
  const { report } = run;
  if (!run.options.keepGoing) {
    for (const l of loaded) {
      if (l.diagnostics.length) report.diagnostics.push(...l.diagnostics);
      // An article a worker could not render (verdicts.ts) is not select's to see: the rest is published.
      const withheld = l.article && verdictFor(l.hash, run.config, l.article.source.displayPath);
      if (withheld) report.diagnostics.push(withheld);
      else if (l.article) report.articles.push(l.article);
    }
    return new Map();
  }
  const failed = new Map<string, Diagnostic[]>([...late].map(([p, l]) => [p, l.diagnostics]));
  const fine: Article[] = [];
  loaded.forEach((l, i) => {
    const path = paths[i]!;
    const withheld = l.article && verdictFor(l.hash, run.config, l.article.source.displayPath);
    if (withheld) failed.set(path, [...(failed.get(path) ?? []), ...l.diagnostics, withheld]);
    else if (hasErrors(l.diagnostics)) failed.set(path, [...(failed.get(path) ?? []), ...l.diagnostics]);
    else if (!failed.has(path)) {
      if (l.diagnostics.length) report.diagnostics.push(...l.diagnostics);
      if (l.article) fine.push(l.article);
    }
  });
  if (!failed.size && !findCollisions(fine).length) {
    report.articles.push(...fine);
    return new Map();
  }
  const published = new Map(await lastPublished(run, cache));
  for (const [p, l] of late) if (!l.standIn) published.delete(p);
  report.articles.push(...withStandIns(fine, failed, published));
  const refOf = refMaker(run.contentDir, run.cwd);
  report.held = [...failed.keys()].sort().map((p) => ({ file: refOf(p).displayPath, kept: published.has(p) }));
  for (const diagnostics of failed.values()) report.diagnostics.push(...diagnostics.map((d) => (d.severity === 'error' ? { ...d, held: true as const } : d)));
  return new Map([...failed.keys()].flatMap((p) => {
    const v = published.get(p);
    return v ? [[p, { hash: v.hash, article: storeArticle(v.article) }] as const] : [];
  }));
}

/**
 * The fine articles and the stand-ins of the failed files. Two files with one id or URL are both
 * errors, as in a strict build, and both are held: each stands as its published version, if it
 * has one, so the article published first keeps its place. Stand-ins come from one publication,
 * which had no collision, so this ends.
 */
function withStandIns(fine: Article[], failed: Map<string, Diagnostic[]>, published: ReadonlyMap<string, PublishedVersion>): Article[] {
  for (;;) {
    const kept = [...failed.keys()].flatMap((p) => published.get(p)?.article ?? []);
    const all = [...fine.filter((a) => !failed.has(a.source.absPath)), ...kept];
    const byDisplay = new Map(all.map((a) => [a.source.displayPath, a]));
    const fresh = findCollisions(all).filter((d) => !failed.has(byDisplay.get(d.file!)!.source.absPath));
    if (!fresh.length) return all;
    for (const d of fresh) {
      const path = byDisplay.get(d.file!)!.source.absPath;
      failed.set(path, [...(failed.get(path) ?? []), d]);
    }
  }
}

/**
 * The articles the last publication carried, by source path: the publisher keeps them in memory;
 * a one-off build reads them from the last summary (src/incremental/summary.ts), if there is one.
 */
async function lastPublished(run: BuildRun, cache: BuildCache): Promise<ReadonlyMap<string, PublishedVersion>> {
  if (cache.published) return cache.published;
  const summary = run.proofFiles ? await loadSummary(run.proofFiles.summary, run.key) : undefined;
  if (!summary) return new Map();
  const refOf = refMaker(run.contentDir, run.cwd);
  return new Map(summary.carried.map(([i, hash, stored]) => [summary.paths[i]!, { hash, article: restoreArticle(stored, refOf(summary.paths[i]!)) }]));
}
