/**
 * The two CPU-heavy steps of a build, as plain functions of plain data, so
 * they run the same on the main thread and in worker threads (src/worker.ts).
 */
import { readFileSync } from 'node:fs';
import { type StoredRender } from '../incremental/cache.js';
import type { Roots } from '../publish/items.js';
import type { Config } from '../config/config.js';
import { splitSource } from '../content/split.js';
import { validateArticle } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { findExcessiveNesting, MAX_NESTING } from '../content/nesting.js';
import { findLimitBreach, HINT } from '../content/limits.js';
import type { FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';
import { sha256 } from '../util/hash.js';
import { restoreArticle, storeArticle, type StoredArticle } from '../incremental/stored.js';

export interface FileRef {
  absPath: string;
  relPath: string;
  displayPath: string;
}

export interface ParsedFile {
  hash: string;
  article?: StoredArticle;
  diagnostics: Diagnostic[];
}

/** Reads, hashes, splits and validates one Markdown file. */
export function parseFile(ref: FileRef, config: Config): ParsedFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(ref.absPath);
  } catch (e) {
    return { hash: '', diagnostics: [diagnostic({ code: 'file-unreadable', file: ref.displayPath, message: `cannot read file: ${(e as Error).message}` })] };
  }
  const hash = sha256(buffer);
  try {
    const split = splitSource(buffer, ref.absPath, ref.displayPath, ref.relPath);
    const validated = split.source ? validateArticle(split.source, config) : { diagnostics: [] as Diagnostic[] };
    const diagnostics = [...split.diagnostics, ...validated.diagnostics];
    if (split.source?.body !== undefined && 'article' in validated && validated.article) {
      const over = overLimits(split.source.body, split.source.bodyLine, ref.displayPath);
      if (over) return { hash, diagnostics: [...diagnostics, over] };
    }
    return { hash, diagnostics, ...('article' in validated && validated.article ? { article: storeArticle(validated.article) } : {}) };
  } catch (e) {
    // A parser bug or a limit we did not foresee must cost one file, not the build or the publisher.
    return { hash, diagnostics: [diagnostic({ code: 'parse-failed', file: ref.displayPath, message: `could not be read: ${(e as Error).message}` })] };
  }
}

/**
 * A body no worker should be asked to render: nested too deep on one line, or
 * past one of content/limits.ts's bounds. The file then yields no article.
 */
function overLimits(body: string, bodyLine: number, file: string): Diagnostic | undefined {
  const deep = findExcessiveNesting(body);
  if (deep) {
    return diagnostic({
      code: 'nesting-too-deep',
      file,
      line: bodyLine + deep.line - 1,
      column: 1,
      message: `quotes, lists or indentation nest more than ${MAX_NESTING} levels deep`,
    });
  }
  const breach = findLimitBreach(body);
  if (!breach) return undefined;
  return diagnostic({
    code: 'markdown-too-complex',
    file,
    line: bodyLine + breach.line - 1,
    column: breach.column,
    message: `${breach.message}: over feedpipe's limit, which keeps rendering fast`,
    hint: HINT[breach.limit],
  });
}

/** Loads the renderer (a worker does before its first task, so a time budget counts only rendering). */
export async function loadRenderer(): Promise<void> {
  await Promise.all([import('../content/render.js'), import('../publish/items.js')]);
}

export interface RenderTask {
  ref: FileRef;
  article: StoredArticle;
  /** The hash the article was parsed from: a file that changed since is not rendered. */
  hash: string;
  /** Also make the article's feed items, verified under these root tags (see publish/items.ts). */
  roots?: Roots;
}

export type RenderResult = StoredRender & { fragments?: Partial<Record<FeedFormat, StoredFragment>> };

/** Re-reads an article's body (checking it is still the version that was parsed) and renders it. */
export async function renderFile(task: RenderTask): Promise<RenderResult | { error: Diagnostic }> {
  const { renderArticle } = await import('../content/render.js');
  const items = task.roots ? await import('../publish/items.js') : undefined;
  const changed = {
    error: diagnostic({ code: 'changed-during-build', file: task.ref.displayPath, message: 'file changed while the build was running' }),
  };
  let buffer: Buffer;
  try {
    buffer = readFileSync(task.ref.absPath);
  } catch {
    return changed;
  }
  if (sha256(buffer) !== task.hash) return changed;
  const body = splitSource(buffer, task.ref.absPath, task.ref.displayPath, task.ref.relPath).source?.body ?? '';
  try {
    const article = restoreArticle(task.article, task.ref);
    const r = renderArticle(article, body);
    const rendered = { hash: task.hash, html: r.html, summary: r.summary, diagnostics: r.diagnostics };
    if (!items || !task.roots) return rendered;
    return { ...rendered, fragments: items.verifiedFragments(article, { html: r.html, summary: r.summary, ...(article.image ? { image: article.image.url } : {}) }, task.roots) };
  } catch (e) {
    return {
      error: diagnostic({ code: 'render-failed', file: task.ref.displayPath, message: `could not be rendered: ${(e as Error).message}` }),
    };
  }
}
