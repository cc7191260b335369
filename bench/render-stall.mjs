// Does a pathological Markdown file stall the publisher or the server? For each shape, runs the real
// `feedpipe start --serve` (the bundle) on a site of that file, an article already out and one due a
// few seconds after start; probes /feed.xml every 100 ms; prints when the due article appeared in
// /feed.xml after its time, the slowest probe, how many probes took 100 ms or more and how many got
// no answer, and
// what the log said of the file.
//   node bench/render-stall.mjs [--cli lib/bundle/cli.js] [--shapes links,table,…] [--due 3] [--cap 60]
// --cap: seconds after the due time to give up waiting (an older feedpipe renders some shapes for minutes).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { cli: { type: 'string', default: path.join(root, 'lib', 'bundle', 'cli.js') }, shapes: { type: 'string' }, due: { type: 'string', default: '3' }, cap: { type: 'string', default: '60' } },
  // Imported for SHAPES by other scripts, whose arguments are not these.
  strict: false,
  allowPositionals: true,
});

/** The shapes of the issue, at the sizes it measured, and each just under the 5 MiB limit. */
export const SHAPES = {
  none: () => 'An ordinary body.',
  links: () => '[a]('.repeat(80_000),
  table: () => '| a | b |\n|---|---|\n' + '| x | y |\n'.repeat(50_000),
  quotes: () => '>'.repeat(10_000) + ' deep\n',
  emphasis: () => '*a'.repeat(100_000),
  brackets: () => '['.repeat(100_000),
  lists: () => Array.from({ length: 10_000 }, (_, i) => ' '.repeat(2 * Math.min(i, 60)) + '- item').join('\n'),
  'list-items': () => '- item\n'.repeat(50_000),
  'quote-lines': () => Array.from({ length: 20_000 }, (_, i) => '> '.repeat(1 + (i % 60)) + 'line').join('\n'),
  'links-5MiB': () => '[a]('.repeat(1_300_000),
  'plain-3MiB': () => 'Plain words in a paragraph that goes on and on.\n\n'.repeat(64_000),
};

function get(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

async function measure(shape) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-stall-'));
  mkdirSync(path.join(dir, 'content'));
  const due = Math.ceil((Date.now() + Number(values.due) * 1000) / 1000) * 1000;
  const write = (name, title, date, body) => writeFileSync(path.join(dir, 'content', name), `---\ntitle: ${title}\ndate: ${date}\n---\n${body}\n`);
  write('old.md', 'Already out', '2026-01-01T00:00:00Z', 'Body.');
  write('due.md', 'Embargo lifts', new Date(due).toISOString(), 'Body.');
  write('shape.md', shape, '2026-01-02T00:00:00Z', SHAPES[shape]());
  writeFileSync(path.join(dir, 'feedpipe.config.yaml'), 'site:\n  title: Stall\n  url: https://stall.example.com/\n');
  const child = spawn(process.execPath, [values.cli, 'start', '--serve', '--port', '0', '--log-format', 'json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const events = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  let port;
  while (!(port = events().find((e) => e.event === 'serve')?.url)) await new Promise((r) => setTimeout(r, 20));
  port = Number(new URL(port).port);
  const probes = [];
  let seen;
  const end = due + Number(values.cap) * 1000;
  for (let next = Date.now(); Date.now() < end && (seen === undefined || Date.now() < seen + 1000); next += 100) {
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    const t = performance.now();
    const r = await get(port, '/feed.xml');
    probes.push({ ms: performance.now() - t, status: r.status });
    if (seen === undefined && r.body.includes('Embargo lifts')) seen = Date.now();
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const said = events().find((e) => e.event === 'diagnostic' && e.file === 'content/shape.md');
  // A 404 before the start build has published is an answer; no answer (status 0) is a failure.
  const slow = probes.filter((p) => p.ms >= 100).length;
  const failed = probes.filter((p) => p.status === 0).length;
  return { shape, delayMs: seen === undefined ? `> ${values.cap} s` : seen - due, probes: probes.length, slowest: Math.round(Math.max(...probes.map((p) => p.ms))), over100: `${slow}/${failed}`, said: said ? `${said.code} ${said.line}:${said.column}` : 'published' };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`feedpipe render-stall — ${values.cli}; due ${values.due} s after start; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  console.log('shape          due article late by   probes  slowest  >=100ms/none  the file');
  for (const shape of values.shapes ? values.shapes.split(',') : Object.keys(SHAPES)) {
    const r = await measure(shape);
    console.log([shape.padEnd(14), String(typeof r.delayMs === 'number' ? `${r.delayMs} ms` : r.delayMs).padEnd(21), String(r.probes).padEnd(7), `${r.slowest} ms`.padEnd(8), String(r.over100).padEnd(15), r.said].join(' '));
  }
}
