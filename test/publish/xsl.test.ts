/**
 * The stylesheet's `text` template shows a string the feeds escaped as HTML
 * (RSS item descriptions, Atom type="html" titles and summaries) as the text it was:
 * read here case by case from FEED_STYLESHEET and run on escaped strings.
 * (test/browser.test.ts runs the whole stylesheet in Chromium.)
 */
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { FEED_STYLESHEET } from '../../src/publish/xsl.js';
import { escapeXml } from '../../src/util/escape.js';

interface Case {
  /** What `$rest` (the string after an "&") starts with. */
  startsWith: string;
  /** The character the case outputs. */
  output: string;
  /** XPath substring() start, 1-based: where the rest of the string goes on. */
  from: number;
}

/** The text template's cases, read with an XML parser so each is what an XSLT processor sees. */
function textTemplateCases(): Case[] {
  const parser = new SaxesParser();
  const cases: Case[] = [];
  let inTemplate = false;
  let current: Partial<Case> | undefined;
  parser.on('opentag', (tag) => {
    const attr = (name: string) => tag.attributes[name] as string | undefined;
    if (tag.name === 'xsl:template') inTemplate = attr('name') === 'text';
    if (!inTemplate) return;
    const test = /^starts-with\(\$rest, '([^']*)'\)$/.exec(attr('test') ?? '');
    if (tag.name === 'xsl:when' && test) current = { startsWith: test[1]!, output: '' };
    const select = /^substring\(\$rest, (\d+)\)$/.exec(attr('select') ?? '');
    if (current && tag.name === 'xsl:with-param' && select) current.from = Number(select[1]);
  });
  parser.on('text', (text) => {
    if (current && current.from === undefined) current.output += text;
  });
  parser.on('closetag', (tag) => {
    if (tag.name !== 'xsl:when' || !current) return;
    cases.push(current as Case);
    current = undefined;
  });
  parser.write(FEED_STYLESHEET).close();
  return cases;
}

/** The template, as XSLT runs it: up to the first "&", then the case the rest starts with, or "&" itself. */
function runTextTemplate(cases: readonly Case[], s: string): string {
  const at = s.indexOf('&');
  if (at < 0) return s;
  const rest = s.slice(at + 1);
  const c = cases.find((k) => rest.startsWith(k.startsWith));
  return s.slice(0, at) + (c ? c.output + runTextTemplate(cases, rest.slice(c.from - 1)) : '&' + runTextTemplate(cases, rest));
}

describe('the stylesheet text template', () => {
  const cases = textTemplateCases();

  it('has one case per reference escapeXml writes', () => {
    expect(cases.map((c) => [c.startsWith, c.output, c.from])).toEqual([
      ['amp;', '&', 5],
      ['lt;', '<', 4],
      ['gt;', '>', 4],
      ['quot;', '"', 6],
    ]);
  });

  it.each([
    'AT&T <b>bold</b> "quoted" ]]>',
    'Use &amp; for & and &#38; for &lt;',
    '&&&;;&amp',
    'plain',
  ])('shows %j as it was written once escaped', (s) => {
    expect(runTextTemplate(cases, escapeXml(s))).toBe(s);
  });
});
