// What `start --watch` costs on a large content folder: the periodic scan (list + stat of every
// file, ms per scan), the watcher's start (CPU, memory) and the CPU of an idle minute.
//   npm run build && node --expose-gc bench/watch.mjs [--files 10000] [--scans 30] [--idle 30]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateCorpus } from './corpus.mjs';

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, scans: { type: 'string', default: '30' }, idle: { type: 'string', default: '30' } } });
const files = Number(values.files);
const dir = `/tmp/feedpipe-watch-bench-${files}`;
generateCorpus(files, dir);
const contentDir = path.join(dir, 'content');
const configFile = path.join(dir, 'feedpipe.config.yaml');
const { watchSources } = await import(new URL('../lib/start/watch.js', import.meta.url).href);
const { startSweep, SCAN_EVERY_MS } = await import(new URL('../lib/start/sweep.js', import.meta.url).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (from) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};
const mb = (n) => (n / 1048576).toFixed(1);
const heap = () => (globalThis.gc?.(), process.memoryUsage());

// 1. The scan alone: its timers are run here, so one scan is its period's timer and then its slices.
let armed = [];
const timers = { setTimeout: (fn, ms) => (armed.push({ fn, ms }), armed.length), clearTimeout: () => undefined };
let found = 0;
startSweep({ contentDir, configFile, timers, everyMs: SCAN_EVERY_MS, onFound: () => found++ });
const wall = [];
const cpu = [];
const slices = [];
let nextWait = 0;
for (let i = 0; i < Number(values.scans); i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  let n = 0;
  for (;;) {
    const { fn } = armed.shift();
    n++;
    fn();
    if (armed[0].ms !== 0) break; // the scan is done: the next one is armed
  }
  wall.push(performance.now() - t);
  cpu.push(cpuMs(c));
  slices.push(n);
  nextWait = armed[0].ms;
}
if (found) throw new Error(`nothing changed, yet the scan found ${found}`);
console.log(
  `scan of ${files} files in 100 folders: median ${median(wall).toFixed(1)} ms (max ${Math.max(...wall).toFixed(1)}), CPU median ${median(cpu).toFixed(1)} ms, ` +
    `in ${slices[0]} timer turns, over ${wall.length} scans; next scan armed ${nextWait.toFixed(0)} ms later (period ${SCAN_EVERY_MS} ms)`,
);

// 2. The watcher and the scan together, as `start --watch` runs them.
const before = heap();
let c = process.cpuUsage();
let t = performance.now();
const reported = [];
let settledAt;
const stop = watchSources({
  contentDir,
  outDir: path.join(dir, 'dist'),
  configFile,
  cwd: dir,
  debounceMs: 150,
  timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) },
  onChange: (f) => reported.push(f),
  onSettled: () => (settledAt = performance.now()),
  warn: (m) => console.log(`warning: ${m}`),
});
const sync = performance.now() - t;
// The watcher is ready once an edit in the last folder it reads is reported.
const probe = path.join(contentDir, '99', `article-${files - 1}.md`);
for (let n = 0; ; n++) {
  writeFileSync(probe, `---\ntitle: Probe ${n}\ndate: 2020-01-01\n---\n`);
  await new Promise((r) => setTimeout(r, 50));
  if (reported.includes(probe)) break;
}
const ready = performance.now() - t;
const startCpu = cpuMs(c);
await new Promise((r) => setTimeout(r, 500));
const after = heap();
console.log(
  `watcher on ${files} files: watchSources returned in ${sync.toFixed(0)} ms (the first scan), events flowing after ${ready.toFixed(0)} ms, ` +
    `CPU ${startCpu.toFixed(0)} ms; heap +${mb(after.heapUsed - before.heapUsed)} MB, rss +${mb(after.rss - before.rss)} MB`,
);

// 3. An edit: reported, then settled (the debounce).
reported.length = 0;
settledAt = undefined;
t = performance.now();
writeFileSync(path.join(contentDir, '42', 'article-42.md'), '---\ntitle: Edited\ndate: 2020-01-01\n---\n');
while (settledAt === undefined) await new Promise((r) => setTimeout(r, 5));
console.log(`an edit settled ${(settledAt - t).toFixed(0)} ms after the write (debounce 150 ms); reported: ${reported.map((f) => path.relative(contentDir, f)).join(', ')}`);

// 4. Idle: nothing changes; the scan runs every SCAN_EVERY_MS.
c = process.cpuUsage();
t = performance.now();
await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
const idle = cpuMs(c);
const idleWall = performance.now() - t;
console.log(`idle ${(idleWall / 1000).toFixed(0)} s with the scan every ${SCAN_EVERY_MS} ms: CPU ${idle.toFixed(0)} ms (${((100 * idle) / idleWall).toFixed(2)} % of one core)`);
stop();
