// Parses N generated articles (split + validate) with the compiled tree at LIB, once, for an
// instruction count under valgrind (repeatable, unlike CPU time on a shared machine):
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/parse-instructions.mjs LIB N
// Subtract the count for N=0 (start-up and warm-up) to get the cost of N files.
import path from 'node:path';
import { generateArticle } from './corpus.mjs';

const [lib, n] = [path.resolve(process.argv[2] ?? 'lib'), Number(process.argv[3] ?? 1000)];
const split = await import(path.join(lib, 'content', 'load.js')).catch(() => import(path.join(lib, 'content', 'split.js')));
const { validateArticle } = await import(path.join(lib, 'content', 'schema.js'));
const { configSchema } = await import(path.join(lib, 'config', 'config.js'));
const config = configSchema.parse({ site: { title: 'Bench Times', url: 'https://bench.example.com/', timezone: 'Europe/London' } });
// The same warm-up for every N: the first 200 files, so N=0 counts start-up and JIT alike.
const files = Array.from({ length: 200 + n }, (_, i) => Buffer.from(generateArticle(i)));
for (let i = 0; i < files.length; i++) {
  const rel = `a/${i}.md`;
  const { source } = split.splitSource(files[i], `/bench/content/${rel}`, `content/${rel}`, rel);
  if (!source || !validateArticle(source, config).article) throw new Error(`article ${i} did not validate`);
}
