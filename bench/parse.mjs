// Benchmark: split + validate per file, in memory (no disk, no render), on generated articles.
//   node bench/parse.mjs [--count 10000] [--passes 9] [--lib lib] [--compare OTHER_LIB] [--only flow|block]
// Two corpora: the sample site's style (flow lists, one-line author: the YAML fast path) and the
// Hugo/Jekyll style (tags as a block list, author as a nested map; the fast path reads both now).
// Prints CPU microseconds per file (median and minimum over passes): CPU time, not wall time, as
// other processes on a shared machine stretch wall time far more than the work. `--compare` loads a second
// compiled tree (e.g. main's lib/, copied aside next to a node_modules) into the same process and
// alternates passes between the two, so both see the same load on a shared machine.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { alternate, median, pairRatio } from './alternate.mjs';
import { generateArticle } from './corpus.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, passes: { type: 'string', default: '9' }, lib: { type: 'string', default: path.join(root, 'lib') }, compare: { type: 'string' }, only: { type: 'string' } },
});
const count = Number(values.count);
const passes = Number(values.passes);

async function load(lib) {
  const dir = path.resolve(lib);
  const { splitSource } = await import(path.join(dir, 'content', 'split.js'));
  const { validateArticle } = await import(path.join(dir, 'content', 'schema.js'));
  const { configSchema } = await import(path.join(dir, 'config', 'config.js'));
  const config = configSchema.parse({ site: { title: 'Bench Times', url: 'https://bench.example.com/', timezone: 'Europe/London', author: { name: 'Bench Desk' } } });
  return { name: dir, splitSource, validateArticle, config };
}
const trees = [await load(values.lib), ...(values.compare ? [await load(values.compare)] : [])];

function corpus(blockStyle) {
  return Array.from({ length: count }, (_, i) => {
    const relPath = `${String(i % 100).padStart(2, '0')}/article-${i}.md`;
    return { buffer: Buffer.from(generateArticle(i, undefined, { blockStyle })), absPath: `/bench/content/${relPath}`, displayPath: `content/${relPath}`, relPath };
  });
}

function pass(tree, files) {
  let failed = 0;
  const started = process.cpuUsage();
  for (const f of files) {
    const split = tree.splitSource(f.buffer, f.absPath, f.displayPath, f.relPath);
    const result = split.source ? tree.validateArticle(split.source, tree.config) : split;
    if (!result.article) failed++;
  }
  const used = process.cpuUsage(started);
  const ms = (used.user + used.system) / 1000;
  if (failed) throw new Error(`${failed} articles failed to validate`);
  return ms;
}

for (const [name, blockStyle] of [['flow (fast path)', false], ['block lists, nested author', true]].filter(([, b]) => !values.only || values.only === (b ? 'block' : 'flow'))) {
  const files = corpus(blockStyle);
  // The warm-up pass also builds the zod schema per timezone.
  const times = alternate(trees, passes, (tree) => pass(tree, files));
  trees.forEach((tree, t) => {
    // The minimum is the least disturbed by other processes on a shared machine; both are printed.
    const us = (x) => ((x * 1000) / count).toFixed(2);
    console.log(`${name.padEnd(28)} ${tree.name}\n  ${count} files  median ${us(median(times[t]))} µs/file  min ${us(Math.min(...times[t]))} µs/file  (ms per pass: ${times[t].map((x) => x.toFixed(0)).join(' ')})`);
  });
  if (trees.length === 2) console.log(`  ratio second/first, pass by pass: median ${pairRatio(times).toFixed(3)}`);
}
