import { describe, expect, it } from 'vitest';
import { findLimitBreach, LIMITS } from '../../src/content/limits.js';

/** An article with a bit of everything: headings, emphasis, links, a quote, lists, a table, code. */
const ordinary = [
  '## Talks resume',
  'Ministers *met* in **Tokyo** on Monday, [the agency said](https://a.example/x) in a ~~short~~ statement.',
  '> "We agreed," one said. > Another [link][r] and _more_ emphasis.',
  '- one\n- two\n  - nested [a](b)\n- three',
  '1. first\n2. second',
  '| Country | Troops |\n|---|--:|\n| A | 1 000 |\n| B | *2 000* |',
  '```js\nconst a = b * c[0];\n```',
  '[r]: https://r.example/',
].join('\n\n');

describe('findLimitBreach', () => {
  it.each([
    // [name, body just over the limit, limit, line, column]
    ['[a]( repeated', 'Intro.\n\n' + '[a]('.repeat(80_000), 'brackets', 3, 250 * 4 + 1],
    ['[ alone', '['.repeat(100_000), 'brackets', 1, 501],
    ['unclosed emphasis', '*a'.repeat(100_000), 'emphasisRuns', 1, 1001],
    ['strikethrough', '~~a'.repeat(1000), 'emphasisRuns', 1, 1501],
    // The header is row 1, the delimiter row none.
    ['a long table', '| a | b |\n|---|---|\n' + '| x | y |\n'.repeat(50_000), 'tableRows', LIMITS.tableRows + 2, 1],
    ['a long list', '- item\n'.repeat(50_000), 'listItems', LIMITS.listItems + 1, 1],
    ['quotes deep on many lines', Array.from({ length: 2000 }, () => '> '.repeat(40) + 'x').join('\n'), 'nestedLines', 501, 1],
  ])('refuses %s at the place it passes the limit', (_, body, limit, line, column) => {
    expect(findLimitBreach(body)).toMatchObject({ limit, line, column, message: expect.stringContaining(LIMITS[limit as keyof typeof LIMITS].toLocaleString('en')) });
  });

  it.each([
    ['links in a paragraph', '[a](b) '.repeat(250)],
    ['emphasis in a paragraph', '*a* '.repeat(250)],
    ['a table', '| a | b |\n|---|---|\n' + '| x | y |\n'.repeat(LIMITS.tableRows - 1)],
    ['a list', '- item\n'.repeat(LIMITS.listItems)],
  ])('lets %s just under the limit through', (_, body) => {
    expect(findLimitBreach(body)).toBeUndefined();
  });

  it('counts per paragraph, not per article: many ordinary paragraphs pass', () => {
    expect(findLimitBreach(('Some *emphasis*, a [link](https://x.example/) and **more**.\n\n').repeat(5000))).toBeUndefined();
    expect(findLimitBreach((ordinary + '\n\n').repeat(20))).toBeUndefined();
  });

  it('does not count code, escaped characters or table cells as paragraph text', () => {
    expect(findLimitBreach('```\n' + 'int *p = *q; a[i] = b[j];\n'.repeat(1000) + '```\n')).toBeUndefined();
    expect(findLimitBreach('~~~c\n' + '- not a list item\n'.repeat(3000) + '~~~\n')).toBeUndefined();
    expect(findLimitBreach('\\['.repeat(5000))).toBeUndefined();
    expect(findLimitBreach('| a | b |\n|---|---|\n' + '| *x* [y] | *z* |\n'.repeat(1000))).toBeUndefined();
  });

  it('is one cheap pass: a body of 5 MiB is looked at in well under a second', () => {
    const body = 'Plain words in a paragraph that goes on and on.\n\n'.repeat(100_000);
    const started = performance.now();
    expect(findLimitBreach(body)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
