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
  '[x: y]', '{a: [1]}', '{a: b: c}', '[a b, c]', '  leading', '"a" b', "'a' b", '-', '?', ':',
];
const KEYS = ['title', 'date', 'tags', 'draft', 'x_y', 'a-b', 'Title', '__proto__', 'constructor', '1abc', 'with space', '', 'null', 'NULL', 'True', 'false', 'nan', 'y'];

describe('parseYamlFast', () => {
  it('agrees with the yaml package on every document it accepts', () => {
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
      expect(fast, JSON.stringify(text)).toEqual(full(text));
    }
    // The fast path must actually carry most simple documents, or it is not worth having.
    expect(accepted).toBeGreaterThan(1500);
  });

  it('takes the shapes feedpipe articles use', () => {
    const text = 'title: "Allies agree: a joint command"\ndate: 2026-03-14T08:30:00+09:00\nsection: World\ntags: [Defense, "Asia-Pacific", R&D]\ndraft: false\nimage: {src: images/a.jpg, alt: "Four ministers"}\nsummary: Ministers met.\n';
    expect(parseYamlFast(text)).toEqual(full(text));
    expect(parseYamlFast(text)).toBeDefined();
  });

  it('leaves everything else to the full parser', () => {
    for (const text of ['authors:\n  - A\n  - B\n', 'title: |\n  block\n', 'title: "esc \\u0041"\n', 'a: &x 1\nb: *x\n', 'title: x # comment\n', 'a: 1\na: 2\n', '__proto__: {x: 1}\n']) {
      expect(parseYamlFast(text), text).toBeUndefined();
    }
  });
});
