// Deterministic corpus generator for benchmarks: news articles in the shape of the sample site.
//   node bench/corpus.mjs <count> <dir>
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function rng(seed) {
  // mulberry32: small, fast, and the same sequence on every machine.
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = `the alliance ministers agreed joint command regional security defence officials statement markets
growth inflation central bank rates investors bonds currency trade exports energy climate research scientists
laboratory results study patients hospital election voters parliament coalition budget minister spending
reform court ruling judges appeal city council housing transport rail airport port shipping supply chain
factory workers union strike wages talks negotiators ceasefire border refugees aid agency water drought
harvest farmers prices festival museum exhibition artists film director novel prize audience season
league match coach players stadium record quarter profits shares company chief executive board merger
technology software chips data privacy regulators internet network satellite launch mission orbit`.split(/\s+/);
const SECTIONS = ['World', 'Business', 'Science', 'Culture', 'Politics', 'Technology', 'Sport', 'Health'];
const TAGS = Array.from({ length: 40 }, (_, i) => ['Asia', 'Europe', 'Africa', 'Americas', 'Markets', 'Energy', 'Climate', 'R&D', 'Elections', 'Courts'][i % 10] + (i >= 10 ? ` ${Math.floor(i / 10)}` : ''));

/**
 * One article. `blockStyle` writes tags as a YAML block list and the author as a nested map, as
 * Hugo and Jekyll sites do; the random draws are the same either way.
 */
export function generateArticle(i, random = rng(i + 1), { blockStyle = false } = {}) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const sentence = (n) => {
    const w = Array.from({ length: n }, () => pick(WORDS));
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    return w.join(' ') + '.';
  };
  const paragraph = () => Array.from({ length: 4 + Math.floor(random() * 3) }, () => sentence(8 + Math.floor(random() * 10))).join(' ');
  const year = 2015 + Math.floor(random() * 11);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const roll = random();
  const future = roll < 0.01;
  const draft = roll >= 0.01 && roll < 0.03;
  const date = future ? `${2031 + (i % 5)}-0${1 + (i % 9)}-1${i % 10}T09:00:00Z` : `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(6 + Math.floor(random() * 16)).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}`;
  const tags = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TAGS)))];
  const body = [];
  body.push(paragraph());
  body.push(`See the [earlier report](../article-${(i + 7) % 1000}/) and the [official statement](https://www.example.org/statements/${i}).`);
  body.push(paragraph());
  body.push(`## ${sentence(5).slice(0, -1)}`);
  body.push(paragraph());
  body.push(`![Chart ${i}](images/chart-${i}.png)`);
  body.push(Array.from({ length: 4 }, () => `- ${sentence(7)}`).join('\n'));
  body.push(`> ${sentence(14)} said a spokesperson.`);
  body.push(paragraph());
  body.push(paragraph());
  body.push(`Background: [archive](/archive/${year}/) and [data](https://data.example.org/set/${i}.csv). ${paragraph()}`);
  body.push(paragraph());
  body.push(paragraph());
  body.push(paragraph());
  const fm = [
    '---',
    `title: "${sentence(8).slice(0, -1).replace(/"/g, '')}"`,
    `date: ${date}`,
    `section: ${pick(SECTIONS)}`,
    blockStyle ? `tags:\n${tags.map((t) => `  - ${JSON.stringify(t)}`).join('\n')}` : `tags: [${tags.map((t) => JSON.stringify(t)).join(', ')}]`,
    `summary: "${sentence(20)}"`,
    blockStyle ? `author:\n  name: Reporter ${i % 50}\n  email: reporter${i % 50}@example.com` : `author: Reporter ${i % 50}`,
    `image: {src: images/lead-${i}.jpg, alt: "Lead image ${i}"}`,
    ...(draft ? ['draft: true'] : []),
    '---',
  ];
  return fm.join('\n') + '\n' + body.join('\n\n') + '\n';
}

/** Bumped whenever generateCorpus writes something else: bench/run.mjs rebuilds a corpus of another version. */
export const CORPUS_VERSION = 2;

export function generateCorpus(count, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'content'), { recursive: true });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, 'content', String(i % 100).padStart(2, '0'));
    if (i < 100) mkdirSync(sub, { recursive: true });
    // Every second article in the block shape Hugo and Jekyll sites write (the draws are the same).
    const text = generateArticle(i, undefined, { blockStyle: i % 2 === 1 });
    bytes += Buffer.byteLength(text);
    writeFileSync(path.join(sub, `article-${i}.md`), text);
  }
  writeFileSync(
    path.join(dir, 'feedpipe.config.yaml'),
    'site:\n  title: Bench Times\n  url: https://bench.example.com/\n  timezone: Europe/London\n  author: {name: Bench Desk}\npermalink: /{yyyy}/{mm}/{slug}/\nfeeds:\n  limit: 50\n',
  );
  return { count, bytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [count = '1000', dir = `/tmp/feedpipe-corpus-${count}`] = process.argv.slice(2);
  const r = generateCorpus(Number(count), dir);
  console.log(`${r.count} articles, ${(r.bytes / 1e6).toFixed(1)} MB in ${dir}`);
}
