// Time to first response of `feedpipe serve` on a generated site.
//   node bench/serve-start.mjs [--articles 2000] [--runs 5] [--lib DIR]
// Builds a site of N articles once (kept in the system's temp folder), then, run by run, starts
// `lib/bundle/cli.js serve --port 0` as a fresh process and prints the medians of: spawn to the
// "serving … at URL" line, spawn to the first 200 for /feed.xml, and that line to the response;
// what node itself costs of that: spawn to the exit of `node -e 0` (node's start-up), and of a
// node that only imports what `serve` loads of lib/bundle/ (start-up and module loading); then, in this
// process, createFeedServer: from reload() (not awaited: the server listens at once) to the first
// response, to the end of the first load, and to every file answering in brotli. --lib points at
// another build's lib/ (e.g. a checkout of main) to compare; a server from before listening first
// is given its reload() before it listens, as it needed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateCorpus } from './corpus.mjs';

const { values } = parseArgs({ options: { articles: { type: 'string', default: '2000' }, runs: { type: 'string', default: '5' }, lib: { type: 'string' } } });
const lib = path.resolve(values.lib ?? fileURLToPath(new URL('../lib', import.meta.url)));
const count = Number(values.articles);
const runs = Number(values.runs);
const NOW = '2026-11-25T12:00:00Z';

const dir = path.join(os.tmpdir(), `feedpipe-serve-start-${count}`);
const marker = path.join(dir, '.built');
if (!existsSync(marker)) {
  generateCorpus(count, dir);
  const { build } = await import(pathToFileURL(path.join(lib, 'build', 'build.js')).href);
  const report = await build({ cwd: dir, now: new Date(NOW) });
  if (!report.ok) throw new Error('the generated site does not build');
  writeFileSync(marker, '');
}
const manifest = JSON.parse(readFileSync(path.join(dir, 'dist', '.feedpipe-manifest.json'), 'utf8'));
const bytes = manifest.files.reduce((n, rel) => n + readFileSync(path.join(dir, 'dist', rel)).length, 0);

function get(port, p, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: p, headers, method, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'] }));
      })
      .on('error', reject)
      .end();
  });
}

/** One `feedpipe serve` process: ms from spawn to its "serving" line and to the first response. */
function cliRun() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(lib, 'bundle', 'cli.js'), 'serve', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let asked = false;
    child.stdout.on('data', async (chunk) => {
      out += chunk;
      const url = /serving .* at (http:\/\/\S+)/.exec(out)?.[1];
      if (!url || asked) return;
      asked = true;
      const listening = performance.now();
      const r = await get(new URL(url).port, '/feed.xml').catch(reject);
      const answered = performance.now();
      child.kill('SIGTERM');
      child.once('exit', () => resolve({ line: listening - started, first: answered - started, afterLine: answered - listening, status: r?.status }));
    });
    child.once('error', reject);
  });
}

/** ms from spawning `node ...args` to its exit. */
function nodeRun(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
}
const nodeStart = () => nodeRun(['-e', '0']);
// Imported, cli.js runs no command (it runs one only as the main module); serve's own chunk, if the bundle is split, is imported too.
const bundleDir = path.join(lib, 'bundle');
const serveModules = ['cli.js', ...readdirSync(bundleDir).filter((f) => /^serve-command-.*\.js$/.test(f))].map((f) => pathToFileURL(path.join(bundleDir, f)).href);
const bundleLoad = () => nodeRun(['--input-type=module', '-e', serveModules.map((u) => `await import(${JSON.stringify(u)});`).join('')]);

/** In this process: reload() and listen, then the first response, the end of the first load, and until every file answers in br. */
async function inProcessRun() {
  const { createFeedServer } = await import(pathToFileURL(path.join(lib, 'serve', 'server.js')).href);
  const server = createFeedServer({ outDir: path.join(dir, 'dist') });
  const started = performance.now();
  const listensFirst = typeof server.listed === 'function';
  const loading = server.reload().then(() => performance.now() - started);
  if (!listensFirst) await loading;
  const { port } = await server.listen(0, '127.0.0.1');
  const r = await get(port, '/feed.xml', { 'accept-encoding': 'br' });
  const first = performance.now() - started;
  const reloaded = await loading;
  let pending = manifest.files.filter((rel) => /\.(xml|json|html|xsl)$/.test(rel));
  while (pending.length) {
    const answers = await Promise.all(pending.map((rel) => get(port, '/' + rel, { 'accept-encoding': 'br' }, 'HEAD')));
    pending = pending.filter((_, i) => answers[i].encoding !== 'br');
    if (pending.length) await new Promise((res) => setTimeout(res, 25));
  }
  const compressed = performance.now() - started;
  await server.close();
  return { reloaded, first, compressed, status: r.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`feedpipe serve, time to first response — ${count} articles, ${manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB; ${os.cpus().length} cores, node ${process.version}; ${lib}`);
const cli = [];
const inProcess = [];
const bare = [];
const loaded = [];
for (let i = 0; i < runs; i++) {
  cli.push(await cliRun());
  bare.push(await nodeStart());
  loaded.push(await bundleLoad());
  inProcess.push(await inProcessRun());
}
if ([...cli, ...inProcess].some((r) => r.status !== 200)) throw new Error('a first response was not 200');
console.log(`feedpipe serve (process): spawn → "serving" ${ms(median(cli.map((r) => r.line)))}, spawn → first response ${ms(median(cli.map((r) => r.first)))} ("serving" → response ${ms(median(cli.map((r) => r.afterLine)))})`);
console.log(`node alone: spawn → exit of "node -e 0" ${ms(median(bare))}, of a node that imports what serve loads of the bundle ${ms(median(loaded))}`);
console.log(`createFeedServer (in process): reload() → first response ${ms(median(inProcess.map((r) => r.first)))}, → first load done ${ms(median(inProcess.map((r) => r.reloaded)))}, → every file in br ${ms(median(inProcess.map((r) => r.compressed)))}`);
console.log(`medians of ${runs} runs; each: ${cli.map((r) => Math.round(r.first)).join(', ')} ms (process), ${inProcess.map((r) => Math.round(r.first)).join(', ')} ms (in process)`);
