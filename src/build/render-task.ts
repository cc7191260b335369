/**
 * Rendering, the second CPU-heavy step of a build, as a plain function of plain
 * data, run in worker threads (worker.ts) and, only where none can start, on
 * the main thread. It loads no YAML or schema code: a worker that only renders
 * starts with the renderer alone.
 */
import { readFileSync } from 'node:fs';
import { bodyOf } from '../content/body.js';
import type { Article } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { StoredRender } from '../incremental/cache.js';
import { restoreArticle, type StoredArticle } from '../incremental/stored.js';
import type { FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';
import type { Roots } from '../publish/items.js';
import { sha256 } from '../util/hash.js';
import type { FileRef } from './work.js';

/** Loads the renderer (a worker does before its first task, so a time budget counts only rendering). */
export async function loadRenderer(): Promise<void> {
  const [{ renderArticle }] = await Promise.all([import('../content/render.js'), import('../publish/items.js')]);
  // One small article first: the renderer's first run builds its tables and compiles its hot
  // paths (~80 ms here), which a worker started ahead of need then does before it is needed.
  try {
    renderArticle({ url: 'https://example.com/warm/', source: { displayPath: 'warm-up', bodyLine: 1 } } as Article, WARM_UP);
  } catch {
    // only a warm-up: the real tasks report their own errors
  }
}

const WARM_UP = '# A *heading*\n\nText with [a link](../other/ "Title"), ![an image](i.jpg), `code` & <b>html</b>, “quotes”, é.[^1]\n\n- a\n- b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n```js\nx < 1\n```\n\n[^1]: A note.\n';

export interface RenderTask {
  ref: FileRef;
  article: StoredArticle;
  /** The hash the article was parsed from: a file that changed since is not rendered. */
  hash: string;
  /** Also make the article's feed items, verified under these root tags (see publish/items.ts). */
  roots?: Roots;
  /** Give the items as their UTF-8 bytes only, in one buffer a worker transfers (serialise.ts, filesAsBytes). */
  bytes?: boolean;
}

type RenderFragments = Partial<Record<FeedFormat, StoredFragment>>;

export type RenderResult = StoredRender & { fragments?: RenderFragments };

/** A render, or the error that stopped it. */
export type Rendered = RenderResult | { error: Diagnostic };

/**
 * The fragments as UTF-8 bytes only, all in one buffer of their own (never Node's shared pool, so a
 * worker can transfer it: worker.ts, transferablesOf), each a view on it.
 */
function asBytes(fragments: RenderFragments): RenderFragments {
  const made = Object.entries(fragments) as [FeedFormat, StoredFragment][];
  const texts = made.map(([, f]) => f.text ?? '');
  const all = Buffer.allocUnsafeSlow(texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0));
  let at = 0;
  const out: RenderFragments = {};
  made.forEach(([format, f], i) => {
    const end = at + all.write(texts[i]!, at, 'utf8');
    out[format] = { utf8: all.subarray(at, end), verifiedIn: f.verifiedIn };
    at = end;
  });
  return out;
}

/** The buffers a render result can hand over instead of copying (its fragments' bytes, see asBytes). */
export function transferablesOf(result: unknown): ArrayBuffer[] {
  const fragments = (result as RenderResult | undefined)?.fragments;
  const buffers = new Set<ArrayBuffer>();
  for (const f of Object.values(fragments ?? {})) if (f?.utf8 && f.text === undefined) buffers.add(f.utf8.buffer as ArrayBuffer);
  return [...buffers];
}

/** Re-reads an article's body (checking it is still the version that was parsed) and renders it. */
export async function renderFile(task: RenderTask): Promise<Rendered> {
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
  const body = bodyOf(buffer);
  try {
    const article = restoreArticle(task.article, task.ref);
    const r = renderArticle(article, body);
    const rendered = { hash: task.hash, html: r.html, summary: r.summary, diagnostics: r.diagnostics };
    if (!items || !task.roots) return rendered;
    const fragments = items.verifiedFragments(article, { html: r.html, summary: r.summary, ...(article.image ? { image: article.image.url } : {}) }, task.roots);
    return { ...rendered, fragments: task.bytes ? asBytes(fragments) : fragments };
  } catch (e) {
    return {
      error: diagnostic({ code: 'render-failed', file: task.ref.displayPath, message: `could not be rendered: ${(e as Error).message}` }),
    };
  }
}
