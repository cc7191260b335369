/** Stage 2: what is public, decided by select (src/publish/select.ts) alone; then the feeds' models. */
import { locateField } from '../content/locate.js';
import { findCollisions, type Article } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache } from '../incremental/cache.js';
import { reuseModels, reuseSelection, type SelectionMemo } from '../incremental/selection.js';
import { buildFeedModels, type FeedModel } from '../publish/model.js';
import { select, updatedLater } from '../publish/select.js';
import { blocked, type BuildRun } from './run.js';

/** Fills the report's selection; the feed models, or undefined when the build has errors (but those that withhold one article). */
export function selectStage(run: BuildRun, cache: BuildCache): FeedModel[] | undefined {
  const { report, now } = run;
  // A publisher that rebuilds after an edit that moved no article reuses its last selection, if select's window says so.
  const memo = cache.selection;
  const reused = reuseSelection(memo, report.articles, now);
  const { selection, collisions } = reused ?? { selection: select(report.articles, now), collisions: findCollisions(report.articles) };
  const remembered: SelectionMemo | undefined = run.options.cache ? (cache.selection = { articles: report.articles, selection, collisions }) : undefined;
  report.diagnostics.push(...collisions, ...updatedLater(selection.visible, now).map(updatedInFuture));
  report.visible = selection.visible;
  report.scheduled = selection.scheduled;
  report.drafts = selection.drafts;
  report.window = selection.window;
  if (selection.nextDue) report.nextDue = selection.nextDue;
  if (selection.scheduled[0]) report.nextDueFile = selection.scheduled[0].source.displayPath;
  if (blocked(run)) return undefined;
  // And its feeds' models, if no re-read article changed feeds (reuseModels).
  const models = (reused && reuseModels(memo, reused.replaced)) ?? buildFeedModels(report.visible, run.config);
  if (remembered) remembered.models = models;
  return models;
}

/**
 * A public article whose `updated` is later than the build's clock: the feeds would announce an
 * edit that has not happened (the W3C validator calls the date implausible). An error, at the
 * field; the window of select already ends when that time comes.
 */
function updatedInFuture(a: Article): Diagnostic {
  return diagnostic({
    code: 'updated-in-future',
    file: a.source.displayPath,
    ...locateField(a, ['updated']),
    field: 'updated',
    // Without the build's time: a publisher prints a diagnostic again only when it changes.
    message: `${a.updated!.toISOString()} is later than the time of this build: the feeds would announce an edit that has not happened`,
  });
}
