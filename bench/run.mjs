// Benchmark: whole-process build times and peak memory on generated corpora, and Hugo beside them.
//   npm run bench                      1k, 10k and 100k articles
//   npm run bench -- --sizes 1000,10000 --runs 5 [--republish-runs 20] [--hugo | --no-hugo]
//                    [--profile DIR] [--corpus-dir DIR] [--keep]
// Prints, per size: cold build (no cache), warm no-op build, warm build after one article is
// edited, in-process republish after one file changes (the publisher's path: cache in memory,
// the changed path from the watcher; --republish-runs of them, default 20), and peak RSS of the
// cold build. Times are medians. Builds make every feed with its RFC 5005 archive pages (the
// default); a note gives how many files that is and how many an edit rewrites.
// With `hugo` on the PATH (or --hugo), each round also builds the same articles with Hugo cold
// (bench/hugo/: the same feeds, without archives) and feedpipe with the same feeds (archives off)
// and with the site's feeds only, interleaved, and a second
// table gives the medians and the median of the per-round ratios to Hugo. --profile DIR writes a
// CPU profile of each thread of one more cold build per size into DIR/<size>/ and summarises it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CORPUS_VERSION, generateCorpus } from './corpus.mjs';
import { compareFeeds, hugoCold, hugoVersion, prepareHugoSite } from './hugo.mjs';
import { summariseDir } from './profile-summary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    runs: { type: 'string', default: '5' },
    'republish-runs': { type: 'string', default: '20' },
    keep: { type: 'boolean' },
    hugo: { type: 'boolean' },
    'no-hugo': { type: 'boolean' },
    profile: { type: 'string' },
    'corpus-dir': { type: 'string', default: os.tmpdir() },
  },
});
const sizes = values.sizes.split(',').map(Number);
const NOW = '2026-11-25T12:00:00Z';

if (!existsSync(path.join(root, 'lib', 'bundle', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const { build } = await import(path.join(root, 'lib', 'build', 'build.js'));
const { BuildCache } = await import(path.join(root, 'lib', 'incremental', 'cache.js'));
const { WorkerPool } = await import(path.join(root, 'lib', 'build', 'pool.js'));

const hugo = values['no-hugo'] ? undefined : hugoVersion();
if (values.hugo && !hugo) {
  console.error('--hugo: hugo is not on the PATH (apt-get install hugo)');
  process.exit(2);
}

// Runs the CLI in a fresh process and returns its wall time and peak RSS (from the child itself).
function runCli(dir, args, nodeFlags = []) {
  const wrapper = `const { runCli } = await import(${JSON.stringify(path.join(root, 'lib', 'bundle', 'cli.js'))});
    const code = await runCli(process.argv.slice(1), { stdout() {}, stderr: (t) => process.stderr.write(t) });
    const usage = process.resourceUsage();
    process.stdout.write(JSON.stringify({ code, maxRssKiB: usage.maxRSS, minorFaults: usage.minorPageFault }));`;
  const started = performance.now();
  const r = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', wrapper, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  if (out.code !== 0) throw new Error(`build exited ${out.code}: ${r.stderr}`);
  return { ms, rssMiB: out.maxRssKiB / 1024, faults: out.minorFaults };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mib = (x) => (x === undefined ? '—' : `${x.toFixed(0)} MiB`);

/** The corpus of `size` articles, generated again when missing or made by another version of corpus.mjs. */
function corpus(size) {
  const dir = path.join(values['corpus-dir'], `feedpipe-bench-${size}`);
  const marker = path.join(dir, '.generated');
  const [version, bytes] = existsSync(marker) ? readFileSync(marker, 'utf8').split(' ') : [];
  if (version !== `v${CORPUS_VERSION}`) {
    const r = generateCorpus(size, dir);
    writeFileSync(marker, `v${CORPUS_VERSION} ${r.bytes}`);
    return { dir, mb: r.bytes / 1e6 };
  }
  return { dir, mb: Number(bytes) / 1e6 };
}

/**
 * Cold and warm no-op builds, `runs` rounds. With Hugo, each round is: feedpipe cold with the site's
 * feeds only, feedpipe cold with all feeds, Hugo cold, feedpipe warm no-op, so that each ratio
 * compares runs made side by side. Leaves dist/ and the cache of an all-feeds build.
 */
function rounds(dir, runs, site) {
  const args = ['build', '--now', NOW];
  const siteOnlyArgs = [...args, '--config', 'feedpipe.site-only.config.yaml'];
  const hugoFeedsArgs = [...args, '--config', 'feedpipe.no-archives.config.yaml'];
  const clean = () => ['dist', '.feedpipe-cache'].forEach((d) => rmSync(path.join(dir, d), { recursive: true, force: true }));
  const r = { cold: [], noop: [], siteOnly: [], hugoFeeds: [], hugo: [], rss: 0, siteRss: 0, hugoFeedsRss: 0, hugoRss: undefined, faults: [] };
  for (let i = 0; i < runs; i++) {
    if (site) {
      clean();
      const s = runCli(dir, siteOnlyArgs);
      r.siteOnly.push(s.ms);
      r.siteRss = Math.max(r.siteRss, s.rssMiB);
      clean();
      const f = runCli(dir, hugoFeedsArgs);
      r.hugoFeeds.push(f.ms);
      r.hugoFeedsRss = Math.max(r.hugoFeedsRss, f.rssMiB);
    }
    clean();
    const c = runCli(dir, args);
    r.cold.push(c.ms);
    r.faults.push(c.faults);
    r.rss = Math.max(r.rss, c.rssMiB);
    if (site) {
      const h = hugoCold(site);
      r.hugo.push(h.ms);
      if (h.rssMiB !== undefined) r.hugoRss = Math.max(r.hugoRss ?? 0, h.rssMiB);
    }
    r.noop.push(runCli(dir, args).ms);
  }
  return r;
}

/** Warm builds after an edit of the newest public article, then in-process republishes of it. */
async function edits(dir, runs) {
  const args = ['build', '--now', NOW];
  // Edit the newest public article (it is in the main feed), as an author would.
  const report = await build({ cwd: dir, now: new Date(NOW), write: false, outDir: path.join(dir, 'dist') });
  const target = report.visible[0].source.absPath;
  const oldest = report.visible.at(-1).source.absPath;
  const original = readFileSync(target, 'utf8');
  const pages = report.feeds.filter((f) => f.archive);
  const files = { feeds: report.feeds.length - pages.length, pages: pages.length, files: report.feeds.length * 3 };
  const edit = [];
  for (let i = 0; i < runs; i++) {
    writeFileSync(target, original.replace(/\n$/, `\nCorrection ${i}.\n`));
    edit.push(runCli(dir, args).ms);
  }

  // The publisher's path: parsed site in memory, workers kept between builds, one file changes, republish.
  const cache = new BuildCache('');
  const workers = WorkerPool.create();
  // As `feedpipe start` builds: files as bytes in chunks, not kept as text in the report.
  const opts = { cwd: dir, now: new Date(NOW), keepFiles: false, ...(workers ? { workers } : {}) };
  await build({ ...opts, cache });
  // In-process republishes are cheap and noisy (fsync, GC): take more of them than of the process runs.
  const republish = [];
  for (let i = 0; i < Math.max(runs, Number(values['republish-runs'])); i++) {
    writeFileSync(target, original.replace(/\n$/, `\nUpdate ${i}.\n`));
    const started = performance.now();
    const r = await build({ ...opts, cache, changedPaths: [target] });
    republish.push(performance.now() - started);
    if (!r.ok || r.write.written.length === 0) throw new Error('republish wrote nothing');
    files.newest = r.write.written.filter((f) => !f.startsWith('.')).length;
  }
  writeFileSync(target, original);
  // An edit of the oldest article: the archive pages that hold it, and no subscription document.
  const old = readFileSync(oldest, 'utf8');
  writeFileSync(oldest, old.replace(/\n$/, '\nCorrection.\n'));
  const r = await build({ ...opts, cache, changedPaths: [oldest] });
  files.oldest = r.write.written.filter((f) => !f.startsWith('.')).length;
  writeFileSync(oldest, old);
  await build({ ...opts, cache, changedPaths: [target, oldest] });
  await workers?.close();
  runCli(dir, args);
  return { edit, republish, files };
}

/** One more cold build under `node --cpu-prof` (each worker thread writes its own profile). */
function profile(dir, size) {
  const out = path.resolve(values.profile, String(size));
  rmSync(out, { recursive: true, force: true });
  ['dist', '.feedpipe-cache'].forEach((d) => rmSync(path.join(dir, d), { recursive: true, force: true }));
  const r = runCli(dir, ['build', '--now', NOW], ['--cpu-prof', `--cpu-prof-dir=${out}`]);
  return [`profile of a cold build of ${size} (${fmt(r.ms)} under the profiler), in ${out}:`, ...summariseDir(out).map((l) => `  ${l}`)];
}

/** Rows of the Hugo table for one size: medians, and the median (min–max) of the per-round ratios. */
function hugoRows(size, r) {
  const ratio = (xs) => {
    const q = xs.map((x, i) => x / r.hugo[i]);
    return `${median(q).toFixed(2)}× (${Math.min(...q).toFixed(2)}–${Math.max(...q).toFixed(2)})`;
  };
  const row = (name, xs, rss) => [String(size).padEnd(8), name.padEnd(22), fmt(median(xs)).padEnd(10), fmt(median(r.hugo)).padEnd(10), ratio(xs).padEnd(20), rss].join(' ');
  return [
    row('cold, Hugo\'s feeds', r.hugoFeeds, `${mib(r.hugoFeedsRss)} / ${mib(r.hugoRss)}`),
    row('cold, + archives', r.cold, `${mib(r.rss)} / ${mib(r.hugoRss)}`),
    row('cold, site feeds only', r.siteOnly, `${mib(r.siteRss)} / ${mib(r.hugoRss)}`),
    row('warm no-op', r.noop, ''),
  ];
}

console.log(`feedpipe bench — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
if (!hugo) console.log(values['no-hugo'] ? 'hugo: off (--no-hugo)' : 'hugo: not on the PATH, Hugo rows skipped (apt-get install hugo)');
console.log('size     corpus    cold build   warm no-op   warm 1 edit   republish   peak RSS (cold)   page faults (cold)');
const hugoTable = [];
const notes = [];
for (const size of sizes) {
  const { dir, mb } = corpus(size);
  const runs = size >= 100_000 ? 1 : Number(values.runs);
  // The feeds Hugo's side makes (bench/hugo/): the site's, each section's and each tag's; no author feeds.
  const cfg = readFileSync(path.join(dir, 'feedpipe.config.yaml'), 'utf8').replace(/^feeds:\n(?!  authors: false\n)/m, 'feeds:\n  authors: false\n');
  writeFileSync(path.join(dir, 'feedpipe.config.yaml'), cfg);
  writeFileSync(path.join(dir, 'feedpipe.site-only.config.yaml'), cfg.replace(/^feeds:\n/m, 'feeds:\n  sections: false\n  tags: false\n  archives: false\n'));
  writeFileSync(path.join(dir, 'feedpipe.no-archives.config.yaml'), cfg.replace(/^feeds:\n/m, 'feeds:\n  archives: false\n'));
  const site = hugo ? prepareHugoSite(dir) : undefined;
  const r = rounds(dir, runs, site);
  if (site) {
    hugoTable.push(...hugoRows(size, r));
    notes.push(`${size}: ${compareFeeds(site, path.join(dir, 'dist'))}`);
  }
  const { edit, republish, files } = await edits(dir, runs);
  notes.push(
    `${size}: ${files.feeds} feeds and ${files.pages} archive pages, ${files.files.toLocaleString('en')} files; an edit rewrites ${files.newest} files (the newest article) or ${files.oldest} (the oldest)`,
  );
  console.log(
    [String(size).padEnd(8), `${mb.toFixed(0)} MB`.padEnd(9), fmt(median(r.cold)).padEnd(12), fmt(median(r.noop)).padEnd(12), fmt(median(edit)).padEnd(13), fmt(median(republish)).padEnd(11), mib(r.rss).padEnd(17), median(r.faults).toLocaleString('en')].join(' '),
  );
  if (values.profile) notes.push(...profile(dir, size));
  if (!values.keep) {
    ['dist', '.feedpipe-cache'].forEach((d) => rmSync(path.join(dir, d), { recursive: true, force: true }));
    if (site) ['public', 'cache', 'resources'].forEach((d) => rmSync(path.join(site, d), { recursive: true, force: true }));
  }
}
console.log('cold: no cache, no dist; warm: .feedpipe-cache and dist from the previous run; republish: in-process, cache and workers kept, changedPaths = the edited file.');
console.log('page faults: minor faults of the cold build (median): each is a fresh page touched, ~10 µs apiece on a VM (bench/page-touch.mjs), so memory is time there.');
if (hugo) {
  console.log(`\nvs Hugo ${hugo} (same articles, same feeds; interleaved rounds; medians; ratio = feedpipe/Hugo per round: median (min–max))`);
  console.log('size     build                  feedpipe   hugo cold  ratio                peak RSS feedpipe / hugo');
  for (const row of hugoTable) console.log(row);
}
for (const line of notes) console.log(line);
