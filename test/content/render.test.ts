import { remark } from 'remark';
import remarkGfm from 'remark-gfm';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.js';
import { splitSource } from '../../src/content/split.js';
import { autolinkPassGuarded, processorFor, renderArticle, summarize, SUMMARY_MAX } from '../../src/content/render.js';
import { validateArticle } from '../../src/content/schema.js';
import { findExcessiveNesting, MAX_NESTING } from '../../src/content/nesting.js';
import { baseConfig } from '../helpers/site.js';

const config = configSchema.parse(baseConfig);

function render(body: string, extra = '') {
  const text = `---\ntitle: A\ndate: 2025-03-14T08:30:00Z\n${extra}---\n${body}`;
  const { source } = splitSource(Buffer.from(text), '/c/world/alliance.md', 'content/world/alliance.md', 'world/alliance.md');
  const { article, diagnostics } = validateArticle(source!, config);
  if (!article) throw new Error(JSON.stringify(diagnostics));
  return renderArticle(article);
}

describe('renderArticle', () => {
  it('makes every relative link and image absolute against the article URL', () => {
    const { html } = render('[up](../other/) [root](/about/) [frag](#notes) ![c](chart.png)\n\n[ref][r]\n\n[r]: ./doc.pdf\n');
    expect(html).toContain('href="https://news.example.com/2025/03/other/"');
    expect(html).toContain('href="https://news.example.com/about/"');
    expect(html).toContain('href="https://news.example.com/2025/03/alliance/#notes"');
    expect(html).toContain('src="https://news.example.com/2025/03/alliance/chart.png"');
    expect(html).toContain('href="https://news.example.com/2025/03/alliance/doc.pdf"');
    expect(html).not.toMatch(/(href|src)="(?!https:\/\/|mailto:)/);
  });

  it('keeps http, https and mailto links and drops every other scheme with a warning', () => {
    const { html, diagnostics } = render(
      '[a](https://a.example/) [m](mailto:desk@example.com) [j](javascript:alert(1)) [J](JaVaScRiPt:alert(1)) [d](data:text/html,x) [v](vbscript:x) ![i](data:image/png;base64,AAA) ![f](file:///etc/passwd)\n',
    );
    expect(html).toContain('href="https://a.example/"');
    expect(html).toContain('href="mailto:desk@example.com"');
    expect(html).not.toMatch(/javascript|data:|vbscript|file:/i);
    // The link text survives; the link does not.
    expect(html).toContain('>a</a> <a href="mailto:desk@example.com">m</a> j J d v');
    expect(diagnostics.filter((d) => d.code === 'unsafe-url-removed')).toHaveLength(6);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', file: 'content/world/alliance.md', line: 5 });
  });

  it('removes raw HTML, scripts and event handlers', () => {
    const { html, diagnostics } = render('<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> <iframe src="https://evil.example/"></iframe>\n');
    expect(html).not.toMatch(/<script|onerror|<iframe/i);
    expect(diagnostics.some((d) => d.code === 'raw-html-removed')).toBe(true);
  });

  it('renders GFM tables, footnotes, lists and quotes', () => {
    const { html } = render('| a | b |\n|---|---|\n| 1 | 2 |\n\nClaim.[^1]\n\n[^1]: Source.\n\n- one\n- two\n\n> Quote\n');
    expect(html).toContain('<table>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('<blockquote>');
    expect(html).toMatch(/<section[^>]*class="footnotes"/);
  });

  it('keeps footnote links pointing at their footnotes, as absolute URLs', () => {
    const { html } = render('Claim.[^1]\n\n[^1]: Source.\n');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    const ids = [...html.matchAll(/id="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBe(2);
    for (const href of hrefs) {
      expect(href.startsWith('https://news.example.com/2025/03/alliance/#')).toBe(true);
      expect(ids).toContain(href.split('#')[1]);
    }
  });

  it('puts the lead image first, escaped', () => {
    const { html } = render('Body', 'image: {src: "lead.jpg", alt: "A \\"quoted\\" <alt>"}\n');
    expect(html.startsWith('<figure><img src="https://news.example.com/2025/03/alliance/lead.jpg" alt="A &quot;quoted&quot; &lt;alt&gt;"></figure>')).toBe(true);
  });

  it('derives the summary from the first paragraph as plain text', () => {
    expect(render('## Heading\n\nThe **first** [paragraph](x) here.\n\nSecond.\n').summary).toBe('The first paragraph here.');
    expect(render('Body', 'summary: Given standfirst\n').summary).toBe('Given standfirst');
  });

  it('cuts long summaries at a word with an ellipsis', () => {
    const s = summarize('word '.repeat(200));
    expect(s.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(s.endsWith('word…')).toBe(true);
  });
});

describe('hostile Markdown', () => {
  it.each([
    ['blockquotes', '>'.repeat(100_000) + ' deep\n', 7],
    ['chained list markers', '- '.repeat(50_000) + 'deep\n', 7],
    // Indentation passes 256 columns at the 129th item.
    ['indented lists', Array.from({ length: 300 }, (_, i) => ' '.repeat(i * 2) + '- x').join('\n') + '\n', 7 + 129],
  ])('refuses %s nested beyond 64 levels quickly, naming the line', async (_, body, line) => {
    const { build } = await import('../../src/build/build.js');
    const { makeSite, baseConfig } = await import('../helpers/site.js');
    const site = await makeSite({ 'ok.md': '---\ntitle: Fine\ndate: 2025-01-01\n---\n> > one\n\n- a\n  - b\n', 'deep.md': `---\ntitle: Deep\ndate: 2025-01-01\n---\nIntro.\n\n${body}` });
    const started = performance.now();
    const report = await build({ config: baseConfig, contentDir: site.contentDir, write: false, cwd: site.root });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toMatchObject([{ code: 'nesting-too-deep', file: 'content/deep.md', line }]);
  });
});

describe('the parsers without the constructs a body cannot use (no "@": no e-mail autolinks; no delimiter row: no tables) and without the literal-autolink transform where no text can hold one', () => {
  // Pieces that exercise every inline construct near the autolink literals: www/http(s) literals,
  // links, emphasis, footnotes, tables, code, escapes and character references (an `&#64;` is not
  // an `@` in the body, but is one in the text the transform reads; so are `&#58;` and `&#119;`).
  const pieces = [
    'word', 'Word', 'foo_bar', 'x.y', 'www.example.com', 'WWW.Example.org/path?q=1.', 'https://a.example/b_(c)', 'http://x.example',
    'HTTPS://Y.EXAMPLE/', 'wwwx', 'www.', 'mailto:desk', 'xmpp:room', 'a&#64;b.example', '&amp;', '\\*', '[link](https://l.example/)',
    'http&#58;//e.example', 'ww&#119;.e.example', '[www.in-link.example](https://l.example/)', '`www.code.example`', '*https://em.example*',
    '[ref][r]', '![img](pic.png)', '<https://auto.example/>', '*em*', '**strong**', '_u_', '~~del~~', '`code`', '[^1]', '(', ')', '[', ']',
    '.', ',', '-', '+', '_', '~', '*', '"', "'", ' ', ' ', ' ', '\n', '\n\n', '\n> ', '\n- ', '\n1. ',
    '\n[r]: ./doc\n', '\n[^1]: Note www.n.example.\n', '\n```\ncode www.c.example\n```\n', '\n    indented http://i.example\n', 'ÿ', '日本',
    '\n---\n', '\n- - -\n', '\n***\n', 'a:b', '\t', '\n  ',
  ];
  const emails = ['desk@news.example', 'a.b+c@x-y.example.org', '@', 'x@', 'mailto:d@e.example'];
  // Delimiter rows (with or without pipes, in quotes and lists), table rows, and near misses.
  const tables = [
    '\n| a | b |\n|---|---|\n| c | d |\n', '\na\n:-\n', '\na\n-:\n', '\na | b\n-|-\n', '\n> a | b\n> --|--\n', '\n- a | b\n  --|--\n',
    '\n|-\n', '|', ':', ':-', '-|-', ' | ', '\n:--:\n', '\n> :-\n', '\n\t|-|\n', '\n- -|\n',
  ];
  it('gives the same tree, positions included, as remark-gfm as it comes on 1 200 generated bodies', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const full = remark().use(remarkGfm);
    const used = new Map<unknown, number>();
    for (let n = 0; n < 1200; n++) {
      const from = [...pieces, ...(n % 2 ? emails : []), ...(n % 4 >= 2 ? tables : [])];
      let body = '';
      for (let k = 2 + Math.floor(random() * 60); k > 0; k--) body += from[Math.floor(random() * from.length)]!;
      const variant = processorFor(body);
      used.set(variant, (used.get(variant) ?? 0) + 1);
      expect(JSON.stringify(variant.parse(body)), body).toBe(JSON.stringify(full.parse(body)));
    }
    // All four parsers were compared, each on many bodies.
    expect(used.size).toBe(4);
    for (const count of used.values()) expect(count).toBeGreaterThan(60);
  }, 120_000); // correctness, not speed: on a loaded machine this CPU-bound comparison takes far longer than usual

  it('has the literal-autolink pass guarded: remark-gfm uses the transform of the mdast-util-gfm-autolink-literal we depend on', () => {
    processorFor('plain words').parse('plain words');
    expect(autolinkPassGuarded).toBe(true);
  });

  it('still links e-mail addresses when the body has an "@"', () => {
    expect(render('Write to desk@news.example.\n').html).toContain('<a href="mailto:desk@news.example">desk@news.example</a>');
  });

  it('still links literals in capitals, and those only character references spell (the text has them, the body does not)', () => {
    expect(render('Write to desk&#64;news.example.\n').html).toContain('<a href="mailto:desk@news.example">desk@news.example</a>');
    expect(render('See WWW.Example.org or HTTPS://Y.EXAMPLE/.\n').html).toMatch(/<a href="http:\/\/www.example.org\/">WWW.Example.org<\/a> or <a href="https:\/\/y.example\/">HTTPS:\/\/Y.EXAMPLE\/<\/a>/);
    expect(render('See HTTP&#58;//Z.EXAMPLE/.\n').html).toContain('<a href="http://z.example/">HTTP://Z.EXAMPLE/</a>');
    expect(render('See http&#58;//x.example/a and ww&#119;.y.example.\n').html).toMatch(/<a href="http:\/\/x.example\/a">.*<a href="http:\/\/www.y.example\/">www.y.example<\/a>/);
  });

  it('still makes tables, with or without pipes, in quotes and lists', () => {
    for (const body of ['| a | b |\n|---|---|\n| c | d |\n', 'a\n:-\n', '> a | b\n> --|--\n', '- a | b\n  --|--\n']) {
      expect(render(body).html, body).toContain('<table>');
    }
  });
});

describe('findExcessiveNesting at the limit', () => {
  it.each([
    ['64 quotes', '> '.repeat(MAX_NESTING) + 'ok\n', undefined],
    ['65 quotes', 'intro\n\n' + '> '.repeat(MAX_NESTING + 1) + 'deep\n', 3],
    ['65 packed quotes', '>'.repeat(MAX_NESTING + 1) + ' deep\n', 1],
    ['65 list markers', '1. '.repeat(MAX_NESTING + 1) + 'deep\n', 1],
    ['64 tabs of indentation', '\t'.repeat(MAX_NESTING) + 'ok\n', undefined],
    ['65 tabs of indentation', 'a\n' + '\t'.repeat(MAX_NESTING + 1) + 'deep\n', 2],
    ['a long line that is not a prefix', '-'.repeat(500) + '\n', undefined],
  ])('%s', (_, body, line) => {
    expect(findExcessiveNesting(body)?.line).toBe(line);
  });
});
