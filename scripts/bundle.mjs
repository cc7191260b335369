// Bundles the compiled CLI and its worker into lib/bundle/ (run after tsc; part of `npm run build`).
// Old chunks go first: their names change with their content.
// One file loads in a fraction of the time of the ~200 modules it replaces (Node 20 has no
// module compile cache): a one-off `feedpipe build` starts ~0.2 s sooner, a worker thread too.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
// The cache key's record of the packages, taken from those this bundle is made of (src/version.ts).
const { dependencyVersions } = await import(new URL('lib/util/version.js', root).href);
const dependencies = dependencyVersions(fileURLToPath(new URL('lib/util/version.js', root)));
const common = {
  absWorkingDir: fileURLToPath(root),
  outdir: 'lib/bundle',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Some dependencies are CommonJS and call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __feedpipeRequire } from 'node:module'; const require = __feedpipeRequire(import.meta.url);" },
  define: { FEEDPIPE_VERSION: JSON.stringify(version), FEEDPIPE_DEPENDENCIES: JSON.stringify(dependencies) },
  // gray-matter's default YAML engine; ours replaces it (src/content/split.ts), so the bundle carries a stub.
  alias: { 'js-yaml': './scripts/no-js-yaml.cjs' },
  legalComments: 'none',
  logLevel: 'warning',
};
rmSync(new URL('lib/bundle', root), { recursive: true, force: true });
// Split where the code imports on demand: each command, and each worker, loads what it runs
// and no more. Every file is read and compiled by every process or worker that loads it (~40 ms
// a megabyte here): a build does not load the server or the scheduler, `feedpipe serve` loads
// no parser, and a worker that only renders loads no YAML or schema code.
await build({ ...common, entryPoints: { cli: 'lib/cli/main.js', worker: 'lib/build/worker.js' }, splitting: true, chunkNames: '[name]-[hash]' });

// The worker's renderer again, as one CommonJS script, with V8's code for it once it has run its
// warm-up: a worker then starts without compiling it (src/build/code-cache.ts).
const renderer = fileURLToPath(new URL('lib/bundle/renderer.cjs', root));
await build({ ...common, banner: {}, entryPoints: ['lib/build/render-task.js'], outdir: undefined, outfile: renderer, format: 'cjs' });
const { loadScript, sealCodeCache, CODE_CACHE_SUFFIX } = await import(new URL('lib/build/code-cache.js', root).href);
rmSync(renderer + CODE_CACHE_SUFFIX, { force: true });
const loaded = loadScript(renderer);
await loaded.renderer.loadRenderer();
// Sealed with the digests of the source and of V8's bytes, which V8 itself does not check.
writeFileSync(renderer + CODE_CACHE_SUFFIX + '.tmp', sealCodeCache(loaded.source, loaded.script.createCachedData()));
renameSync(renderer + CODE_CACHE_SUFFIX + '.tmp', renderer + CODE_CACHE_SUFFIX);
