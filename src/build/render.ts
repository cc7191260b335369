/**
 * Step 4: render only what a feed to be serialised carries (or everything,
 * for check), reusing renders whose source bytes did not change. The feed
 * items of what is rendered are made by the same thread, in the same pass.
 */
import { statSync } from 'node:fs';
import type { Config } from '../config/config.js';
import type { Article } from '../content/schema.js';
import { diagnostic, withholds, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache, StoredRender } from '../incremental/cache.js';
import type { StoredArticle } from '../incremental/stored.js';
import { INDEX_FILE, type FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';
import type { FeedModel } from '../publish/model.js';
import { indexItems } from '../publish/page.js';
import type { RenderedMap } from '../publish/shared.js';
import { runEach } from './dispatch.js';
import { runChunked, type Death } from './pool.js';
import type { PublishPlan } from './plan.js';
import { aborted, closePool, usePool, type BuildRun } from './run.js';
import { filesAsBytes } from './serialise.js';
import { rememberVerdict, verdictFor } from './verdicts.js';
import type { Rendered, RenderResult, RenderTask } from './render-task.js';


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
  if (roots) cache.roots = roots;
  for (const a of toRender) {
    const entry = entryOf(a);
    const r = await cache.render(a.source.absPath, entry.hash);
    if (r) renders.set(a, r);
    else tasks.push({ a, task: renderTask(run, { absPath: a.source.absPath, relPath: a.source.relPath, displayPath: a.source.displayPath }, entry, roots) });
  }
  const { renderFile } = tasks.length ? await import('./render-task.js') : { renderFile: undefined as never };
  // Bodies are not kept after validation (100 000 would not fit the memory budget): the renderer re-reads them, checking the hash.
  const rendering = renderTaken(run, tasks.map((t) => t.task), renderFile);
  // While workers render, this thread mostly waits: the parsed articles' cache shards are saved meanwhile.
  if (run.write && tasks.length) cache.saveFilesAhead();
  const results = await rendering;
  // The workers' work is done: their heaps go now, before the feeds and the cache are written.
  await closePool(run);
  if (aborted(run) || !results) return undefined;
  for (const [i, r] of results.entries()) {
    if (!('error' in r)) await keepRender(run, cache, tasks[i]!.a, r, renders);
    else {
      report.diagnostics.push(r.error);
      // Left out of select's input from now on; this build runs again without it (build.ts).
      if (withholds(r.error.code)) {
        rememberVerdict(tasks[i]!.task.hash, run.config, r.error);
        run.withheld = true;
      }
    }
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

/** The task of rendering `ref` (parsed from the bytes with `hash`), with its feed items under `roots` if given. */
function renderTask(run: BuildRun, ref: RenderTask['ref'], parsed: { hash: string; article: StoredArticle }, roots: RenderTask['roots']): RenderTask {
  return { ref, article: parsed.article, hash: parsed.hash, ...(roots ? { roots, bytes: filesAsBytes(run) } : {}) };
}

/**
 * Most changed files a build renders ahead: an edit, a save of several, not a checkout (the
 * render stage hands those out itself, as evenly).
 */
export const AHEAD_MAX = 8;

/**
 * Starts rendering, before select runs, the new versions of articles the last publication
 * carried (`entries`: parsed this build, without errors), in workers already up, while this
 * thread selects and plans: an edit's render is then done, or nearly, when the render stage
 * needs it. Rendering decides nothing: select still decides what is public, the render stage
 * takes a result only for an article it renders, with the same path and hash (renderTaken), and
 * one it does not take is dropped. `roots`: the last build's (fragments verified under others
 * are verified again by the serialiser, publish/fragment.ts). Nothing is started without a pool
 * or for more than AHEAD_MAX files.
 */
export function renderAhead(run: BuildRun, entries: readonly { ref: RenderTask['ref']; hash: string; article: StoredArticle }[], roots: RenderTask['roots']): void {
  const pool = run.options.workers ?? run.pool;
  if (!pool || entries.length > AHEAD_MAX) return;
  // Bytes a worker could not render before are not tried again (the render stage leaves them out too).
  const tasks: RenderTask[] = entries.filter((e) => !verdictFor(e.hash, run.config, e.ref.displayPath)).map((e) => renderTask(run, e.ref, e, roots));
  if (!tasks.length) return;
  const { config } = run;
  // Where no worker runs after all, nothing is rendered ahead: the render stage does it.
  // A build asked to stop stops waiting for these at once (each then gives undefined).
  const signal = run.options.signal ? { signal: run.options.signal } : {};
  const results = runEach<RenderTask, Rendered | undefined>(pool, 'render', tasks, {
    ...signal,
    budgetMs: config.render.timeout * 1000,
    local: async () => undefined,
    failed: (task, why) => ({ error: overBudget(task, why, config) }),
  });
  run.ahead ??= new Map();
  for (const [i, t] of tasks.entries()) run.ahead.set(t.ref.absPath, { hash: t.hash, result: results.then((r) => r?.[i]) });
  run.report.stats.renderedAhead += tasks.length;
  run.report.stats.workers = pool.size;
}

/** `tasks` rendered: those rendered ahead (renderAhead) are taken from there, the rest rendered now. */
async function renderTaken(run: BuildRun, tasks: RenderTask[], renderFile: (t: RenderTask) => Promise<Rendered>): Promise<Rendered[] | undefined> {
  const taken = tasks.map((t) => {
    const ahead = run.ahead?.get(t.ref.absPath);
    return ahead?.hash === t.hash ? ahead.result : undefined;
  });
  const rest = tasks.filter((_, i) => !taken[i]);
  // Those rendered ahead go on meanwhile; a build stopped here does not wait for them.
  const now = await renderAll(run, rest, renderFile);
  if (!now) return undefined;
  const ahead = await Promise.all(taken);
  // Those that were not rendered ahead after all (no worker ran them) are rendered now.
  const missed = tasks.filter((_, i) => taken[i] && !ahead[i]);
  const again = missed.length ? await renderAll(run, missed, renderFile) : [];
  if (!again) return undefined;
  const [fromNow, fromAgain] = [now[Symbol.iterator](), again[Symbol.iterator]()];
  return tasks.map((_, i) => (taken[i] ? (ahead[i] ?? fromAgain.next().value!) : fromNow.next().value!));
}

/** Every task in the workers, each within the time budget; on the main thread only where no worker can run. */
async function renderAll(run: BuildRun, tasks: RenderTask[], renderFile: (t: RenderTask) => Promise<Rendered>): Promise<Rendered[] | undefined> {
  const { options, config } = run;
  if (options.signal?.aborted) return undefined;
  const common = {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (n: number, total: number) => options.onProgress?.({ stage: 'render', done: n, total }),
  };
  const pool = tasks.length ? usePool(run) : undefined;
  if (!pool) return runChunked<RenderTask, Rendered>('render', tasks, renderFile, undefined, common);
  return runEach<RenderTask, Rendered>(pool, 'render', tasks, { ...common, budgetMs: config.render.timeout * 1000, local: renderFile, failed: (task, why) => ({ error: overBudget(task, why, config) }) });
}

/** The error of an article its worker could not render: it names the file, the limit and what went over it. */
function overBudget(task: RenderTask, why: Death, config: Config): Diagnostic {
  const file = task.ref.displayPath;
  let size = '';
  try {
    size = ` (${statSync(task.ref.absPath).size.toLocaleString('en')} bytes)`;
  } catch {
    // gone meanwhile: the message does without its size
  }
  if (why === 'timeout') {
    return diagnostic({ code: 'render-timeout', file, line: 1, column: 1, message: `the article${size} took longer than ${config.render.timeout} s to render (render.timeout), and is not published` });
  }
  if (why === 'memory') {
    return diagnostic({ code: 'render-memory', file, line: 1, column: 1, message: `rendering the article${size} needed more than ${config.render.maxMemoryMb} MiB of memory (render.maxMemoryMb), and it is not published` });
  }
  return diagnostic({ code: 'render-failed', file, line: 1, column: 1, message: 'could not be rendered: the rendering worker stopped twice on this article' });
}

async function keepRender(run: BuildRun, cache: BuildCache, a: Article, r: RenderResult, renders: Map<Article, StoredRender>): Promise<void> {
  const { stats } = run.report;
  stats.rendered++;
  const { fragments, ...render } = r;
  const { absPath } = a.source;
  renders.set(a, render);
  if (!run.options.renderAll) await cache.setRender(absPath, render);
  for (const [format, fragment] of Object.entries(fragments ?? {}) as [FeedFormat, StoredFragment][]) {
    // Bytes from a worker arrive as a plain Uint8Array (a view on the buffer it handed over): a Buffer again, not a copy.
    const utf8: Uint8Array | undefined = fragment.utf8;
    if (utf8 && !Buffer.isBuffer(utf8)) fragment.utf8 = Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength);
    cache.setFragment(absPath, render.hash, format, fragment);
    stats.fragments++;
  }
}
