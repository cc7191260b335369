/**
 * What readers show of RSS titles and author names with "&", "<", ">", quotes and entity-like
 * text. RSS does not say whether a title is text or HTML; feedpipe follows the RSS Advisory
 * Board's best-practices profile (plain text, each of & < > as a hexadecimal character
 * reference: src/publish/rss.ts rssTitle). Five readers we did not write read the published
 * feed: newsboat, rss-parser, feedsmith, @rowanmanning/feed-parser and the Universal Feed Parser
 * (Python feedparser); this pins what each shows, reader by reader.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { feedsmithItems, newsboatItems, newsboatMissing, rssParserItems, type Shown } from '../helpers/readers.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { parseWithFeedParser, pythonFeedparser, pythonFeedparserMissing } from '../helpers/validators.js';

const NEWSBOAT_MISSING = newsboatMissing();
if (NEWSBOAT_MISSING) console.warn(NEWSBOAT_MISSING);
const PY_MISSING = pythonFeedparserMissing();
if (PY_MISSING) console.warn(PY_MISSING);

/** Titles as authors write them: the common "&", angle brackets that are not markup, markup, entity-like text, quotes. */
const TITLES = [
  'Reader Test One & Co. <Revised> Title',
  'AT&T',
  'Q&A: fish & chips',
  'A < B and C > D',
  'I <3 N.Y.',
  'The <title> element',
  `Say "hi" & 'bye'`,
  'Writing &amp; and &lt;p&gt; in HTML',
  'AT&T <b>bold</b>',
  'Plain title',
];
const AUTHOR = 'Fish & Chips <Ltd> "Desk"';

/**
 * Where the Universal Feed Parser shows something else: it reads an RSS title as HTML when the
 * text itself looks like HTML to it (a tag it knows, entity-like text), and then shows it as a
 * browser would. Every other reader shows every title as written.
 */
const FEEDPARSER_SHOWS: Record<string, string> = {
  'Writing &amp; and &lt;p&gt; in HTML': 'Writing & and <p> in HTML',
  'AT&T <b>bold</b>': 'AT&T bold',
};

async function published(): Promise<{ xml: string; idOf: Map<string, string> }> {
  const files: Record<string, string> = {};
  TITLES.forEach((title, i) => (files[`t${i}.md`] = article({ title: JSON.stringify(title), date: `2026-03-${String(i + 1).padStart(2, '0')}T09:00:00Z`, author: JSON.stringify(AUTHOR) }, `Body ${i}.`)));
  const s = await makeSite(files);
  const r = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root });
  expect(r.ok).toBe(true);
  const idOf = new Map(r.visible.map((a) => [a.id, a.title]));
  return { xml: await readFile(path.join(s.outDir, 'feed.xml'), 'utf8'), idOf };
}

/** Each title as `shown` gives it, against what the author wrote; `expected` maps a title to what this reader is known to show instead. */
function mismatches(reader: string, shown: Map<string, Shown>, idOf: Map<string, string>, expected: Record<string, string> = {}): string[] {
  const out: string[] = [];
  expect(shown.size, reader).toBe(TITLES.length);
  for (const [id, title] of idOf) {
    const got = shown.get(id);
    const want = expected[title] ?? title;
    if (got?.title !== want) out.push(`${reader}: ${JSON.stringify(title)} shows as ${JSON.stringify(got?.title)}`);
    if (got?.author !== AUTHOR) out.push(`${reader}: the author of ${JSON.stringify(title)} shows as ${JSON.stringify(got?.author)}`);
  }
  return out;
}

describe('RSS titles and author names in five readers', () => {
  it('rss-parser, feedsmith and @rowanmanning/feed-parser show every one exactly as written', async () => {
    const { xml, idOf } = await published();
    const rowan = new Map(parseWithFeedParser(xml).items.map((i) => [i.id ?? '', { title: i.title ?? undefined, author: i.authors.map((a) => a.name).join(', ') }]));
    expect([...mismatches('rss-parser', await rssParserItems(xml), idOf), ...mismatches('feedsmith', feedsmithItems(xml), idOf), ...mismatches('@rowanmanning/feed-parser', rowan, idOf)]).toEqual([]);
  });

  it.skipIf(NEWSBOAT_MISSING)('newsboat shows every one exactly as written', async () => {
    const { xml, idOf } = await published();
    expect(mismatches('newsboat', newsboatItems(xml), idOf)).toEqual([]);
  });

  it.skipIf(PY_MISSING)('the Universal Feed Parser shows every one as written but those it takes for HTML', async () => {
    const { xml, idOf } = await published();
    const py = pythonFeedparser(xml);
    expect(py.bozo).toBe(0);
    const shown = new Map(py.entries.map((e) => [e.id ?? '', { title: e.title_text ?? undefined, author: e.author ?? undefined }]));
    expect(mismatches('feedparser', shown, idOf, FEEDPARSER_SHOWS)).toEqual([]);
  });

  it('the common "&" is one hexadecimal reference in the file, never "&amp;amp;" or a "&lt;" a reader would show', async () => {
    const { xml } = await published();
    expect(xml).toContain('<title>Q&#x26;A: fish &#x26; chips</title>');
    expect(xml).toContain('<title>Reader Test One &#x26; Co. &#x3C;Revised&#x3E; Title</title>');
    expect(xml).not.toMatch(/<title>[^<]*&amp;(amp|lt|gt);/);
  });
});
