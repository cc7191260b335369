// npm run bench:serve — load test of the feed server on loopback, with autocannon.
// Prints requests per second and p99 latency for 200 (gzip) and 304 (If-None-Match)
// responses, errors, status counts, and the server's memory after GC around the runs;
// then a run during which the site is republished repeatedly, checking that every
// response body is one complete published version. Exits non-zero on any failure.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../lib/build/build.js';

const AMOUNT = Number(process.env.BENCH_REQUESTS ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const repo = fileURLToPath(new URL('..', import.meta.url));
const root = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-bench-'));
await cp(path.join(repo, 'content'), path.join(root, 'content'), { recursive: true });
await cp(path.join(repo, 'feedpipe.config.yaml'), path.join(root, 'feedpipe.config.yaml'));
const first = await build({ cwd: root, now: new Date('2026-11-25T12:00:00Z') });
if (!first.ok) throw new Error('the sample site does not build');

const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [root], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const waiters = new Map();
const published = new Set();
let reloads = 0;
const timings = { build: 0, reload: 0 };
child.on('message', (msg) => {
  if (msg.type === 'log') console.log('server:', msg.message);
  if (msg.type === 'published') published.add(msg.sha);
  if (msg.type === 'reloaded') {
    reloads += msg.ok ? 1 : 0;
    timings.build += msg.buildMs;
    timings.reload += msg.ms;
  }
  waiters.get(msg.type)?.(msg);
});
const next = (type) => new Promise((resolve) => waiters.set(type, resolve));
const { port } = await next('ready');
const memory = async () => {
  const wait = next('memory');
  child.send({ type: 'memory' });
  return wait;
};
const get = (p, headers) =>
  new Promise((resolve, reject) =>
    http.get({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject),
  );
const sha = (b) => createHash('sha256').update(b).digest('hex');
published.add(sha((await get('/feed.xml', {})).body));
const gzEtag = (await get('/feed.xml', { 'accept-encoding': 'gzip' })).headers.etag;

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
let failed = false;
async function run(name, headers, expected, extra = {}) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/feed.xml`, connections: CONNECTIONS, amount: AMOUNT, headers, ...extra });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count]));
  const unexpected = result.requests.total - (statuses[expected] ?? 0);
  const ok = result.errors === 0 && result.timeouts === 0 && unexpected === 0 && result.requests.total >= AMOUNT;
  failed ||= !ok;
  console.log(
    `${name.padEnd(26)} ${result.requests.total} requests in ${result.duration.toFixed(1)} s: ${Math.round(result.requests.average)} req/s, ` +
      `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors}, timeouts ${result.timeouts}, statuses ${JSON.stringify(statuses)}${ok ? '' : '  FAILED'}`,
  );
  return result;
}

console.log(`feed server on 127.0.0.1:${port}, ${os.cpus().length} cores, node ${process.version}; ${AMOUNT} requests per run over ${CONNECTIONS} connections; GET /feed.xml (${first.files.get('feed.xml').length} bytes)`);
await autocannon({ url: `http://127.0.0.1:${port}/feed.xml`, connections: CONNECTIONS, amount: 5000, headers: { 'accept-encoding': 'gzip' } });
const before = await memory();
await run('200 gzip', { 'accept-encoding': 'gzip' }, '200');
const between = await memory();
await run('304 If-None-Match', { 'accept-encoding': 'gzip', 'if-none-match': gzEtag }, '304');
const after = await memory();

// Republishing during load: every body must be one whole published version of feed.xml.
// One publish at a time, as the publisher does: rebuild (in the server's process, as `start --serve`
// does), reload, then a pause of a second — far more often than any newsroom publishes.
const seen = new Set();
let loading = true;
const publisher = (async () => {
  while (loading) {
    const done = next('reloaded');
    child.send({ type: 'republish' });
    await done;
    await new Promise((r) => setTimeout(r, 1000));
  }
})();
await run('200 during republishes', {}, '200', {
  verifyBody: (body) => {
    seen.add(sha(Buffer.from(body, 'utf8')));
    return true;
  },
});
loading = false;
await publisher;
const torn = [...seen].filter((s) => !published.has(s));
failed ||= torn.length > 0 || reloads === 0;
const final = await memory();
console.log(
  `republishes during the run: ${reloads} (build ${Math.round(timings.build / reloads)} ms, reload ${Math.round(timings.reload / reloads)} ms on average), ` +
    `${seen.size} distinct versions of feed.xml served, ${torn.length} not a complete published version${torn.length ? '  FAILED' : ''}`,
);
console.log(`server memory after GC: rss ${mb(before.rss)} → ${mb(between.rss)} → ${mb(after.rss)} (after 2×${AMOUNT} requests), heap ${mb(before.heapUsed)} → ${mb(between.heapUsed)} → ${mb(after.heapUsed)}; after the republish run: rss ${mb(final.rss)}, heap ${mb(final.heapUsed)}`);
const growth = after.heapUsed - before.heapUsed;
if (growth > 5 * 1024 * 1024) {
  failed = true;
  console.log(`heap grew by ${mb(growth)} over the two runs  FAILED`);
}
child.send({ type: 'stop' });
await new Promise((r) => child.once('exit', r));
await rm(root, { recursive: true, force: true });
console.log(failed ? 'bench:serve FAILED' : 'bench:serve ok');
process.exitCode = failed ? 1 : 0;
