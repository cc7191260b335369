// The frontmatter fast path: how often it answers, and what the frontmatter parse costs per file.
//   node bench/frontmatter.mjs [--count 10000] [--passes 15] [--lib lib] [--compare OTHER_LIB]
// Hit rate (files whose frontmatter the fast path read, without the full YAML parser) on the bench
// corpus in both shapes and on every .md file under test/ and content/; then CPU microseconds per
// file of parseFrontmatter (fast path, else full parse) over each corpus's frontmatter, median
// over passes. `--compare` loads a second compiled tree (e.g. main's lib/, copied aside next
// to a node_modules) and alternates passes with it, so both see the same load on a shared machine.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { alternate, median, pairRatio } from './alternate.mjs';
import { generateArticle } from './corpus.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, passes: { type: 'string', default: '15' }, lib: { type: 'string', default: path.join(root, 'lib') }, compare: { type: 'string' } },
});
const count = Number(values.count);
const passes = Number(values.passes);

async function load(lib) {
  const dir = path.resolve(lib);
  const { splitSource, parseFrontmatter } = await import(path.join(dir, 'content', 'split.js'));
  return { name: dir, splitSource, parseFrontmatter };
}
const trees = [await load(values.lib), ...(values.compare ? [await load(values.compare)] : [])];

function markdownFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** Splits each file; counts those with frontmatter the engine parsed, and those the fast path read. */
function hitRate(tree, files) {
  let parsed = 0;
  let hits = 0;
  const misses = [];
  for (const { buffer, name } of files) {
    const source = tree.splitSource(buffer, `/${name}`, name, name).source;
    if (!source?.frontmatter.trim()) continue;
    parsed++;
    if (source.parsed && !source.parsed.yaml) hits++;
    else misses.push(name);
  }
  return { parsed, hits, misses };
}

const corpus = (blockStyle) => Array.from({ length: count }, (_, i) => ({ name: `article-${i}.md`, buffer: Buffer.from(generateArticle(i, undefined, { blockStyle })) }));
const flow = corpus(false);
const block = corpus(true);
const fixtures = ['test', 'content'].flatMap((d) => markdownFiles(path.join(root, d))).map((f) => ({ name: path.relative(root, f), buffer: readFileSync(f) }));

for (const tree of trees) {
  console.log(tree.name);
  for (const [label, files] of [['corpus, flow style', flow], ['corpus, block style', block], ['test/ and content/ .md', fixtures]]) {
    const r = hitRate(tree, files);
    const shown = r.misses.length && label.endsWith('.md') ? `  misses: ${r.misses.join(' ')}` : '';
    console.log(`  ${label.padEnd(24)} ${r.hits}/${r.parsed} = ${((100 * r.hits) / r.parsed).toFixed(1)}%${shown}`);
  }
}

function pass(tree, texts) {
  const started = process.cpuUsage();
  let sink = 0;
  for (const text of texts) sink += tree.parseFrontmatter(text, 'bench.md', 1).value ? 1 : 0;
  const used = process.cpuUsage(started);
  if (sink !== texts.length) throw new Error('a frontmatter block did not parse');
  return (used.user + used.system) / texts.length;
}
for (const [label, files] of [['block', block], ['flow', flow]]) {
  const texts = files.map((f) => trees[0].splitSource(f.buffer, `/${f.name}`, f.name, f.name).source.frontmatter);
  const times = alternate(trees, passes, (tree) => pass(tree, texts));
  console.log(`parseFrontmatter, ${label}-style corpus (${texts.length} files, ${passes} passes, CPU time):`);
  trees.forEach((tree, t) => console.log(`  ${tree.name}: median ${median(times[t]).toFixed(2)} µs/file  min ${Math.min(...times[t]).toFixed(2)}`));
  if (trees.length === 2) console.log(`  ratio second/first, pass by pass: median ${pairRatio(times).toFixed(2)}`);
}
