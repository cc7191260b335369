/**
 * The renderer a worker runs, loaded through V8's code cache. A worker starts
 * often (every build that renders, every replacement) and spends a third of its
 * start compiling the renderer (~0.5 MB of remark, micromark and the feed
 * serialisers) and compiling it again, function by function, on its first
 * render. `npm run build` bundles the renderer as one CommonJS script
 * (lib/bundle/renderer.cjs), runs it once through the warm-up and saves V8's
 * compiled code for it beside it (renderer.cjs.v8); a worker then loads the
 * script with that code instead of compiling it (Node 20 has no module compile
 * cache, and an ES module cannot be given one). V8 checks the cache against
 * its own version, its flags and the script's source, and refuses one that does
 * not match: the script is then compiled as usual. Without the bundle (running
 * lib/ unbundled), the worker imports render-task.js.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

/** What the renderer exports (render-task.ts). */
export type Renderer = typeof import('./render-task.js');

/** Whether a worker's renderer came with V8's code for it: 'used', 'refused' by V8 (another Node, other flags) or 'none'. */
export type CodeCacheUse = 'used' | 'refused' | 'none';

export const CODE_CACHE_SUFFIX = '.v8';

/** The renderer in `script` (a CommonJS bundle), through the code cache beside it if there is one. */
export function loadScript(script: string): { renderer: Renderer; script: Script; codeCache: CodeCacheUse } {
  const source = readFileSync(script, 'utf8');
  const cacheFile = script + CODE_CACHE_SUFFIX;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const compiled = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: script, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Renderer };
  const run = compiled.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(script), module, script, path.dirname(script));
  const codeCache: CodeCacheUse = !cachedData ? 'none' : compiled.cachedDataRejected ? 'refused' : 'used';
  return { renderer: module.exports, script: compiled, codeCache };
}

/** The worker's renderer: the bundled script `script` if it exists, else render-task.js. */
export async function loadRendererCode(script: string): Promise<{ renderer: Renderer; codeCache: CodeCacheUse }> {
  if (existsSync(script)) {
    try {
      const { renderer, codeCache } = loadScript(script);
      return { renderer, codeCache };
    } catch {
      // A damaged bundle: the modules it was made from are beside it.
    }
  }
  return { renderer: await import('./render-task.js'), codeCache: 'none' };
}
