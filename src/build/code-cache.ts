/**
 * The renderer a worker runs, loaded through V8's code cache. A worker starts
 * often (every build that renders, every replacement) and spends a third of its
 * start compiling the renderer (~0.5 MB of remark, micromark and the feed
 * serialisers) and compiling it again, function by function, on its first
 * render. `npm run build` bundles the renderer as one CommonJS script
 * (lib/bundle/renderer.cjs), runs it once through the warm-up and saves V8's
 * compiled code for it beside it (renderer.cjs.v8); a worker then loads the
 * script with that code instead of compiling it (Node 20 has no module compile
 * cache, and an ES module cannot be given one). V8 refuses a cache made by
 * another version of V8 or under other flags, but checks neither its bytes nor
 * the script's source beyond their length: a damaged cache can crash the
 * process, and a stale one of the same length runs old code. So the file starts
 * with a line holding the SHA-256 of the source and of V8's bytes (sealCodeCache),
 * and a cache that does not match both is not given to V8: the script is then
 * compiled as usual, as it is when V8 refuses one. Without the bundle (running
 * lib/ unbundled), the worker imports render-task.js.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { sha256 } from '../util/hash.js';

/** What the renderer exports (render-task.ts). */
export type Renderer = typeof import('./render-task.js');

/** Whether a worker's renderer came with V8's code for it: 'used', 'refused' by V8 (another Node, other flags) or 'none'. */
export type CodeCacheUse = 'used' | 'refused' | 'none';

export const CODE_CACHE_SUFFIX = '.v8';

/** V8's `data` for `source`, as saved: a line with both digests, then the data. */
export function sealCodeCache(source: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify({ source: sha256(source), data: sha256(data) })}\n`), data]);
}

/** The data of a sealed cache if it was made for `source` and is whole; undefined otherwise. */
export function openCodeCache(sealed: Buffer, source: string): Buffer | undefined {
  const newline = sealed.indexOf(10);
  if (newline < 0 || newline > 200) return undefined;
  try {
    const seal = JSON.parse(sealed.toString('utf8', 0, newline)) as { source?: unknown; data?: unknown };
    const data = sealed.subarray(newline + 1);
    return seal.source === sha256(source) && seal.data === sha256(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The renderer in `script` (a CommonJS bundle), through the code cache beside it if there is one. */
export function loadScript(script: string): { renderer: Renderer; script: Script; codeCache: CodeCacheUse; source: string } {
  const source = readFileSync(script, 'utf8');
  const cacheFile = script + CODE_CACHE_SUFFIX;
  const sealed = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const cachedData = sealed && openCodeCache(sealed, source);
  const compiled = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: script, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Renderer };
  const run = compiled.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(script), module, script, path.dirname(script));
  const codeCache: CodeCacheUse = !sealed ? 'none' : !cachedData || compiled.cachedDataRejected ? 'refused' : 'used';
  return { renderer: module.exports, script: compiled, codeCache, source };
}

/** The worker's renderer: the bundled script `script` if it exists, else render-task.js. */
export async function loadRendererCode(script: string): Promise<{ renderer: Renderer; codeCache: CodeCacheUse }> {
  if (existsSync(script)) {
    try {
      return loadScript(script);
    } catch {
      // A damaged bundle: the modules it was made from are beside it.
    }
  }
  return { renderer: await import('./render-task.js'), codeCache: 'none' };
}
