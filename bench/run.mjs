// Benchmark: whole-process build times and peak memory on generated corpora.
//   npm run bench                      1k, 10k and 100k articles
//   npm run bench -- --sizes 1000,10000 --runs 5 [--republish-runs 20]
// Prints, per size: cold build (no cache), warm no-op build, warm build after one article is
// edited, in-process republish after one file changes (the publisher's path: cache in memory,
// the changed path from the watcher; --republish-runs of them, default 20), and peak RSS of the
// cold build. Times are medians.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CORPUS_VERSION, generateCorpus } from './corpus.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '1000,10000,100000' }, runs: { type: 'string', default: '5' }, 'republish-runs': { type: 'string', default: '20' }, keep: { type: 'boolean' } },
});
const sizes = values.sizes.split(',').map(Number);
const NOW = '2026-11-25T12:00:00Z';

if (!existsSync(path.join(root, 'lib', 'bundle', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const { build } = await import(path.join(root, 'lib', 'build', 'build.js'));
const { BuildCache } = await import(path.join(root, 'lib', 'incremental', 'cache.js'));
const { WorkerPool } = await import(path.join(root, 'lib', 'build', 'pool.js'));

// Runs the CLI in a fresh process and returns its wall time and peak RSS (from the child itself).
function runCli(dir, args) {
  const wrapper = `const { runCli } = await import(${JSON.stringify(path.join(root, 'lib', 'bundle', 'cli.js'))});
    const code = await runCli(process.argv.slice(1), { stdout() {}, stderr: (t) => process.stderr.write(t) });
    process.stdout.write(JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS }));`;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', wrapper, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  if (out.code !== 0) throw new Error(`build exited ${out.code}: ${r.stderr}`);
  return { ms, rssMiB: out.maxRssKiB / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

console.log(`feedpipe bench — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log('size     corpus    cold build   warm no-op   warm 1 edit   republish   peak RSS (cold)');
for (const size of sizes) {
  const dir = path.join(os.tmpdir(), `feedpipe-bench-${size}`);
  const marker = path.join(dir, '.generated');
  // A corpus made by another version of corpus.mjs (or before it had versions) is made again.
  if (!existsSync(marker) || readFileSync(marker, 'utf8').split(' ')[0] !== `v${CORPUS_VERSION}`) {
    const { bytes } = generateCorpus(size, dir);
    writeFileSync(marker, `v${CORPUS_VERSION} ${bytes}`);
  }
  const mb = Number(readFileSync(marker, 'utf8').split(' ')[1]) / 1e6;
  const runs = size >= 100_000 ? 1 : Number(values.runs);
  const args = ['build', '--now', NOW];
  const clean = () => ['dist', '.feedpipe-cache'].forEach((d) => rmSync(path.join(dir, d), { recursive: true, force: true }));

  const cold = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    clean();
    const r = runCli(dir, args);
    cold.push(r.ms);
    rss = Math.max(rss, r.rssMiB);
  }
  const noop = [];
  for (let i = 0; i < runs; i++) noop.push(runCli(dir, args).ms);

  // Edit the newest public article (it is in the main feed), as an author would.
  const report = await build({ cwd: dir, now: new Date(NOW), write: false, outDir: path.join(dir, 'dist') });
  const target = report.visible[0].source.absPath;
  const original = readFileSync(target, 'utf8');
  const edit = [];
  for (let i = 0; i < runs; i++) {
    writeFileSync(target, original.replace(/\n$/, `\nCorrection ${i}.\n`));
    edit.push(runCli(dir, args).ms);
  }

  // The publisher's path: parsed site in memory, workers kept between builds, one file changes, republish.
  const cache = new BuildCache('');
  const workers = WorkerPool.create();
  const opts = { cwd: dir, now: new Date(NOW), ...(workers ? { workers } : {}) };
  await build({ ...opts, cache });
  // In-process republishes are cheap and noisy (fsync, GC): take more of them than of the process runs.
  const republish = [];
  for (let i = 0; i < Math.max(runs, Number(values['republish-runs'])); i++) {
    writeFileSync(target, original.replace(/\n$/, `\nUpdate ${i}.\n`));
    const started = performance.now();
    const r = await build({ ...opts, cache, changedPaths: [target] });
    republish.push(performance.now() - started);
    if (!r.ok || r.write.written.length === 0) throw new Error('republish wrote nothing');
  }
  writeFileSync(target, original);
  await workers?.close();
  runCli(dir, args);
  console.log(
    [String(size).padEnd(8), `${mb.toFixed(0)} MB`.padEnd(9), fmt(median(cold)).padEnd(12), fmt(median(noop)).padEnd(12), fmt(median(edit)).padEnd(13), fmt(median(republish)).padEnd(11), `${rss.toFixed(0)} MiB`].join(' '),
  );
  if (!values.keep) clean();
}
console.log('cold: no cache, no dist; warm: .feedpipe-cache and dist from the previous run; republish: in-process, cache and workers kept, changedPaths = the edited file.');
