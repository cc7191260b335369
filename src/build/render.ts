/**
 * Step 4: render only what a feed to be serialised carries (or everything,
 * for check), reusing renders whose source bytes did not change. The feed
 * items of what is rendered are made by the same thread, in the same pass.
 */
import type { Article } from '../content/schema.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache, StoredRender } from '../incremental/cache.js';
import type { StoredArticle } from '../incremental/stored.js';
import { INDEX_FILE, type FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';
import type { FeedModel } from '../publish/model.js';
import { indexItems } from '../publish/page.js';
import type { RenderedMap } from '../publish/shared.js';
import { runChunked } from './pool.js';
import type { PublishPlan } from './plan.js';
import { aborted, closePool, PARALLEL_MIN, poolFor, type BuildRun } from './run.js';
import type { RenderResult, RenderTask } from './work.js';

export type EntryOf = (a: Article) => { hash: string; article: StoredArticle };

/** The rendered content of every article a file to be made carries, by id; undefined if the build was stopped. */
export async function renderStage(run: BuildRun, cache: BuildCache, plan: PublishPlan, main: FeedModel, entryOf: EntryOf): Promise<RenderedMap | undefined> {
  const { options, report } = run;
  const pageItems = plan.pages.some((p) => p.rel === INDEX_FILE) ? indexItems(main) : [];
  const toRender = new Set<Article>(options.renderAll ? report.articles : [...plan.pending.flatMap((p) => p.model.items), ...pageItems]);
  // The saved feed items: those of unchanged articles are not serialised again (read before any is added).
  if (plan.pending.length && !options.renderAll) await cache.loadFragments();
  const renders = new Map<Article, StoredRender>();
  const tasks: { a: Article; task: RenderTask }[] = [];
  // What is rendered for a feed is also serialised, by the same thread: the fragments' root tags come from a feed with items.
  const withItems = !options.renderAll && plan.pending.find((p) => p.model.items.length)?.model;
  const roots = withItems ? (await import('../publish/items.js')).rootsOf(withItems) : undefined;
  for (const a of toRender) {
    const entry = entryOf(a);
    const r = await cache.render(a.source.absPath, entry.hash);
    if (r) renders.set(a, r);
    else tasks.push({ a, task: { ref: { absPath: a.source.absPath, relPath: a.source.relPath, displayPath: a.source.displayPath }, article: entry.article, hash: entry.hash, ...(roots ? { roots } : {}) } });
  }
  const { renderFile } = tasks.length ? await import('./work.js') : { renderFile: undefined as never };
  // Bodies are not kept after validation (100 000 would not fit the memory budget): the renderer re-reads them, checking the hash.
  const results = await runChunked<RenderTask, RenderResult | { error: Diagnostic }>('render', tasks.map((t) => t.task), renderFile, poolFor(run, tasks.length, PARALLEL_MIN.render), {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (n, total) => options.onProgress?.({ stage: 'render', done: n, total }),
  });
  // The workers' work is done: their heaps go now, before the feeds and the cache are written.
  await closePool(run);
  if (aborted(run) || !results) return undefined;
  for (const [i, r] of results.entries()) {
    if ('error' in r) report.diagnostics.push(r.error);
    else await keepRender(run, cache, tasks[i]!.a, r, renders);
  }
  const rendered: RenderedMap = new Map();
  for (const a of toRender) {
    const r = renders.get(a);
    if (!r) continue;
    report.diagnostics.push(...r.diagnostics.map((d) => ({ ...d, file: a.source.displayPath })));
    rendered.set(a.id, { html: r.html, summary: r.summary, ...(a.image ? { image: a.image.url } : {}) });
  }
  return rendered;
}

async function keepRender(run: BuildRun, cache: BuildCache, a: Article, r: RenderResult, renders: Map<Article, StoredRender>): Promise<void> {
  const { stats } = run.report;
  stats.rendered++;
  const { fragments, ...render } = r;
  const { absPath } = a.source;
  renders.set(a, render);
  if (!run.options.renderAll) await cache.setRender(absPath, render);
  for (const [format, fragment] of Object.entries(fragments ?? {}) as [FeedFormat, StoredFragment][]) {
    cache.setFragment(absPath, render.hash, format, fragment);
    stats.fragments++;
  }
}
