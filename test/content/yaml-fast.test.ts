import { describe, expect, it } from 'vitest';
import { parseYamlFast } from '../../src/content/yaml-fast.js';
import { parseYaml } from '../../src/util/yaml.js';

/** What the full parser gives feedpipe (its options, warnings as errors); undefined when it reports anything. */
function full(text: string): unknown {
  const parsed = parseYaml(text, 'test.md');
  return parsed.diagnostics.length ? undefined : parsed.value;
}

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = [
  'plain', 'two words', 'Title: with colon', 'a:b', 'https://x.example/a?b=c#d', 'x #not', 'x#y', '-5', '-x', '- x', '?x', ':x', '0', '007', '+12', '0o17', '0x1F', '0xZZ',
  '1.5', '.5', '5.', '1e3', '-1.2E-3', '.inf', '-.Inf', '.NaN', '.nan.', 'true', 'True', 'TRUE', 'tRue', 'yes', 'no', 'on', 'null', 'Null', '~', 'NULL', 'nil',
  '2026-03-14', '2026-03-14T08:30:00+09:00', '12:30', '"quoted"', '"with \\"escape\\""', '"a, b"', "'single'", "'it''s'", "'bad'quote'", '"unterminated',
  '&anchor x', '*alias', '!tag x', '!!str 5', '|', '>', '[a, b]', '[]', '[a,, b]', '[a, b,]', '[a, [b]]', '{a: 1}', '{a: 1, b: "x, y"}', '{a:1}', '{}', '{a: 1, a: 2}',
  '[ "x" , y ]', '["C++ <t>", "R&D", Asia]', '{src: a.jpg, alt: "A lead"}', 'a\tb', 'trailing   ', '%x', '@x', '`x', 'Zoë "Z"', '日本', '😀', "x'y", 'x"y',
  '--', '---', '-.5', '-:x', '-: x', '?:', ':-', '-#x', '[-3, -x]', '[?x]', '[:x]', '{a: -1}', '[-]', '[- x]', '[--]', 'x\u0085y', 'x\u2028y',
  '[x: y]', '{a: [1]}', '{a: b: c}', '[a b, c]', '  leading', '"a" b', "'a' b", '-', '?', ':',
];
const KEYS = ['title', 'date', 'tags', 'draft', 'x_y', 'a-b', 'Title', '__proto__', 'constructor', '1abc', 'with space', '', 'null', 'NULL', 'True', 'false', 'nan', 'y'];

/** The same value, and the same key order (JSON text), or a message saying how they differ. */
function expectSame(fast: unknown, text: string): void {
  const expected = full(text);
  expect(fast, JSON.stringify(text)).toEqual(expected);
  expect(JSON.stringify(fast), JSON.stringify(text)).toBe(JSON.stringify(expected));
}

type Random = () => number;

/**
 * Block-shaped frontmatter as sites write it (lists, nested maps, block scalars) and, through
 * `mutate`, its near misses. Each generator returns its lines; `kinds` records which shapes a
 * document holds, so the test can require hits per shape.
 */
function blockDocs(random: Random) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const chance = (p: number) => random() < p;
  const pad = (n: number) => ' '.repeat(n);
  const SAFE = ['plain', 'Reporter 7', 'two words', '-3', '-x', '--', '"quoted: yes"', "'it''s'", '42', '-3', '1.5', 'true', 'null', '~', '"007"', "'true'", '2026-03-14', 'R&D', 'x#y', 'a:b', '日本'];
  // A clean document uses only what sites write; the others draw odd values and shapes too.
  let clean = false;
  const atom = () => (clean || chance(0.75) ? pick(SAFE) : pick(ATOMS));
  const key = () => (clean || chance(0.9) ? pick(['name', 'email', 'url', 'src', 'alt', 'tags', 'bio', 'title', 'x_y']) : pick(KEYS));
  const TEXT = ['First line of text.', 'second: line', 'more words here', '# not a comment', '- not an item', 'tail  ', '日本語', 'quote "x" and \'y\''];
  const ODD_TEXT = [...TEXT, 'with\ttab', '\ttab first', 'cr\rhere', 'ls\u2028here', 'nel\u0085here', 'ctl\u0001here', '\u00a0nbsp first'];

  const text = () => (clean ? pick(TEXT) : pick(ODD_TEXT));
  function item(indent: number): string[] {
    const r = random() * (clean ? 0.9 : 1);
    if (r < 0.5) return [`${pad(indent)}- ${atom()}`];
    if (r < 0.6) return [`${pad(indent)}- {name: ${pick(SAFE)}, url: ${pick(SAFE)}}`];
    if (r < 0.65) {
      const block = scalarBlock(indent);
      return [`${pad(indent)}- ${block.header}`, ...block.lines];
    }
    if (r < 0.7) return [`${pad(indent)}- ${pick(SAFE)}`, ...folded(indent, false).slice(1)];
    if (r < 0.9) {
      const inner = indent + 2;
      const rest = Array.from({ length: Math.floor(random() * 3) }, () => `${pad(inner)}${key()}: ${atom()}`);
      return [`${pad(indent)}- ${key()}: ${atom()}`, ...rest];
    }
    return [pick([`${pad(indent)}-`, `${pad(indent)}- `, `${pad(indent)}-x`, `${pad(indent)}- - a`, `${pad(indent)}- # c`, `${pad(indent)}-   spaced`])];
  }
  function seq(indent: number): string[] {
    const at = indent + pick([0, 0, 2, 2, 2, 4, 1]);
    return Array.from({ length: 1 + Math.floor(random() * 4) }, () => item(at)).flat();
  }
  function scalarBlock(indent: number): { header: string; lines: string[] } {
    const header = pick(['|', '>', '|-', '>-', '|+', '>+', '|  ', ...(clean ? [] : ['|2', '>1-', '| # c'])]);
    const at = indent + pick([2, 2, 1, 4]);
    const lines: string[] = [];
    for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
      const r = random();
      if (r < 0.15) lines.push('');
      else if (r < 0.25) lines.push(pad(Math.floor(random() * (at + 3))));
      else if (r < 0.4) lines.push(`${pad(at + pick([1, 2, 4]))}${text()}`);
      else lines.push(`${pad(at)}${text()}`);
    }
    return { header, lines };
  }
  function map(indent: number, depth: number, kinds: Set<string>): string[] {
    const at = indent + pick([2, 2, 2, 4, 1, 3]);
    return Array.from({ length: 1 + Math.floor(random() * 3) }, () => entry(at, depth + 1, kinds)).flat();
  }
  function entry(indent: number, depth: number, kinds: Set<string>): string[] {
    const k = `${pad(indent)}${key()}:`;
    const r = random();
    if (r < 0.3 || depth > 2) return [`${k} ${atom()}`];
    if (r < 0.45) return kinds.add('list'), [k, ...seq(indent)];
    if (r < 0.58) return kinds.add('map'), [k, ...map(indent, depth, kinds)];
    if (r < 0.75) {
      const block = scalarBlock(indent);
      kinds.add(block.header[0] === '|' ? 'literal' : 'folded');
      return [`${k} ${block.header}`, ...block.lines];
    }
    if (r < 0.9) {
      const quote = pick(['', '', '"', "'"]);
      kinds.add(quote ? 'quoted lines' : 'plain lines');
      const [first, ...rest] = folded(indent, quote);
      return [`${k} ${first}`, ...rest];
    }
    return [k];
  }
  /** A plain or quoted scalar folded over more-indented lines, with blank ones between. */
  function folded(indent: number, quote: string | false): string[] {
    const WORDS = ['wraps over', 'several lines', 'R&D 2.0', '42', 'true', "it''s", ...(clean ? [] : ['- dash', '# hash', 'a: b', 'end" x', '"', "'", '\tt', '{x}', '[y]', '&a', '*b', '!t', '|', '>'])];
    const at = indent + (clean ? pick([1, 2, 4]) : pick([0, 1, 2, 4]));
    const lines = [`${quote || ''}${pick(['A long', 'Title', '1', '-x'])}${pick(['', ' ', '  '])}`];
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) lines.push(chance(0.2) ? pad(Math.floor(random() * (at + 2))) : `${pad(at + pick([0, 0, 1]))}${pick(WORDS)}${pick(['', ' '])}`);
    if (quote) lines[lines.length - 1] += clean || chance(0.7) ? quote : '';
    return lines;
  }
  const MUTATIONS: ((lines: string[], i: number) => void)[] = [
    (l, i) => (l[i] = ' ' + l[i]),
    (l, i) => (l[i] = l[i]!.replace(/^ /, '')),
    (l, i) => (l[i] = l[i]!.replace(/^( *)/, '$1\t')),
    (l, i) => (l[i] = l[i] + pick([' # c', '  ', ' ', '\t'])),
    (l, i) => l.splice(i, 0, pad(Math.floor(random() * 6)) + pick(['# c', '-', '- ', '', '\t', ' \t', 'k: v', '- k: v', '---', '...'])),
    (l, i) => l.splice(i, 1),
    (l, i) => l.splice(i, 0, l[i]!),
    (l, i) => (l[i] = l[i]!.replace(/:( .*)?$/, ':')),
  ];
  return (): { text: string; kinds: Set<string>; clean: boolean } => {
    const kinds = new Set<string>();
    clean = chance(0.5);
    const lines = Array.from({ length: 1 + Math.floor(random() * 5) }, () => (chance(0.1) ? [pick(['# c', '', '  '])] : entry(0, 0, kinds))).flat();
    if (!clean) for (let n = 1 + Math.floor(random() * 2); n > 0 && lines.length; n--) pick(MUTATIONS)(lines, Math.floor(random() * lines.length));
    return { text: lines.join('\n') + pick(clean ? ['\n'] : ['\n', '', '\n\n', ' ']), kinds, clean };
  }
}

describe('parseYamlFast', () => {
  it('agrees with the yaml package on every one-line document it accepts', () => {
    const random = rng(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const lines: string[] = [];
      const count = 1 + Math.floor(random() * 5);
      for (let i = 0; i < count; i++) {
        const r = random();
        if (r < 0.05) lines.push('# comment');
        else if (r < 0.07) lines.push('');
        else if (r < 0.08) lines.push(pick(['  ', '\t', ' \t', '\u00a0', '\f', '\u2028', '\ufeff']));
        else if (r < 0.1) lines.push(`  ${pick(KEYS)}: ${pick(ATOMS)}`);
        else if (r < 0.12) lines.push(`${pick(KEYS)}:`);
        else lines.push(`${pick(KEYS)}: ${pick(ATOMS)}`);
      }
      const text = lines.join('\n') + (random() < 0.5 ? '\n' : '');
      const fast = parseYamlFast(text);
      if (fast === undefined) continue;
      accepted++;
      expectSame(fast, text);
    }
    // The fast path must actually carry most simple documents, or it is not worth having.
    expect(accepted).toBeGreaterThan(1500);
  });

  it('agrees with the yaml package on block lists, nested maps, block scalars and their near misses', () => {
    const next = blockDocs(rng(Number(process.env.YAML_FAST_SEED ?? 7)));
    const seen = new Map<string, number>();
    const hits = new Map<string, number>();
    let oddHits = 0;
    for (let n = 0; n < Number(process.env.YAML_FAST_DOCS ?? 30_000); n++) {
      const { text, kinds, clean } = next();
      const fast = parseYamlFast(text);
      if (clean) for (const k of kinds) seen.set(k, (seen.get(k) ?? 0) + 1);
      if (fast === undefined) continue;
      expectSame(fast, text);
      if (!clean) oddHits++;
      else for (const k of kinds) hits.set(k, (hits.get(k) ?? 0) + 1);
    }
    // Every shape is carried often (a fast path that always says undefined fails here), and near misses get through to the check above.
    for (const kind of ['list', 'map', 'literal', 'folded', 'plain lines', 'quoted lines']) expect(hits.get(kind) ?? 0, kind).toBeGreaterThan((seen.get(kind) ?? 0) * 0.35);
    expect(oddHits).toBeGreaterThan(1000);
  });
  it('takes the shapes feedpipe articles use', () => {
    const text = 'title: "Allies agree: a joint command"\ndate: 2026-03-14T08:30:00+09:00\nsection: World\ntags: [Defense, "Asia-Pacific", R&D]\ndraft: false\nimage: {src: images/a.jpg, alt: "Four ministers"}\nsummary: Ministers met.\n';
    expect(parseYamlFast(text)).toEqual(full(text));
    expect(parseYamlFast(text)).toBeDefined();
  });

  it('takes the shapes Hugo, Jekyll, Eleventy and Astro sites write', () => {
    const docs = [
      // Hugo: tags and categories as indented block lists, a folded description.
      'title: "Release 2.0"\ndate: 2024-05-01T10:00:00Z\ndraft: false\ntags:\n  - release\n  - "2.0"\ncategories:\n  - news\ndescription: >-\n  A long description that\n  wraps over two lines.\n',
      // Jekyll: a list at the key's own indentation, a nested author, a literal excerpt kept with its blank line.
      'layout: post\ntitle: Welcome to a title\n  hard-wrapped over lines\ntags:\n- jekyll\n- update\nauthor:\n  name: Jane Doe\n  email: jane@example.com\n  url: https://example.com/\nexcerpt: |\n  First paragraph.\n\n  Second paragraph,\n    indented more.\n',
      // Eleventy/Astro: a list of authors as maps, a flow list inside a nested map, keep chomping at the end.
      'title: Notes\nauthors:\n  - name: A. Writer\n    email: a@example.com\n  - B. Writer\n  - {name: C, url: https://c.example/}\nimage:\n  src: ./cover.jpg\n  alt: "A cover: blue"\n  sizes: [320, 640]\nsummary: |+\n  Ends with two line breaks.\n\n',
    ];
    for (const text of docs) {
      const fast = parseYamlFast(text);
      expect(fast, text).toBeDefined();
      expectSame(fast, text);
    }
  });

  it('leaves everything else to the full parser', () => {
    for (const text of ['authors:\n  -\n  - B\n', 'title: |2\n  block\n', 'title: >\n\tblock\n', 'tags:\n  - a\n  # c\n  - b\n',  'summary: one\n  two: three\n', 'summary: one\n  # two\n', 'title: "one\n  two" more\n', 'title: "esc \\u0041"\n', 'a: &x 1\nb: *x\n', 'title: x # comment\n', 'a: 1\na: 2\n', '__proto__: {x: 1}\n']) {
      expect(parseYamlFast(text), text).toBeUndefined();
    }
  });
});
