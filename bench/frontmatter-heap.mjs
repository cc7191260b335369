// Heap of a long-running publisher's frontmatter parsing: gray-matter caches every string it
// parsed when called without options, so a publisher re-reading edited files would grow forever.
//   node --expose-gc bench/frontmatter-heap.mjs [--count 10000] [--edits 1000] [--bare] [--lib lib]
// Parses --count generated articles and keeps them (as the publisher keeps its articles), then
// parses --edits edited versions of them in place; prints heap used after a full GC at the start,
// after the first pass and after the edits. --bare also calls gray-matter as its README does,
// matter(text), on every file: the contrast the cache makes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import matter from 'gray-matter';
import { generateArticle } from './corpus.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' }, edits: { type: 'string', default: '1000' }, bare: { type: 'boolean' }, lib: { type: 'string', default: path.join(root, 'lib') } } });
const count = Number(values.count);
const edits = Number(values.edits);
const lib = path.resolve(values.lib);
const { splitSource } = await import(path.join(lib, 'content', 'load.js'));
const { validateArticle } = await import(path.join(lib, 'content', 'schema.js'));
const { configSchema } = await import(path.join(lib, 'config', 'config.js'));
const config = configSchema.parse({ site: { title: 'Bench Times', url: 'https://bench.example.com/', timezone: 'Europe/London' } });

const heapMB = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 1e6;
};
const articles = new Array(count);
function parse(i, text) {
  if (values.bare) matter(text);
  const relPath = `${String(i % 100).padStart(2, '0')}/article-${i}.md`;
  const { source } = splitSource(Buffer.from(text), `/bench/content/${relPath}`, `content/${relPath}`, relPath);
  const { article } = validateArticle(source, config);
  if (!article) throw new Error(`article ${i} did not validate`);
  // The publisher keeps articles without their bodies (the renderer re-reads the file).
  articles[i] = { ...article, source: { ...article.source, body: undefined } };
}

const cacheSize = () => Object.keys(matter.cache).length;
const start = heapMB();
for (let i = 0; i < count; i++) parse(i, generateArticle(i, undefined, { blockStyle: i % 2 === 1 }));
const first = heapMB();
const cachedAfterFirst = cacheSize();
for (let e = 0; e < edits; e++) {
  const i = (e * 7919) % count;
  const text = generateArticle(i, undefined, { blockStyle: i % 2 === 1 }).replace(/\n\n/, `\n\nEdited ${e}: a correction was added.\n\n`);
  parse(i, text);
}
const edited = heapMB();
console.log(`gray-matter ${values.bare ? 'also called bare, matter(text)' : 'as feedpipe calls it'}: ${count} articles, then ${edits} edits`);
console.log(`heap used after GC  start ${start.toFixed(1)} MB  after first pass ${first.toFixed(1)} MB  after edits ${edited.toFixed(1)} MB  (edits: ${(edited - first >= 0 ? '+' : '') + (edited - first).toFixed(1)} MB)`);
console.log(`entries in matter.cache  after first pass ${cachedAfterFirst}  after edits ${cacheSize()}`);
