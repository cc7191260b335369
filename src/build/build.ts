import { existsSync, statSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { BuildCache, CACHE_FORMAT, type SelectionMemo, restoreArticle, sha256, type FileEntry, type StoredArticle, type StoredRender } from '../incremental/cache.js';
import type { Config, ConfigInput } from '../config/config.js';
import { resolveConfig } from './resolve.js';
export { resolveConfig }; // its home is resolve.ts, which the server loads without the build
import { findMarkdownFiles } from '../content/load.js';
import { findCollisions, type Article } from '../content/schema.js';
import { diagnostic, hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import { buildFeedModels, type FeedModel } from '../publish/model.js';
import { partition, type Selection } from '../publish/select.js';
import type { RenderedMap } from '../publish/shared.js';
import { publishFiles, type WriteResult } from '../publish/write.js';
import { runChunked, WorkerPool } from './pool.js';
import { digestInputs, holdsAt, isRacy, windowOf, loadStanding, outputStats, sameStat, saveStanding, standingFile, stands, statAll, statOf, type Counts, type FileStat, type Standing } from '../incremental/standing.js';
import { changedSince, flatStats, loadSummary, samePlace, saveSummary, shortHash, summaryFile, type SiteSummary, type StoredModel } from '../incremental/summary.js';
import { dependencyVersions, version } from '../util/version.js';
import { parseFile, renderFile, type FileRef, type RenderResult, type RenderTask } from './work.js';
import { isContentPath, isMarkdownName, toDisplayPath } from '../util/paths.js';
import { FEED_FILES, INDEX_FILE, INDEX_ITEMS, STYLESHEET_FILE, type FeedFormat, MANIFEST } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';

export interface BuildOptions {
  /** Config file; default `feedpipe.config.yaml` in `cwd`. Ignored when `config` is given. */
  configPath?: string;
  /** Config as an object, instead of a file (relative folders resolve against `cwd`). */
  config?: ConfigInput;
  /** Override the config's content folder (relative to `cwd`). */
  contentDir?: string;
  /** Override the config's output folder (relative to `cwd`). */
  outDir?: string;
  /** The clock: what is published is what is public at this instant. Default: now. */
  now?: Date;
  /** Write files (build) or only validate (check). Default true. */
  write?: boolean;
  /** Render every article, not only those a feed carries, to report every warning (check). */
  renderAll?: boolean;
  cwd?: string;
  /**
   * Work kept between builds. A long-running publisher passes the same object
   * every time; the CLI uses `cacheDir`. Without either, every build is cold.
   */
  cache?: BuildCache;
  /** Folder of the persistent cache, relative to the config file's folder (the CLI uses `.feedpipe-cache`). */
  cacheDir?: string;
  /**
   * Absolute paths a watcher saw change since the last build with this
   * `cache`: only they are looked at. Anything not a Markdown file (a folder,
   * a rename) makes the build scan the whole content folder.
   */
  changedPaths?: readonly string[];
  /**
   * Before loading anything, check whether the last build's result still stands (needs `cacheDir`;
   * see src/standing.ts). If it does, nothing is loaded or written and the report has `counts` and
   * `lastBuildStands`, but empty `articles`, `visible`, `scheduled` and `drafts` and no `cache`.
   * If not, but the only files that changed kept their place in the site (src/summary.ts), only
   * they are loaded: the report has `changedOnly`, and is as thin.
   * For one-off builds (`feedpipe build`); a long-running publisher wants the site in memory.
   */
  reuseLastResult?: boolean;
  /**
   * Keep the serialised files in `report.files` (default true). A one-off build that only writes
   * them passes false: each file is then held as its UTF-8 bytes until written, not as a string
   * (which V8 keeps at two bytes a character once a file has one character beyond U+00FF).
   */
  keepFiles?: boolean;
  /** Use worker threads for large batches of parsing and rendering (default true; only from the compiled package). */
  parallel?: boolean;
  /** Once aborted, the build stops before its write phase and writes nothing (a write under way finishes). */
  signal?: AbortSignal;
  /** Progress of the long stages, for a terminal display on big sites. */
  onProgress?: (progress: BuildProgress) => void;
}

export interface BuildProgress {
  stage: 'load' | 'validate' | 'render';
  done: number;
  total: number;
}

/**
 * Below these batch sizes a worker's start-up (~0.25 s, while the main thread
 * works alone) costs more than it saves: parsing takes ~50 µs a file, rendering ~2.5 ms.
 */
const PARALLEL_MIN = { parse: 5000, render: 100 };

export interface FeedSummary {
  key: string;
  items: number;
  updated: Date;
  files: string[];
}

export interface BuildStats {
  /** Files read and parsed this build. */
  parsed: number;
  /** Articles reused from the cache without parsing. */
  reused: number;
  /** Articles rendered this build. */
  rendered: number;
  /** Files serialised this build (an unchanged feed is not). */
  serialized: number;
  /** Feed items serialised this build: once per article and format, not again while its file is unchanged (in the same process). */
  fragments: number;
  /** Worker threads used (0: all on the main thread). */
  workers: number;
}

export interface BuildReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  config?: Config;
  outDir?: string;
  articles: Article[];
  /** Public at `now`, newest first. */
  visible: Article[];
  /** Not yet public, soonest first. */
  scheduled: Article[];
  drafts: Article[];
  /** The sizes of articles, visible, scheduled and drafts (also when those are not loaded: see `lastBuildStands`). */
  counts: Counts;
  nextDue?: Date;
  /** The article that falls due at `nextDue`. */
  nextDueFile?: string;
  /**
   * The last build's result was proven to still stand (same content files, no
   * article falling due in between, published files untouched), so nothing was
   * loaded: `articles`, `visible`, `scheduled` and `drafts` are empty, `counts`
   * and everything else are as the last build reported them.
   */
  lastBuildStands?: boolean;
  /**
   * Only the content files that changed since the last build were loaded (see `reuseLastResult`
   * and src/summary.ts): `articles`, `visible`, `scheduled` and `drafts` are empty and there is no
   * `cache`; `counts` and everything else are complete.
   */
  changedOnly?: boolean;
  feeds: FeedSummary[];
  /**
   * Files serialised by this build, by path relative to outDir (all of them unless a cache proved
   * some unchanged): the feeds, index.html and feed.xsl. Empty with `keepFiles: false`.
   */
  files: Map<string, string>;
  /** When each published file's content was last updated (a feed's newest item), by path; the HTTP Last-Modified. */
  updated: Map<string, Date>;
  write?: WriteResult;
  /** The cache this build used and updated: pass it back as `cache` to keep work in memory across builds. */
  cache?: BuildCache;
  stats: BuildStats;
  now: Date;
  durationMs: number;
}

/** Runs the stages: load → validate → select(now) → model → render → serialise → verify → write. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const cwd = options.cwd ?? process.cwd();
  const write = options.write !== false;
  const stats: BuildStats = { parsed: 0, reused: 0, rendered: 0, serialized: 0, fragments: 0, workers: 0 };
  const report: BuildReport = { ok: false, diagnostics: [], articles: [], visible: [], scheduled: [], drafts: [], counts: { articles: 0, visible: 0, scheduled: 0, drafts: 0 }, feeds: [], files: new Map(), updated: new Map(), stats, now, durationMs: 0 };
  const done = () => {
    report.ok = !hasErrors(report.diagnostics);
    if (!report.lastBuildStands && !report.changedOnly) report.counts = countsOf(report);
    report.durationMs = performance.now() - started;
    return report;
  };
  const resolved = await resolveConfig(options);
  report.diagnostics.push(...resolved.diagnostics);
  // What the standing proof and the summary replay comes after these: a build reports its config's diagnostics itself.
  const fromConfig = report.diagnostics.length;
  if (!resolved.config) return done();
  const config: Config = resolved.config; // also in the stages below, which TypeScript does not narrow
  const { contentDir, outDir } = resolved;
  report.config = config;
  report.outDir = outDir;

  const key = sha256(JSON.stringify({ format: CACHE_FORMAT, version: version(), dependencies: dependencyVersions(), config, contentDir, outDir, cwd }));
  const cacheFile = options.cacheDir ? path.join(path.resolve(resolved.baseDir, options.cacheDir), `build-${sha256(`${contentDir}\0${outDir}`).slice(0, 16)}.json`) : undefined;
  // 0. A one-off build first asks whether the last build's result still stands: then it loads nothing.
  const standingPath = cacheFile && options.reuseLastResult && !options.cache && write && !options.renderAll && !options.changedPaths ? standingFile(cacheFile) : undefined;
  let prescan: { found: { files: string[]; diagnostics: Diagnostic[] }; stats: Map<string, FileStat>; wall: number } | undefined;
  let pool: WorkerPool | undefined;
  // Once started (for parsing), the pool is worth using for any batch of more than a chunk or two.
  const poolFor = (size: number, min: number) => (options.parallel !== false && size >= (pool ? 16 : min) ? (pool ??= WorkerPool.create(config)) : undefined);
  if (standingPath) {
    const loading = loadStanding(standingPath, key);
    const found = findMarkdownFiles(contentDir);
    const standing = await loading;
    // No proof and no cache at all: every file will be parsed, so the workers start now, while the files are stat'ed.
    if (!standing && !existsSync(cacheFile!)) poolFor(found.files.length, PARALLEL_MIN.parse);
    const wall = Date.now();
    prescan = { found, stats: statAll(found.files), wall };
    if (standing && !found.diagnostics.length && stands(standing, digestInputs(found.files, prescan.stats, wall), now.getTime(), outDir)) {
      restoreStanding(report, standing);
      return done();
    }
  }
  const aborted = () => {
    if (!options.signal?.aborted) return false;
    report.diagnostics.push(diagnostic({ code: 'build-aborted', message: 'the build was stopped before writing anything', hint: 'the published feeds are unchanged' }));
    return true;
  };
  // From here on, the last build's result no longer stands until this build says it does.
  if (standingPath) await saveStanding(standingPath, undefined).catch(() => undefined);
  const summaryPath = standingPath ? summaryFile(cacheFile!) : undefined;
  if (summaryPath && prescan && !prescan.found.diagnostics.length) {
    // 0b. Or only a few files changed, each keeping its place in the site: only they are loaded.
    const summary = await loadSummary(summaryPath, key);
    const changed = summary && holdsAt(summary, now.getTime()) ? changedSince(summary, prescan.found.files, prescan.stats) : undefined;
    if (summary && changed && changed.length <= CHANGED_ONLY_MAX) {
      try {
        const published = await changedOnly(summary, changed, prescan);
        if (published) return published;
      } finally {
        await closePool();
      }
    }
  }
  const cache = options.cache ?? (cacheFile ? await BuildCache.load(cacheFile, key).catch(async (e: unknown) => {
    await pool?.close();
    throw e;
  }) : new BuildCache(key));
  cache.useKey(key);
  report.cache = cache;

  // 1. Load and validate, reusing every article whose bytes did not change.
  const ctx: LoadContext = { config, contentDir, cwd, cache, stats, startedWall: prescan?.wall ?? Date.now(), ...(prescan ? { fileStats: prescan.stats } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  try {
    const scan = await scanContent(contentDir, cache, options.changedPaths, prescan?.found);
    report.diagnostics.push(...scan.diagnostics.map((d) => ({ ...d, ...(d.file ? { file: toDisplayPath(d.file, cwd) } : {}) })));
    const loaded = await loadArticles(scan, ctx, (n) => poolFor(n, PARALLEL_MIN.parse));
    if (aborted()) return done();
    for (const l of loaded) {
      if (l.diagnostics.length) report.diagnostics.push(...l.diagnostics);
      if (l.article) report.articles.push(l.article);
    }
    return await selectStage(scan);
  } finally {
    await closePool();
  }

  /**
   * The build of src/summary.ts: parses the `changed` files only and, if each kept its place in
   * the site, publishes the last build's feeds with their new versions. Undefined (nothing done,
   * nothing written) otherwise: the full build follows.
   */
  async function changedOnly(summary: SiteSummary, changed: readonly number[], scanned: NonNullable<typeof prescan>): Promise<BuildReport | undefined> {
    const { paths } = summary;
    const cache = await BuildCache.load(cacheFile!, key, changed.map((i) => paths[i]!));
    const refOfPath = refMaker(contentDir, cwd);
    const fresh = new Map<number, FileEntry & { article: StoredArticle }>();
    for (const i of changed) {
      const ref = refOfPath(paths[i]!);
      const st = scanned.stats.get(ref.absPath)!;
      if (st.size > config.limits.maxFileBytes) return undefined;
      const r = parseFile(ref, config);
      if (!r.hash || !r.article || hasErrors(r.diagnostics)) return undefined;
      if (shortHash(r.hash) !== summary.hashes[i]) {
        // New bytes: the version the summary was made from must be the one the cache has, in the same place.
        const old = cache.files.get(ref.absPath);
        if (!old?.article || shortHash(old.hash) !== summary.hashes[i] || !samePlace(old.article, r.article)) return undefined;
      }
      fresh.set(i, { ...statOf(st), hash: r.hash, racy: isRacy(st, scanned.wall), diagnostics: r.diagnostics, article: r.article });
    }
    if (aborted()) return done();
    // Every check passed: from here on this is the build.
    report.changedOnly = true;
    stats.parsed = [...fresh].filter(([i, f]) => shortHash(f.hash) !== summary.hashes[i]).length;
    stats.reused = paths.length - stats.parsed;
    for (const [i, f] of fresh) cache.files.set(paths[i]!, f);
    const changedFiles = new Set([...fresh.keys()].map((i) => refOfPath(paths[i]!).displayPath));
    report.diagnostics.push(...summary.diagnostics.filter((d) => !d.file || !changedFiles.has(d.file)), ...[...fresh.values()].flatMap((f) => f.diagnostics));
    report.counts = summary.counts;
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
    const hashes = summary.hashes.slice();
    for (const [i, f] of fresh) hashes[i] = shortHash(f.hash);
    const loaderDiagnostics = report.diagnostics.slice(fromConfig);
    return publishStage(cache, models, (a) => stored.get(a)!, (r) =>
      summaryOf(r, summary, loaderDiagnostics, paths, hashes, scanned, models, (a) => stored.get(a)!),
    );
  }

  async function closePool(): Promise<void> {
    if (!pool) return;
    stats.workers = pool.size;
    const closing = pool;
    pool = undefined;
    await closing.close();
  }

  async function selectStage(scan: { paths: string[] }): Promise<BuildReport> {
  // 2. Decide what is public: one place, one clock. A publisher that rebuilds after an edit that
  //    moved no article (same ids, URLs, dates, drafts) reuses its last selection.
  const { selection, collisions } = reuseSelection(cache.selection, report.articles, now) ?? { selection: partition(report.articles, now), collisions: findCollisions(report.articles) };
  if (options.cache) cache.selection = { articles: report.articles, selection, collisions, ...windowOf(selection.visible, selection.nextDue) };
  report.diagnostics.push(...collisions);
  report.visible = selection.visible;
  report.scheduled = selection.scheduled;
  report.drafts = selection.drafts;
  if (selection.nextDue) report.nextDue = selection.nextDue;
  if (selection.scheduled[0]) report.nextDueFile = selection.scheduled[0].source.displayPath;
  if (hasErrors(report.diagnostics)) return done();
  const models = buildFeedModels(report.visible, config);
  const loaderDiagnostics = report.diagnostics.slice(fromConfig);
  const entryOf = (a: Article) => cache.files.get(a.source.absPath) as { hash: string; article: StoredArticle };
  const window = windowOf(report.visible, report.nextDue);
  return publishStage(cache, models, entryOf, (r) =>
    prescan ? summaryOf(r, { key, ...window, counts: countsOf(r) }, loaderDiagnostics, scan.paths, scan.paths.map((p) => shortHash(cache.files.get(p)?.hash ?? '')), prescan, models, entryOf) : undefined,
  );
  }

  /**
   * Steps 3 to 6 for `models`, with each item's stored article and the hash of its bytes from
   * `entryOf`; `summarise` gives what the next build needs (src/summary.ts), once it published.
   */
  async function publishStage(
    cache: BuildCache,
    models: FeedModel[],
    entryOf: (a: Article) => { hash: string; article: StoredArticle },
    summarise: (r: BuildReport) => SiteSummary | undefined,
  ): Promise<BuildReport> {
  // 3. Model the feeds; a feed whose fingerprint matches the file on disk is not serialised again.
  const hashOf = (a: Article) => entryOf(a).hash;
  const keep = new Set<string>();
  const pending: { model: FeedModel; fingerprint: string }[] = [];
  for (const model of models) {
    const fingerprint = fingerprintOf(model, cache, hashOf);
    const files = (Object.keys(FEED_FILES) as FeedFormat[]).map((f) => model.dir + FEED_FILES[f]);
    report.feeds.push({ key: model.key, items: model.items.length, updated: model.updated, files });
    for (const f of files) report.updated.set(f, model.updated);
    if (write && !options.renderAll && allUnchanged(files, fingerprint, outDir, cache)) files.forEach((f) => keep.add(f));
    else pending.push({ model, fingerprint });
  }
  // The page for people and the stylesheet, by the same rule: not made again when their inputs did not change.
  const main = models[0]!;
  const pages = [
    { rel: INDEX_FILE, fingerprint: sha256(JSON.stringify({ page: INDEX_FILE, feeds: models.map((m) => [m.kind, m.dir, m.title]), main: fingerprintOf(main, cache, hashOf) })) },
    { rel: STYLESHEET_FILE, fingerprint: sha256(JSON.stringify({ page: STYLESHEET_FILE })) },
  ].filter((p) => {
    if (!(write && !options.renderAll && allUnchanged([p.rel], p.fingerprint, outDir, cache))) return true;
    keep.add(p.rel);
    return false;
  });
  report.updated.set(INDEX_FILE, main.updated);

  // 4. Render only what a feed to be serialised carries (or everything, for check).
  const pageItems = pages.some((p) => p.rel === INDEX_FILE) ? main.items.slice(0, INDEX_ITEMS) : [];
  const toRender = new Set<Article>(options.renderAll ? report.articles : [...pending.flatMap((p) => p.model.items), ...pageItems]);
  // The saved feed items: those of unchanged articles are not serialised again (read before any is added).
  if (pending.length && !options.renderAll) await cache.loadFragments();
  const rendered: RenderedMap = new Map();
  const renders = new Map<Article, StoredRender>();
  const tasks: { a: Article; task: RenderTask }[] = [];
  // What is rendered for a feed is also serialised, by the same thread: the fragments' root tags come from a feed with items.
  const withItems = !options.renderAll && pending.find((p) => p.model.items.length)?.model;
  const roots = withItems ? (await import('../publish/items.js')).rootsOf(withItems) : undefined;
  for (const a of toRender) {
    const entry = entryOf(a);
    const r = await cache.render(a.source.absPath, entry.hash);
    if (r) renders.set(a, r);
    else tasks.push({ a, task: { ref: refOf(a), article: entry.article, hash: entry.hash, ...(roots ? { roots } : {}) } });
  }
  // Bodies are not kept after validation (100 000 would not fit the memory budget): the renderer re-reads them, checking the hash.
  const results = await runChunked<RenderTask, RenderResult | { error: Diagnostic }>('render', tasks.map((t) => t.task), renderFile, poolFor(tasks.length, PARALLEL_MIN.render), {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (n, total) => options.onProgress?.({ stage: 'render', done: n, total }),
  });
  // The workers' work is done: their heaps go now, before the feeds and the cache are written.
  await closePool();
  if (aborted() || !results) return done();
  for (const [i, r] of results.entries()) {
    if ('error' in r) {
      report.diagnostics.push(r.error);
      continue;
    }
    stats.rendered++;
    const { fragments, ...render } = r;
    const { absPath } = tasks[i]!.a.source;
    renders.set(tasks[i]!.a, render);
    if (!options.renderAll) await cache.setRender(absPath, render);
    for (const [format, fragment] of Object.entries(fragments ?? {}) as [FeedFormat, StoredFragment][]) {
      cache.setFragment(absPath, render.hash, format, fragment);
      stats.fragments++;
    }
  }
  for (const a of toRender) {
    const r = renders.get(a);
    if (!r) continue;
    report.diagnostics.push(...r.diagnostics.map((d) => ({ ...d, file: a.source.displayPath })));
    rendered.set(a.id, { html: r.html, summary: r.summary, ...(a.image ? { image: a.image.url } : {}) });
  }
  if (hasErrors(report.diagnostics)) return done();

  // 5. Serialise and re-parse every file in memory before anything is written. A feed file is a
  //    frame around one fragment per item; each fragment is made and verified once per format,
  //    however many feeds carry it, and kept in the cache while its article's file is unchanged.
  const fingerprints = new Map<string, string>();
  const keepFiles = options.keepFiles !== false || !write;
  const output = new Map<string, string | Buffer>();
  const emit = (rel: string, text: string) => {
    if (keepFiles) report.files.set(rel, text);
    output.set(rel, keepFiles ? text : Buffer.from(text, 'utf8'));
  };
  if (pending.length || pages.length) {
    const [{ SERIALISERS }, { fragmentContext, serialiseFeed }, { verifyOutput }, { renderIndexPage }, { FEED_STYLESHEET }] = await Promise.all([
      import('../publish/items.js'),
      import('../publish/fragment.js'),
      import('../publish/verify.js'),
      import('../publish/page.js'),
      import('../publish/xsl.js'),
    ]);
    const fragments = fragmentContext(SERIALISERS, cache, rendered, hashOf);
    for (const { model, fingerprint } of pending) {
      for (const format of Object.keys(FEED_FILES) as FeedFormat[]) {
        const rel = model.dir + FEED_FILES[format];
        const { text, diagnostics } = serialiseFeed(model, format, rel, fragments);
        stats.serialized++;
        report.diagnostics.push(...diagnostics);
        emit(rel, text);
        fingerprints.set(rel, fingerprint);
      }
    }
    stats.fragments += fragments.made;
    for (const { rel, fingerprint } of pages) {
      const text = rel === INDEX_FILE ? renderIndexPage(models, config, rendered) : FEED_STYLESHEET;
      stats.serialized++;
      report.diagnostics.push(...verifyOutput(rel, text));
      emit(rel, text);
      fingerprints.set(rel, fingerprint);
    }
  }
  if (hasErrors(report.diagnostics)) return done();

  // 6. Publish atomically; remember what each file was made from. The cache of articles and
  //    renders is saved meanwhile (CPU while the writes wait for the disk).
  if (aborted()) return done();
  const carried = new Set(models.flatMap((m) => m.items.map((a) => a.source.absPath)));
  cache.pruneRenders(carried);
  cache.pruneFragments(carried);
  const publishing = write ? publishFiles(outDir, output, { keep, updated: report.updated, now }) : undefined;
  const savingContent = cache.saveContent().catch(() => undefined); // a cache that cannot be saved costs speed, never correctness
  if (publishing) {
    try {
      report.write = await publishing;
      output.clear(); // written: their bytes (tens of MB on a cold build) need not wait for the cache to be saved
      for (const rel of [...report.write.written, ...report.write.unchanged]) {
        const fingerprint = fingerprints.get(rel);
        if (!fingerprint) continue;
        const st = statSync(path.join(outDir, rel));
        cache.outputs.set(rel, { fingerprint, size: st.size, mtimeMs: st.mtimeMs });
        cache.dirty = true;
      }
      for (const rel of report.write.removed) cache.outputs.delete(rel) && (cache.dirty = true);
    } catch (e) {
      report.diagnostics.push(diagnostic({ code: 'write-failed', file: toDisplayPath(outDir, cwd), message: `could not write the feeds: ${(e as Error).message}`, hint: 'check that the output folder is writable and the disk has space' }));
    }
  }
  await savingContent;
  await cache.save().catch(() => undefined);
  if (standingPath && summaryPath) {
    // Neither is used while the scan reports something (a symbolic link): nor saved, so none replays it once it is gone.
    const summary = report.write && !hasErrors(report.diagnostics) && !prescan?.found.diagnostics.length ? summarise(report) : undefined;
    await saveStanding(standingPath, summary && standingOf(report, summary, prescan, fromConfig)).catch(() => undefined);
    await saveSummary(summaryPath, summary).catch(() => undefined);
  }
  return done();
  }
}

/** Above this many changed files, the full build (which parses in parallel) is no slower. */
const CHANGED_ONLY_MAX = 64;

/** Validates everything, renders every article, writes nothing. */
export function check(options: Omit<BuildOptions, 'write' | 'renderAll'> = {}): Promise<BuildReport> {
  return build({ ...options, write: false, renderAll: true });
}

interface LoadContext {
  /** Stats of the content files taken by step 0, not taken again. */
  fileStats?: ReadonlyMap<string, FileStat>;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
  config: Config;
  contentDir: string;
  cwd: string;
  cache: BuildCache;
  stats: BuildStats;
  startedWall: number;
}

async function scanContent(
  contentDir: string,
  cache: BuildCache,
  changedPaths: readonly string[] | undefined,
  prescanned?: { files: string[]; diagnostics: Diagnostic[] },
): Promise<{ paths: string[]; diagnostics: Diagnostic[]; changed?: Set<string> }> {
  if (changedPaths && cache.complete) {
    // From the last scan's list, not from cache.files: a file with no entry (too large, unreadable) is still content.
    const paths = new Set(cache.paths ?? cache.files.keys());
    const changed = new Set<string>();
    let simple = true;
    let same = !!cache.paths; // the same files as the last scan: its sorted list stands
    for (const p of changedPaths) {
      const abs = path.resolve(p);
      const rel = path.relative(contentDir, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // not content (e.g. the config)
      if (!isContentPath(rel)) {
        if (!isMarkdownName(abs)) simple = false; // a folder or rename: look at everything
        continue;
      }
      const st = await lstat(abs).catch(() => undefined);
      if (st?.isFile()) {
        if (!paths.has(abs)) same = false;
        paths.add(abs);
        changed.add(abs);
      }
      else if (!st) {
        if (paths.has(abs)) same = false;
        paths.delete(abs);
        cache.files.delete(abs);
        cache.articles.delete(abs);
        cache.dirty = true;
      } else simple = false;
    }
    if (simple) {
      if (!same || !cache.paths) cache.paths = [...paths].sort();
      return { paths: cache.paths, diagnostics: [], changed };
    }
  }
  const found = prescanned ?? findMarkdownFiles(contentDir);
  const present = new Set(found.files);
  for (const p of cache.files.keys()) {
    if (!present.has(p)) {
      cache.files.delete(p);
      cache.dirty = true;
    }
  }
  cache.complete = true;
  cache.paths = found.files;
  return { paths: found.files, diagnostics: found.diagnostics };
}

type Loaded = { hash?: string; article?: Article; diagnostics: Diagnostic[] };

/**
 * Stage 1: every article, reused from the cache when its bytes did not
 * change, parsed otherwise (in worker threads when there are thousands).
 */
async function loadArticles(scan: { paths: string[]; changed?: Set<string> }, ctx: LoadContext, poolFor: (n: number) => WorkerPool | undefined): Promise<Loaded[]> {
  const { cache, config, stats } = ctx;
  const loaded: Loaded[] = new Array(scan.paths.length);
  const toParse: { i: number; ref: FileRef; stat: FileStat }[] = [];
  const refOfPath = refMaker(ctx.contentDir, ctx.cwd);
  const reuse = (ref: FileRef, e: FileEntry): Loaded => {
    stats.reused++;
    const memo = cache.articles.get(ref.absPath);
    if (memo && memo.hash === e.hash) return memo;
    const diagnostics = e.diagnostics.length ? e.diagnostics.map((d) => ({ ...d, file: ref.displayPath })) : [];
    const restored = { hash: e.hash, diagnostics, ...(e.article ? { article: restoreArticle(e.article, ref) } : {}) };
    cache.articles.set(ref.absPath, restored);
    return restored;
  };
  // A file that now yields no article must not leave its last version to be reused.
  const forget = (absPath: string) => {
    if (cache.files.delete(absPath)) cache.dirty = true;
    cache.articles.delete(absPath);
  };
  // With a watcher's list of changes and the same files as the last build, that build's articles
  // stand for every other file: only the changed ones are looked at.
  const lastBuild = scan.changed && cache.loaded?.paths === scan.paths ? cache.loaded : undefined;
  const changedAt = lastBuild ? [...scan.changed!].map((p) => lastBuild.index.get(p)) : undefined;
  const last = changedAt?.every((i) => i !== undefined) ? lastBuild : undefined;
  if (last) {
    for (let i = 0; i < last.entries.length; i++) loaded[i] = last.entries[i]!;
    stats.reused += last.entries.length - changedAt!.length;
  }
  const indices: Iterable<number> = last ? (changedAt as number[]) : scan.paths.keys();
  for (const i of indices) {
    const absPath = scan.paths[i]!;
    // With a watcher's list of changes, every other file is taken as the cache has it, unstat'ed.
    const memo = scan.changed && !scan.changed.has(absPath) ? cache.articles.get(absPath) : undefined;
    if (memo && memo.hash === cache.files.get(absPath)?.hash) {
      stats.reused++;
      loaded[i] = memo;
      continue;
    }
    const ref = refOfPath(absPath);
    let st;
    try {
      // Synchronous stat is several times cheaper than its promise form for thousands of small files.
      st = ctx.fileStats?.get(absPath) ?? statSync(absPath);
    } catch (e) {
      loaded[i] = { diagnostics: [diagnostic({ code: 'file-unreadable', file: ref.displayPath, message: `cannot read file: ${(e as Error).message}`, hint: 'check the file permissions' })] };
      forget(absPath);
      continue;
    }
    const entry = cache.files.get(absPath);
    if (entry && !entry.racy && sameStat(entry, st)) loaded[i] = reuse(ref, entry);
    else if (st.size > config.limits.maxFileBytes) {
      forget(absPath);
      loaded[i] = { diagnostics: [diagnostic({ code: 'file-too-large', file: ref.displayPath, message: `file is ${st.size} bytes, over the limit of ${config.limits.maxFileBytes}`, hint: 'split the article, or raise limits.maxFileBytes in the config' })] };
    } else toParse.push({ i, ref, stat: statOf(st) });
  }
  const parsed = await runChunked('parse', toParse.map((t) => t.ref), (ref) => parseFile(ref, config), poolFor(toParse.length), {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onProgress: (n, total) => ctx.onProgress?.({ stage: 'validate', done: n, total }),
  });
  if (!parsed) return [];
  for (const [n, t] of toParse.entries()) {
    const result = parsed[n]!;
    // A file written within two seconds of its stat may change again without its stat moving.
    const racy = isRacy(t.stat, ctx.startedWall);
    const entry = cache.files.get(t.ref.absPath);
    cache.dirty = true;
    if (entry && entry.hash === result.hash) {
      cache.files.set(t.ref.absPath, Object.assign(entry, t.stat, { racy }));
      loaded[t.i] = reuse(t.ref, entry);
      continue;
    }
    stats.parsed++;
    if (!result.hash) {
      forget(t.ref.absPath);
      loaded[t.i] = { diagnostics: result.diagnostics };
      continue;
    }
    cache.files.set(t.ref.absPath, { ...t.stat, hash: result.hash, racy, diagnostics: result.diagnostics, ...(result.article ? { article: result.article } : {}) });
    const fresh = { hash: result.hash, diagnostics: result.diagnostics, ...(result.article ? { article: restoreArticle(result.article, t.ref) } : {}) };
    cache.articles.set(t.ref.absPath, fresh);
    loaded[t.i] = fresh;
  }
  cache.loaded = { paths: scan.paths, entries: loaded, index: cache.loaded?.paths === scan.paths ? cache.loaded.index : new Map(scan.paths.map((p, i) => [p, i])) };
  return loaded;
}

/** A content file's paths from its absolute path. */
function refMaker(contentDir: string, cwd: string): (absPath: string) => FileRef {
  // path.relative costs microseconds; for 10 000 files under the same folders a prefix test does.
  const cwdPrefix = cwd.endsWith(path.sep) ? cwd : cwd + path.sep;
  const displayPathOf = (abs: string) => (abs.startsWith(cwdPrefix) && path.sep === '/' ? abs.slice(cwdPrefix.length) : toDisplayPath(abs, cwd));
  return (absPath) => ({ absPath, relPath: relativeTo(contentDir, absPath), displayPath: displayPathOf(absPath) });
}

function refOf(a: Article): FileRef {
  return { absPath: a.source.absPath, relPath: a.source.relPath, displayPath: a.source.displayPath };
}

/** Everything a feed file's bytes depend on (the config and feedpipe's version are in the cache key). */
function fingerprintOf(model: FeedModel, cache: BuildCache, hashOf: (a: Article) => string): string {
  const { items, ...meta } = model;
  const metaJson = JSON.stringify(meta);
  // An article object is replaced whenever its file's bytes change: the same objects, the same items.
  const last = cache.fingerprints.get(model.key);
  if (last && last.meta === metaJson && last.items.length === items.length && last.items.every((a, i) => a === items[i])) return last.fingerprint;
  const fingerprint = sha256(JSON.stringify({ meta, items: items.map((a) => [a.source.relPath, hashOf(a)]) }));
  cache.fingerprints.set(model.key, { meta: metaJson, items, fingerprint });
  return fingerprint;
}

function allUnchanged(files: string[], fingerprint: string, outDir: string, cache: BuildCache): boolean {
  for (const rel of files) {
    const out = cache.outputs.get(rel);
    if (!out || out.fingerprint !== fingerprint) return false;
    let st;
    try {
      st = statSync(path.join(outDir, rel));
    } catch {
      return false;
    }
    if (st.size !== out.size || st.mtimeMs !== out.mtimeMs) return false;
  }
  return true;
}

/** The report of the build that left `standing`. */
function restoreStanding(report: BuildReport, standing: Standing): void {
  report.lastBuildStands = true;
  report.diagnostics.push(...standing.diagnostics);
  report.counts = standing.counts;
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

/** What the next build needs to prove this one's result still stands; undefined if it cannot be proven. */
function standingOf(report: BuildReport, summary: SiteSummary, scanned: { stats: ReadonlyMap<string, FileStat>; wall: number } | undefined, fromConfig: number): Standing | undefined {
  if (!report.write || !scanned || !report.outDir) return undefined;
  const inputs = digestInputs(summary.paths, scanned.stats, scanned.wall);
  if (!inputs) return undefined;
  try {
    return {
      key: summary.key,
      inputs,
      validFrom: summary.validFrom,
      ...(summary.validUntil !== undefined ? { validUntil: summary.validUntil } : {}),
      counts: summary.counts,
      ...(summary.nextDue ? { nextDue: summary.nextDue } : {}),
      feeds: report.feeds.map((f) => ({ ...f, updated: f.updated.getTime() })),
      updated: [...report.updated].map(([rel, d]) => [rel, d.getTime()]),
      diagnostics: report.diagnostics.slice(fromConfig),
      outputs: outputStats(report.outDir, [...report.write.written, ...report.write.unchanged]),
    };
  } catch {
    return undefined; // an output gone already (not while the lock is held): no proof
  }
}

/**
 * What the next one-off build needs to load only what changes (src/summary.ts). `base` gives the
 * key, clock window and counts; the report, its next due article.
 */
function summaryOf(
  report: BuildReport,
  base: Pick<SiteSummary, 'key' | 'validFrom' | 'validUntil' | 'counts'>,
  diagnostics: Diagnostic[],
  paths: string[],
  hashes: string[],
  scanned: { stats: ReadonlyMap<string, FileStat>; wall: number },
  models: readonly FeedModel[],
  entryOf: (a: Article) => { hash: string; article: StoredArticle },
): SiteSummary | undefined {
  const stats = flatStats(paths, scanned.stats, scanned.wall);
  if (!stats) return undefined;
  const index = new Map(paths.map((p, i) => [p, i]));
  const numbered = new Map<Article, number>();
  const carried: SiteSummary['carried'] = [];
  const storedModels = models.map(
    (m): StoredModel => ({
      ...m, // the same key order as the model: its fingerprint is taken from its JSON
      updated: m.updated.getTime(),
      items: m.items.map((a) => {
        let k = numbered.get(a);
        if (k === undefined) {
          const e = entryOf(a);
          numbered.set(a, (k = carried.length));
          carried.push([index.get(a.source.absPath)!, e.hash, e.article]);
        }
        return k;
      }),
    }),
  );
  return {
    key: base.key,
    validFrom: base.validFrom,
    ...(base.validUntil !== undefined ? { validUntil: base.validUntil } : {}),
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

/** `abs` relative to `dir`, with forward slashes. */
function relativeTo(dir: string, abs: string): string {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  if (path.sep === '/' && abs.startsWith(prefix)) return abs.slice(prefix.length);
  return path.relative(dir, abs).split(path.sep).join('/');
}

function countsOf(report: BuildReport): Counts {
  return { articles: report.articles.length, visible: report.visible.length, scheduled: report.scheduled.length, drafts: report.drafts.length };
}

/**
 * The last selection (and duplicate check), with the re-read articles put in
 * place of their old versions, if nothing it depends on changed: the same
 * files in the same order, each with the same id, URL, date and draft flag,
 * and a clock in the same window. Otherwise undefined: select from scratch.
 */
function reuseSelection(memo: SelectionMemo | undefined, articles: readonly Article[], now: Date): { selection: Selection; collisions: Diagnostic[] } | undefined {
  if (!memo || memo.articles.length !== articles.length) return undefined;
  if (!holdsAt(memo, now.getTime())) return undefined;
  const replaced = new Map<Article, Article>();
  for (let i = 0; i < articles.length; i++) {
    const a = articles[i]!;
    const b = memo.articles[i]!;
    if (a === b) continue;
    if (a.source.absPath !== b.source.absPath || a.id !== b.id || a.url !== b.url || a.draft !== b.draft || a.date.getTime() !== b.date.getTime()) return undefined;
    replaced.set(b, a);
  }
  const sub = (list: Article[]) => (replaced.size ? list.map((a) => replaced.get(a) ?? a) : list);
  const { visible, scheduled, drafts, nextDue } = memo.selection;
  return { selection: { visible: sub(visible), scheduled: sub(scheduled), drafts: sub(drafts), ...(nextDue ? { nextDue } : {}) }, collisions: memo.collisions };
}
