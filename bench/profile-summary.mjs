// Summarises V8 CPU profiles (node --cpu-prof writes one .cpuprofile per thread, workers included):
// per file, the time sampled, in garbage collection and idle, and the functions with the most self time.
//   node bench/profile-summary.mjs DIR [--top 12]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Self time of each node of a profile, in ms. A sample's time is the gap to the next sample (as
 * Chrome's DevTools count it); the last sample gets none.
 */
function selfTimes(profile) {
  const ms = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let k = 0; k < samples.length - 1; k++) ms.set(samples[k], (ms.get(samples[k]) ?? 0) + timeDeltas[k + 1] / 1000);
  return ms;
}

/** The totals and the `top` functions by self time of one profile (functions keyed by name, file and line). */
export function summariseProfile(profile, top = 12) {
  const self = selfTimes(profile);
  const byFunction = new Map();
  let total = 0;
  let gc = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    if (t === 0) continue;
    total += t;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(garbage collector)') gc += t;
    if (functionName === '(idle)') idle += t;
    if (functionName === '(idle)' || functionName === '(garbage collector)') continue;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    const entry = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, ms: 0 };
    entry.ms += t;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
  return { total, gc, idle, busy: total - idle, functions };
}

/** `CPU.20261206.094747.27290.1.002.cpuprofile` → `pid 27290 thread 1` (thread 0 is the main thread). */
function threadLabel(file) {
  const m = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/.exec(file);
  if (!m) return file;
  return m[2] === '0' ? `pid ${m[1]} main thread` : `pid ${m[1]} worker thread ${m[2]}`;
}

/** Lines summarising every .cpuprofile in `dir`, main threads first. */
export function summariseDir(dir, top = 12) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => {
    const tid = (f) => Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(f)?.[1] ?? 0);
    return tid(a) - tid(b) || a.localeCompare(b);
  });
  const lines = [];
  for (const file of files) {
    const s = summariseProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), top);
    const pct = (ms) => (s.busy > 0 ? (100 * ms) / s.busy : 0).toFixed(1).padStart(5);
    lines.push(`${threadLabel(file)} (${file}): ${s.total.toFixed(0)} ms sampled, ${s.gc.toFixed(0)} ms GC, ${s.idle.toFixed(0)} ms idle`);
    for (const f of s.functions) lines.push(`  ${f.ms.toFixed(0).padStart(6)} ms ${pct(f.ms)}%  ${f.name}  ${f.where}`);
  }
  if (files.length === 0) lines.push(`no .cpuprofile files in ${dir}`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '12' } } });
  if (positionals.length !== 1) {
    console.error('usage: node bench/profile-summary.mjs DIR [--top 12]');
    process.exit(2);
  }
  console.log(`self time; % of each thread's busy time (sampled − idle); GC and idle are not in the list`);
  for (const line of summariseDir(positionals[0], Number(values.top))) console.log(line);
}
