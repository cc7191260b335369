import { readFileSync, statSync } from 'node:fs';
import { readFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { BuildCache, CACHE_FORMAT, restoreArticle, sha256, storeArticle, type FileEntry } from './cache.js';
import { DEFAULT_CONFIG_FILE, loadConfig, validateConfig, type Config, type ConfigInput } from './config.js';
import { findMarkdownFiles, splitSource, toDisplayPath } from './content/load.js';
import { findCollisions, validateArticle, type Article } from './content/schema.js';
import { diagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import { buildFeedModels, FEED_FILES, type FeedFormat, type FeedModel } from './publish/model.js';
import { nextDue, selectScheduled, selectVisible } from './publish/select.js';
import type { RenderedMap } from './publish/shared.js';
import { publishFiles, type WriteResult } from './publish/write.js';
import { version } from './version.js';

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
}

export interface FeedSummary {
  key: string;
  items: number;
  updated: Date;
  files: string[];
  /** Ids and update times of the items, newest first (for "added/updated/removed" logs). */
  itemVersions: { id: string; updated: number }[];
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
  nextDue?: Date;
  feeds: FeedSummary[];
  /** Files serialised by this build, by path relative to outDir (all of them unless a cache proved some unchanged). */
  files: Map<string, string>;
  write?: WriteResult;
  stats: BuildStats;
  now: Date;
  durationMs: number;
}

export async function resolveConfig(options: BuildOptions): Promise<{ config?: Config; contentDir: string; outDir: string; baseDir: string; diagnostics: Diagnostic[] }> {
  const cwd = options.cwd ?? process.cwd();
  let loaded: { config?: Config; diagnostics: Diagnostic[] };
  let baseDir = cwd;
  if (options.config) {
    loaded = validateConfig(options.config, '<config>');
  } else {
    const file = path.resolve(cwd, options.configPath ?? DEFAULT_CONFIG_FILE);
    const result = await loadConfig(file, toDisplayPath(file, cwd));
    loaded = result;
    baseDir = result.baseDir;
  }
  const config = loaded.config;
  const contentDir = options.contentDir ? path.resolve(cwd, options.contentDir) : path.resolve(baseDir, config?.content ?? 'content');
  const outDir = options.outDir ? path.resolve(cwd, options.outDir) : path.resolve(baseDir, config?.output ?? 'dist');
  return { ...(config ? { config } : {}), contentDir, outDir, baseDir, diagnostics: loaded.diagnostics };
}

/** Runs the stages: load → validate → select(now) → model → render → serialise → verify → write. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const cwd = options.cwd ?? process.cwd();
  const write = options.write !== false;
  const stats: BuildStats = { parsed: 0, reused: 0, rendered: 0, serialized: 0 };
  const report: BuildReport = { ok: false, diagnostics: [], articles: [], visible: [], scheduled: [], drafts: [], feeds: [], files: new Map(), stats, now, durationMs: 0 };
  const done = () => {
    report.ok = !hasErrors(report.diagnostics);
    report.durationMs = performance.now() - started;
    return report;
  };
  const resolved = await resolveConfig(options);
  report.diagnostics.push(...resolved.diagnostics);
  const config = resolved.config;
  if (!config) return done();
  report.config = config;
  const { contentDir, outDir } = resolved;
  report.outDir = outDir;

  const key = sha256(JSON.stringify({ format: CACHE_FORMAT, version: version(), config, contentDir, outDir, cwd }));
  const cacheFile = options.cacheDir ? path.join(path.resolve(resolved.baseDir, options.cacheDir), `build-${sha256(`${contentDir}\0${outDir}`).slice(0, 16)}.json`) : undefined;
  const cache = options.cache ?? (cacheFile ? await BuildCache.load(cacheFile, key) : new BuildCache(key));
  cache.useKey(key);

  // 1. Load and validate, reusing every article whose bytes did not change.
  const scan = await scanContent(contentDir, cache, options.changedPaths);
  report.diagnostics.push(...scan.diagnostics.map((d) => ({ ...d, ...(d.file ? { file: toDisplayPath(d.file, cwd) } : {}) })));
  const ctx: LoadContext = { config, contentDir, cwd, cache, stats, startedWall: Date.now() };
  const loaded = [];
  for (let i = 0; i < scan.paths.length; i++) {
    // Synchronous stat and read are several times cheaper than their promise forms for
    // thousands of small files; yielding now and then keeps a server in the same process answering.
    if (i % 256 === 255) await new Promise(setImmediate);
    const p = scan.paths[i]!;
    // With a watcher's list of changes, every other file is taken as the cache has it, unstat'ed.
    const memo = scan.changed && !scan.changed.has(p) ? cache.articles.get(p) : undefined;
    if (memo && memo.hash === cache.files.get(p)?.hash) {
      stats.reused++;
      loaded.push(memo);
    } else loaded.push(loadArticle(p, ctx));
  }
  for (const l of loaded) {
    report.diagnostics.push(...l.diagnostics);
    if (l.article) report.articles.push(l.article);
  }
  report.diagnostics.push(...findCollisions(report.articles));

  // 2. Decide what is public: one place, one clock.
  report.visible = selectVisible(report.articles, now);
  report.scheduled = selectScheduled(report.articles, now);
  report.drafts = report.articles.filter((a) => a.draft);
  const due = nextDue(report.articles, now);
  if (due) report.nextDue = due;
  if (hasErrors(report.diagnostics)) return done();

  // 3. Model the feeds; a feed whose fingerprint matches the file on disk is not serialised again.
  const models = buildFeedModels(report.visible, config);
  const keep = new Set<string>();
  const pending: { model: FeedModel; fingerprint: string }[] = [];
  for (const model of models) {
    const fingerprint = fingerprintOf(model, cache);
    const files = (Object.keys(FEED_FILES) as FeedFormat[]).map((f) => model.dir + FEED_FILES[f]);
    report.feeds.push({ key: model.key, items: model.items.length, updated: model.updated, files, itemVersions: model.items.map((a) => ({ id: a.id, updated: (a.updated ?? a.date).getTime() })) });
    if (write && !options.renderAll && allUnchanged(files, fingerprint, outDir, cache)) files.forEach((f) => keep.add(f));
    else pending.push({ model, fingerprint });
  }

  // 4. Render only what a feed to be serialised carries (or everything, for check).
  const toRender = new Set<Article>(options.renderAll ? report.articles : pending.flatMap((p) => p.model.items));
  const rendered: RenderedMap = new Map();
  if (toRender.size) {
    const { renderArticle } = await import('./content/render.js');
    for (const a of toRender) {
      const entry = cache.files.get(a.source.absPath);
      let r = entry ? await cache.render(a.source.absPath, entry.hash) : undefined;
      if (!r) {
        // Bodies are not kept after validation (100 000 of them would not fit the memory budget): re-read, checking the hash.
        const body = await rereadBody(a, entry, cwd);
        if (typeof body !== 'string') {
          report.diagnostics.push(body);
          continue;
        }
        const fresh = renderArticle(a, body);
        r = { hash: entry?.hash ?? '', html: fresh.html, summary: fresh.summary, diagnostics: fresh.diagnostics };
        stats.rendered++;
        if (entry && !options.renderAll) await cache.setRender(a.source.absPath, r);
      }
      report.diagnostics.push(...r.diagnostics.map((d) => ({ ...d, file: a.source.displayPath })));
      rendered.set(a.id, { html: r.html, summary: r.summary, ...(a.image ? { image: a.image.url } : {}) });
    }
  }
  if (hasErrors(report.diagnostics)) return done();

  // 5. Serialise and re-parse every file in memory before anything is written.
  const fingerprints = new Map<string, string>();
  if (pending.length) {
    const [{ renderRss }, { renderAtom }, { renderJson }, { verifyOutput }] = await Promise.all([
      import('./publish/rss.js'),
      import('./publish/atom.js'),
      import('./publish/json.js'),
      import('./publish/verify.js'),
    ]);
    const renderers: Record<FeedFormat, (m: FeedModel, r: RenderedMap) => string> = { rss: renderRss, atom: renderAtom, json: renderJson };
    for (const { model, fingerprint } of pending) {
      for (const format of Object.keys(FEED_FILES) as FeedFormat[]) {
        const rel = model.dir + FEED_FILES[format];
        const text = renderers[format](model, rendered);
        stats.serialized++;
        report.diagnostics.push(...verifyOutput(rel, text));
        report.files.set(rel, text);
        fingerprints.set(rel, fingerprint);
      }
    }
  }
  if (hasErrors(report.diagnostics)) return done();

  // 6. Publish atomically; remember what each file was made from.
  if (write) {
    try {
      report.write = await publishFiles(outDir, report.files, keep);
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
  cache.pruneRenders(new Set(models.flatMap((m) => m.items.map((a) => a.source.absPath))));
  await cache.save().catch(() => undefined); // a cache that cannot be saved costs speed, never correctness
  return done();
}

/** Validates everything, renders every article, writes nothing. */
export function check(options: Omit<BuildOptions, 'write' | 'renderAll'> = {}): Promise<BuildReport> {
  return build({ ...options, write: false, renderAll: true });
}

interface LoadContext {
  config: Config;
  contentDir: string;
  cwd: string;
  cache: BuildCache;
  stats: BuildStats;
  startedWall: number;
}

async function scanContent(contentDir: string, cache: BuildCache, changedPaths: readonly string[] | undefined): Promise<{ paths: string[]; diagnostics: Diagnostic[]; changed?: Set<string> }> {
  if (changedPaths && cache.complete) {
    const paths = new Set(cache.files.keys());
    const changed = new Set<string>();
    let simple = true;
    for (const p of changedPaths) {
      const abs = path.resolve(p);
      const rel = path.relative(contentDir, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // not content (e.g. the config)
      if (!abs.endsWith('.md') || rel.split(path.sep).some((s) => s.startsWith('.') || s.startsWith('_') || s === 'node_modules')) {
        if (!abs.endsWith('.md')) simple = false; // a folder or rename: look at everything
        continue;
      }
      const st = await lstat(abs).catch(() => undefined);
      if (st?.isFile()) {
        paths.add(abs);
        changed.add(abs);
      }
      else if (!st) {
        paths.delete(abs);
        cache.files.delete(abs);
        cache.articles.delete(abs);
        cache.dirty = true;
      } else simple = false;
    }
    if (simple) return { paths: [...paths].sort(), diagnostics: [], changed };
  }
  const found = await findMarkdownFiles(contentDir);
  const present = new Set(found.files);
  for (const p of cache.files.keys()) {
    if (!present.has(p)) {
      cache.files.delete(p);
      cache.dirty = true;
    }
  }
  cache.complete = true;
  return { paths: found.files, diagnostics: found.diagnostics };
}

function loadArticle(absPath: string, ctx: LoadContext): { article?: Article; diagnostics: Diagnostic[] } {
  const { cache, config, contentDir, cwd } = ctx;
  const displayPath = toDisplayPath(absPath, cwd);
  const relPath = path.relative(contentDir, absPath).split(path.sep).join('/');
  const fail = (code: string, message: string, hint: string) => ({ diagnostics: [diagnostic({ code, file: displayPath, message, hint })] });
  let st;
  try {
    st = statSync(absPath);
  } catch (e) {
    return fail('file-unreadable', `cannot read file: ${(e as Error).message}`, 'check the file permissions');
  }
  const entry = cache.files.get(absPath);
  const reuse = (e: FileEntry) => {
    ctx.stats.reused++;
    const memo = cache.articles.get(absPath);
    if (memo && memo.hash === e.hash) return memo;
    const diagnostics = e.diagnostics.map((d) => ({ ...d, file: displayPath }));
    const restored = { hash: e.hash, diagnostics, ...(e.article ? { article: restoreArticle(e.article, { absPath, relPath, displayPath }) } : {}) };
    cache.articles.set(absPath, restored);
    return restored;
  };
  if (entry && !entry.racy && entry.size === st.size && entry.mtimeMs === st.mtimeMs) return reuse(entry);
  if (st.size > config.limits.maxFileBytes) {
    return fail('file-too-large', `file is ${st.size} bytes, over the limit of ${config.limits.maxFileBytes}`, 'split the article, or raise limits.maxFileBytes in the config');
  }
  let buffer: Buffer;
  try {
    buffer = readFileSync(absPath);
  } catch (e) {
    return fail('file-unreadable', `cannot read file: ${(e as Error).message}`, 'check the file permissions');
  }
  const hash = sha256(buffer);
  // A file written within the last two seconds may change again without its size or mtime moving.
  const racy = ctx.startedWall - st.mtimeMs < 2000;
  cache.dirty = true;
  if (entry && entry.hash === hash) {
    Object.assign(entry, { size: st.size, mtimeMs: st.mtimeMs, racy });
    return reuse(entry);
  }
  ctx.stats.parsed++;
  const split = splitSource(buffer, absPath, displayPath, relPath);
  const validated = split.source ? validateArticle(split.source, config) : { diagnostics: [] as Diagnostic[] };
  const diagnostics = [...split.diagnostics, ...validated.diagnostics];
  const article = 'article' in validated ? validated.article : undefined;
  if (article) article.source = { ...article.source, frontmatter: '', body: undefined };
  cache.files.set(absPath, { size: st.size, mtimeMs: st.mtimeMs, hash, racy, diagnostics, ...(article ? { article: storeArticle(article) } : {}) });
  const result = { hash, diagnostics, ...(article ? { article } : {}) };
  cache.articles.set(absPath, result);
  return result;
}

async function rereadBody(a: Article, entry: FileEntry | undefined, cwd: string): Promise<string | Diagnostic> {
  const changed = diagnostic({ code: 'changed-during-build', file: toDisplayPath(a.source.absPath, cwd), message: 'file changed while the build was running', hint: 'nothing was published; the next build picks up the new version' });
  try {
    const buffer = await readFile(a.source.absPath);
    if (!entry || sha256(buffer) !== entry.hash) return changed;
    return splitSource(buffer, a.source.absPath, a.source.displayPath, a.source.relPath).source?.body ?? '';
  } catch {
    return changed;
  }
}

/** Everything a feed file's bytes depend on (the config and feedpipe's version are in the cache key). */
function fingerprintOf(model: FeedModel, cache: BuildCache): string {
  const { items, ...meta } = model;
  return sha256(JSON.stringify({ meta, items: items.map((a) => [a.source.relPath, cache.files.get(a.source.absPath)?.hash ?? '']) }));
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
