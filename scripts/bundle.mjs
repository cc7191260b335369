// Bundles the compiled CLI and its worker into lib/bundle/ (run after tsc; part of `npm run build`).
// One file loads in a fraction of the time of the ~200 modules it replaces (Node 20 has no
// module compile cache): a one-off `feedpipe build` starts ~0.2 s sooner, a worker thread too.
// What a command imports only when it runs (commands.ts) is split into chunks beside it, so
// `feedpipe serve` loads neither the build's stages nor their packages: it answers sooner.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
// The cache key's record of the packages, taken from those this bundle is made of (src/version.ts).
const { dependencyVersions } = await import(new URL('lib/util/version.js', root).href);
const dependencies = dependencyVersions(fileURLToPath(new URL('lib/util/version.js', root)));
// Chunk names change with their content: none of an earlier build's may linger.
rmSync(new URL('lib/bundle', root), { recursive: true, force: true });
await build({
  absWorkingDir: fileURLToPath(root),
  entryPoints: { cli: 'lib/cli/main.js', worker: 'lib/build/worker.js' },
  outdir: 'lib/bundle',
  bundle: true,
  // Chunks stay in lib/bundle/, beside the worker: src/build/pool.ts finds it as ./worker.js.
  splitting: true,
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
});
