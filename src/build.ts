import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig, validateConfig, type Config, type ConfigInput } from './config.js';
import { renderArticle } from './content/render.js';
import { findMarkdownFiles, loadSourceFile, toDisplayPath } from './content/load.js';
import { findCollisions, validateArticle, type Article } from './content/schema.js';
import { diagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import { renderAtom } from './publish/atom.js';
import { renderJson } from './publish/json.js';
import { buildFeedModels, FEED_FILES, type FeedModel } from './publish/model.js';
import { renderRss } from './publish/rss.js';
import { nextDue, selectScheduled, selectVisible } from './publish/select.js';
import type { RenderedMap } from './publish/shared.js';
import { verifyOutput } from './publish/verify.js';
import { publishFiles, type WriteResult } from './publish/write.js';

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

export interface FeedSummary {
  key: string;
  items: number;
  updated: Date;
  files: string[];
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
  /** Serialised files by path relative to outDir. */
  files: Map<string, string>;
  write?: WriteResult;
  now: Date;
  durationMs: number;
}

export async function resolveConfig(options: BuildOptions): Promise<{ config?: Config; contentDir: string; outDir: string; diagnostics: Diagnostic[] }> {
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
  return { ...(config ? { config } : {}), contentDir, outDir, diagnostics: loaded.diagnostics };
}

/** Runs the stages: load → validate → select(now) → model → render → serialise → verify → write. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const cwd = options.cwd ?? process.cwd();
  const report: BuildReport = { ok: false, diagnostics: [], articles: [], visible: [], scheduled: [], drafts: [], feeds: [], files: new Map(), now, durationMs: 0 };
  const done = () => {
    report.ok = !hasErrors(report.diagnostics);
    report.durationMs = performance.now() - started;
    return report;
  };
  const aborted = () => {
    if (!options.signal?.aborted) return false;
    report.diagnostics.push(diagnostic({ code: 'build-aborted', message: 'the build was stopped before writing anything', hint: 'the published feeds are unchanged' }));
    return true;
  };
  const resolved = await resolveConfig(options);
  report.diagnostics.push(...resolved.diagnostics);
  const config = resolved.config;
  if (!config) return done();
  report.config = config;
  report.outDir = resolved.outDir;

  const found = await findMarkdownFiles(resolved.contentDir);
  report.diagnostics.push(...found.diagnostics.map((d) => ({ ...d, file: d.file && toDisplayPath(d.file, cwd) })));
  const loadOptions = { contentDir: resolved.contentDir, maxFileBytes: config.limits.maxFileBytes, cwd };
  let loadedCount = 0;
  // Bounded: one open file per Markdown file at once runs out of descriptors on a big site.
  const loaded = await mapConcurrently(found.files, 64, async (f) => {
    if (options.signal?.aborted) return { diagnostics: [] };
    const l = await loadSourceFile(f, loadOptions);
    options.onProgress?.({ stage: 'load', done: ++loadedCount, total: found.files.length });
    return l;
  });
  if (aborted()) return done();
  for (let i = 0; i < loaded.length; i++) {
    // Long synchronous stretches on a big site: let a stop request (a signal) in now and then.
    if (i % 100 === 99) {
      options.onProgress?.({ stage: 'validate', done: i, total: loaded.length });
      if (options.signal) {
        await new Promise((r) => setImmediate(r));
        if (aborted()) return done();
      }
    }
    const l = loaded[i]!;
    report.diagnostics.push(...l.diagnostics);
    if (!l.source) continue;
    const v = validateArticle(l.source, config);
    report.diagnostics.push(...v.diagnostics);
    if (v.article) report.articles.push(v.article);
  }
  report.diagnostics.push(...findCollisions(report.articles));

  report.visible = selectVisible(report.articles, now);
  report.scheduled = selectScheduled(report.articles, now);
  report.drafts = report.articles.filter((a) => a.draft);
  const due = nextDue(report.articles, now);
  if (due) report.nextDue = due;
  if (hasErrors(report.diagnostics)) return done();

  const models = buildFeedModels(report.visible, config);
  // Render only what some feed carries (or everything, for check).
  const toRender = new Set<Article>(options.renderAll ? report.articles : models.flatMap((m) => m.items));
  const rendered: RenderedMap = new Map();
  for (const a of toRender) {
    if (rendered.size % 50 === 49) {
      options.onProgress?.({ stage: 'render', done: rendered.size, total: toRender.size });
      if (options.signal) {
        await new Promise((r) => setImmediate(r));
        if (aborted()) return done();
      }
    }
    const r = renderArticle(a);
    report.diagnostics.push(...r.diagnostics);
    rendered.set(a.id, { html: r.html, summary: r.summary, ...(a.image ? { image: a.image.url } : {}) });
  }

  for (const model of models) {
    const files = serialize(model, rendered);
    for (const [rel, text] of files) {
      report.diagnostics.push(...verifyOutput(rel, text));
      report.files.set(rel, text);
    }
    report.feeds.push({ key: model.key, items: model.items.length, updated: model.updated, files: [...files.keys()] });
  }
  if (hasErrors(report.diagnostics) || aborted()) return done();

  if (options.write !== false) {
    try {
      report.write = await publishFiles(resolved.outDir, report.files);
    } catch (e) {
      report.diagnostics.push(diagnostic({ code: 'write-failed', file: toDisplayPath(resolved.outDir, cwd), message: `could not write the feeds: ${(e as Error).message}`, hint: 'check that the output folder is writable and the disk has space' }));
    }
  }
  return done();
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function serialize(model: FeedModel, rendered: RenderedMap): Map<string, string> {
  return new Map([
    [model.dir + FEED_FILES.rss, renderRss(model, rendered)],
    [model.dir + FEED_FILES.atom, renderAtom(model, rendered)],
    [model.dir + FEED_FILES.json, renderJson(model, rendered)],
  ]);
}

/** Validates everything, renders every article, writes nothing. */
export function check(options: Omit<BuildOptions, 'write' | 'renderAll'> = {}): Promise<BuildReport> {
  return build({ ...options, write: false, renderAll: true });
}
