// Benchmark: split + validate per file, in memory (no disk, no render), on generated articles.
//   node bench/parse.mjs [--count 10000] [--passes 7] [--lib lib]
// Two corpora: the sample site's style (flow lists, one-line author: the YAML fast path) and the
// Hugo/Jekyll style (tags as a block list, author as a nested map: the full YAML parser).
// Prints the median over passes of microseconds per file. `--lib` points at another compiled
// tree (e.g. main's lib/, copied aside) to compare before and after.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateArticle } from './corpus.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' }, passes: { type: 'string', default: '7' }, lib: { type: 'string', default: path.join(root, 'lib') } } });
const count = Number(values.count);
const passes = Number(values.passes);
const lib = path.resolve(values.lib);
const { splitSource } = await import(path.join(lib, 'content', 'load.js'));
const { validateArticle } = await import(path.join(lib, 'content', 'schema.js'));
const { configSchema } = await import(path.join(lib, 'config', 'config.js'));

const config = configSchema.parse({ site: { title: 'Bench Times', url: 'https://bench.example.com/', timezone: 'Europe/London', author: { name: 'Bench Desk' } } });

function corpus(blockStyle) {
  return Array.from({ length: count }, (_, i) => {
    const relPath = `${String(i % 100).padStart(2, '0')}/article-${i}.md`;
    return { buffer: Buffer.from(generateArticle(i, undefined, { blockStyle })), absPath: `/bench/content/${relPath}`, displayPath: `content/${relPath}`, relPath };
  });
}

function pass(files) {
  let failed = 0;
  const started = performance.now();
  for (const f of files) {
    const split = splitSource(f.buffer, f.absPath, f.displayPath, f.relPath);
    const result = split.source ? validateArticle(split.source, config) : split;
    if (!result.article) failed++;
  }
  const ms = performance.now() - started;
  if (failed) throw new Error(`${failed} articles failed to validate`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [name, blockStyle] of [['flow (fast path)', false], ['block lists, nested author', true]]) {
  const files = corpus(blockStyle);
  pass(files); // warm up: JIT, zod schema per timezone
  const times = Array.from({ length: passes }, () => pass(files));
  const us = (median(times) * 1000) / count;
  // The minimum is the least disturbed by other processes on a shared machine; both are printed.
  const best = (Math.min(...times) * 1000) / count;
  console.log(`${name.padEnd(28)} ${count} files  median ${us.toFixed(2)} µs/file  min ${best.toFixed(2)} µs/file  (ms per pass: ${times.map((t) => t.toFixed(0)).join(' ')})`);
}
