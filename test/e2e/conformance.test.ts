/**
 * Conformance: every file feedpipe publishes, judged by parsers and schemas we
 * did not write (see test/helpers/validators.ts). Each test builds its own
 * fixture site in a fresh temp folder: nothing mutable is shared.
 *
 * The fixture is hostile on purpose: markup, `]]>`, quotes and ampersands in
 * titles, tags and author names; C0 control characters and a lone surrogate
 * (which XML 1.0 cannot carry); relative links and images; plus a draft and an
 * embargoed article that share a section and a tag with public ones, so a leak
 * into any section or tag feed would show.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { build, type BuildReport } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import {
  atomRulesBeyondRelaxNg,
  parseWithFeedParser,
  pythonFeedparser,
  pythonFeedparserAll,
  pythonFeedparserMissing,
  validateAtomFilesRelaxNg,
  validateAtomRelaxNg,
  validateJsonFeed,
  validateXmlStrict,
  type PythonFeedparserResult,
} from '../helpers/validators.js';

const NOW = new Date('2026-11-25T12:00:00Z');

/**
 * Python's feedparser is a Debian package (.ci/run installs it; in CI its absence fails here).
 * Without it, on a machine with only Node, its checks skip with one line saying how to install
 * it; every other check (npm's validators) still runs.
 */
const PY_MISSING = pythonFeedparserMissing();
if (PY_MISSING) console.warn(PY_MISSING);
/** Python feedparser's reading of `text`, or undefined where it is not installed. */
const pyIfInstalled = (text: string): PythonFeedparserResult | undefined => (PY_MISSING ? undefined : pythonFeedparser(text));
const SITE = 'https://news.example.com/';
const ID_PREFIX = 'tag:news.example.com,2026:';

const HOSTILE_TITLE = 'AT&T <b>bold</b> ]]> "quotes"';
/** The same title as the author typed it, with characters XML 1.0 cannot carry (YAML escapes). */
const HOSTILE_TITLE_YAML = String.raw`"AT&T\x01 <b>bo\uD800ld</b>\v ]]> \"quo\x1Ftes\""`;
const ENTITY_TITLE = 'Writing &amp; and &lt;p&gt; in HTML';
const UNICODE_TITLE = 'Ünïcode café — 日本語 🎉 naïve';
const CDATA_END_IN_BODY = 7;

interface Expected {
  slug: string;
  id: string;
  url: string;
  title: string;
  date: string;
  updated?: string;
  tags: string[];
  authors: string[];
  /** The article's own language (frontmatter lang), if it has one. */
  lang?: string;
}

/** The public articles, by slug: what every reader must get back. */
const EXPECTED: Record<string, Expected> = {
  hostile: {
    slug: 'hostile',
    id: `${ID_PREFIX}hostile`,
    url: `${SITE}2026/11/hostile/`,
    title: HOSTILE_TITLE,
    date: '2026-11-20T10:00:00.000Z',
    tags: ['World & <Politics>', 'a<b', 'R&D', 'say "hi"'],
    authors: ['Desk & <Co> "Newsroom"'],
  },
  entities: {
    slug: 'entities',
    id: `${ID_PREFIX}entities`,
    url: `${SITE}2026/11/entities/`,
    title: ENTITY_TITLE,
    date: '2026-11-19T08:00:00.000Z',
    updated: '2026-11-22T09:30:00.000Z',
    tags: ['R&D'],
    authors: ['Ann <Author> & Co', 'Bob "B" Writer'],
  },
  plain: {
    slug: 'plain',
    id: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
    url: `${SITE}2026/11/plain/`,
    title: 'Plain headline',
    date: '2026-11-21T07:15:00.000Z',
    tags: ['World & <Politics>'],
    authors: ['Desk & <Co> "Newsroom"'],
  },
  unicode: {
    slug: 'unicode',
    id: `${ID_PREFIX}unicode`,
    url: `${SITE}2026/11/unicode/`,
    title: UNICODE_TITLE,
    date: '2026-11-18T23:59:59.000Z',
    tags: ['日本'],
    authors: ['Desk & <Co> "Newsroom"'],
    lang: 'ja',
  },
};
const BY_ID = new Map(Object.values(EXPECTED).map((e) => [e.id, e]));

/**
 * Which articles each published feed must carry, as sets of slugs: the main
 * feed, the section "World & <Politics>", the tags a<b, R&D, say "hi", 日本, and the
 * authors (the site's desk, which is every article's without its own, Ann and Bob).
 * Compared as a multiset so the test does not depend on folder naming.
 */
const EXPECTED_FEEDS = [
  ['entities', 'hostile', 'plain', 'unicode'],
  ['hostile', 'plain'],
  ['hostile'],
  ['entities', 'hostile'],
  ['hostile'],
  ['unicode'],
  // Authors: the site's desk (the default author), Ann and Bob (the two of one article).
  ['hostile', 'plain', 'unicode'],
  ['entities'],
  ['entities'],
]
  .map((s) => s.sort().join(','))
  .sort();

const CONFIG: ConfigInput = {
  site: {
    title: 'Conformance & <Co> "Times"',
    url: SITE,
    description: 'News & <views>, "quoted"',
    language: 'en-GB',
    timezone: 'UTC',
    author: { name: 'Desk & <Co> "Newsroom"', email: 'desk@news.example.com', url: `${SITE}desk/` },
    copyright: '© 2026 <Co> & "friends"',
    icon: `${SITE}icon.png`,
    logo: `${SITE}logo.png`,
    idPrefix: ID_PREFIX,
  },
  permalink: '/{yyyy}/{mm}/{slug}/',
  feeds: { limit: 50, sections: true, tags: true },
};

const HOSTILE_BODY = [
  'Opening be\u0001fo\u000Bre\u001F text with ]]> and ]]]]>> and a [relative link](../other/ "Other & <more>")',
  'plus a [root link](/about/?a=1&b=2) and ![a chart](chart.png).',
  '',
  '`inline ]]> code` and ]]>]]> twice.',
  '',
  '```',
  'block ]]> <![CDATA[ nested ]]>',
  '```',
  '',
  '> Quote with <b>raw html</b> & an ampersand.',
  '',
].join('\n');

function file(fields: string[], body: string): string {
  return `---\n${fields.join('\n')}\n---\n${body}\n`;
}

const CONTENT: Record<string, string> = {
  'world/2026-11-20-hostile.md': file(
    [
      `title: ${HOSTILE_TITLE_YAML}`,
      'date: 2026-11-20T10:00:00Z',
      'section: World & <Politics>',
      'tags: ["a<b", "R&D", "say \\"hi\\""]',
      'image: { src: images/lead.jpg, alt: "Lead & <alt> \\"x\\"" }',
    ],
    HOSTILE_BODY,
  ),
  'entities.md': file(
    [
      `title: "${ENTITY_TITLE}"`,
      'date: 2026-11-19T08:00:00Z',
      'updated: 2026-11-22T09:30:00Z',
      'tags: ["R&D"]',
      'authors: [{ name: "Ann <Author> & Co", url: "https://ann.example.org/" }, "Bob \\"B\\" Writer"]',
    ],
    'Entities &amp; are text here: &lt;p&gt; stays literal.',
  ),
  'world/plain.md': file(
    ['title: Plain headline', 'date: 2026-11-21T07:15:00Z', 'section: World & <Politics>', 'id: urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66'],
    'Just text, with a [link](https://elsewhere.example.net/path?x=1&y=2).',
  ),
  'unicode.md': file([`title: "${UNICODE_TITLE}"`, 'date: 2026-11-18T23:59:59Z', 'tags: ["日本"]', 'lang: ja'], 'Emoji 🎉 and 日本語 survive; so does a tab\there.'),
  // Never public: a draft and an embargoed article sharing the section and the R&D tag.
  'world/secret-zqx.md': file(
    ['title: DRAFT-ZQX secret', 'date: 2026-11-01T00:00:00Z', 'draft: true', 'section: World & <Politics>', 'tags: ["R&D", "leak-zqx"]'],
    'DRAFT-ZQX body.',
  ),
  'world/future-zqy.md': file(
    ['title: FUTURE-ZQY embargoed', 'date: 2026-11-25T12:00:01Z', 'section: World & <Politics>', 'tags: ["R&D", "embargo-zqy", "a<b"]'],
    'FUTURE-ZQY body.',
  ),
};

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

interface Fixture {
  report: BuildReport;
  files: [string, string][];
  xml: [string, string][];
  atom: [string, string][];
  rss: [string, string][];
  json: [string, string][];
}

/** A fresh site in a fresh temp folder, built at NOW without writing. */
async function buildFixture(): Promise<Fixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-conformance-'));
  roots.push(root);
  const contentDir = path.join(root, 'content');
  for (const [rel, text] of Object.entries(CONTENT)) {
    await mkdir(path.dirname(path.join(contentDir, rel)), { recursive: true });
    await writeFile(path.join(contentDir, rel), text);
  }
  const report = await build({ config: structuredClone(CONFIG), contentDir, outDir: path.join(root, 'dist'), now: NOW, write: false, cwd: root });
  // feedpipe's own output self-check (code output-invalid) is left to the
  // independent validators below, so they judge the files even when it objects.
  const errors = report.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'output-invalid');
  expect(errors, 'the fixture builds without errors').toEqual([]);
  const files = [...report.files].filter(([p]) => isFeed(p)).sort(([a], [b]) => (a < b ? -1 : 1));
  expect(files.length).toBeGreaterThan(0);
  if (!PY_MISSING) pythonFeedparserAll(files.filter(([p]) => p.endsWith('.xml')).map(([, text]) => text)); // one Python process for all
  return {
    report,
    files,
    xml: files.filter(([p]) => p.endsWith('.xml')),
    atom: files.filter(([p]) => p.endsWith('atom.xml')),
    rss: files.filter(([p]) => p.endsWith('feed.xml')),
    json: files.filter(([p]) => p.endsWith('.json')),
  };
}

/** The feeds among a build's files (it also publishes index.html and feed.xsl, checked on their own). */
function isFeed(rel: string): boolean {
  return ['feed.xml', 'atom.xml', 'feed.json'].includes(path.posix.basename(rel));
}

/** Runs `check` on every file and collects problems by path, so a failure names every bad file. */
function problemsByFile(files: [string, string][], check: (text: string, rel: string) => string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [rel, text] of files) {
    const problems = check(text, rel);
    if (problems.length) out[rel] = problems;
  }
  return out;
}

function jsonItems(text: string): { id: string; url: string; title: string; content_html: string; image?: string; date_published: string; date_modified?: string; tags?: string[]; authors?: { name?: string }[]; language?: string }[] {
  return (JSON.parse(text) as { items: ReturnType<typeof jsonItems> }).items;
}

function siblingJson(f: Fixture, rel: string): string {
  const json = f.files.find(([p]) => p === path.posix.join(path.posix.dirname(rel), 'feed.json'));
  if (!json) throw new Error(`no feed.json beside ${rel}`);
  return json[1];
}

/** Decodes the character references HTML serialisers use in attribute values. */
function decodeAttr(value: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (m, hex?: string, dec?: string, name?: string) =>
    hex ? String.fromCodePoint(parseInt(hex, 16)) : dec ? String.fromCodePoint(Number(dec)) : (named[name!.toLowerCase()] ?? m),
  );
}

function urlsIn(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map((m) => decodeAttr(m[1] ?? m[2]!));
}

function countCdataEnds(html: string): number {
  return html.match(/\]\](?:>|&gt;|&#62;|&#x3e;)/gi)?.length ?? 0;
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('conformance fixture', () => {
  it('is hostile as intended and publishes exactly the expected feeds', async () => {
    const f = await buildFixture();
    expect(f.report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(f.report.ok).toBe(true);
    const hostile = f.report.articles.find((a) => a.slug === 'hostile')!;
    // The input really carries what XML cannot: if YAML ever stopped passing these through, the test would prove nothing.
    for (const ch of ['\u0001', '\u000B', '\u001F', '\uD800']) expect(hostile.title).toContain(ch);
    expect(readFileSync(hostile.source.absPath, 'utf8')).toContain('\u0001');
    expect(f.report.drafts.map((a) => a.slug)).toEqual(['secret-zqx']);
    expect(f.report.scheduled.map((a) => a.slug)).toEqual(['future-zqy']);

    // Each feed folder has exactly the three formats; 9 feeds in all.
    const dirs = new Map<string, string[]>();
    for (const [rel] of f.files) dirs.set(path.posix.dirname(rel), [...(dirs.get(path.posix.dirname(rel)) ?? []), path.posix.basename(rel)]);
    expect(f.files).toHaveLength(27);
    for (const [dir, names] of dirs) expect(names.sort(), dir).toEqual(['atom.xml', 'feed.json', 'feed.xml']);

    const carried = f.json.map(([, text]) => jsonItems(text).map((i) => BY_ID.get(i.id)?.slug ?? `UNEXPECTED:${i.id}`).sort().join(',')).sort();
    expect(carried).toEqual(EXPECTED_FEEDS);
  });
});

describe('independent validators accept every published file', () => {
  it('every XML file is well-formed per fast-xml-parser and saxes', async () => {
    const f = await buildFixture();
    expect(f.xml).toHaveLength(18);
    expect(problemsByFile(f.xml, validateXmlStrict)).toEqual({});
  });

  it('every Atom file validates against the RFC 4287 RELAX NG schema (xmllint) and its Schematron rules', async () => {
    const f = await buildFixture();
    expect(f.atom).toHaveLength(9);
    const problems = await validateAtomFilesRelaxNg(f.atom);
    expect(Object.fromEntries(f.atom.flatMap(([rel], i) => (problems[i]!.length ? [[rel, problems[i]]] : [])))).toEqual({});
  });

  it.skipIf(PY_MISSING)('every RSS and Atom file parses in Python feedparser with bozo 0 and the right version', async () => {
    const f = await buildFixture();
    const results = problemsByFile(f.xml, (text, rel) => {
      const r = pythonFeedparser(text);
      const want = rel.endsWith('atom.xml') ? 'atom10' : 'rss20';
      const problems: string[] = [];
      if (r.bozo !== 0) problems.push(`bozo ${r.bozo}: ${r.bozo_exception}`);
      if (r.version !== want) problems.push(`version ${JSON.stringify(r.version)}, expected ${want}`);
      const count = jsonItems(siblingJson(f, rel)).length;
      if (r.entries.length !== count) problems.push(`${r.entries.length} entries, the JSON Feed has ${count}`);
      return problems;
    });
    expect(results).toEqual({});
  });

  it('every JSON file validates against the JSON Feed 1.1 schema', async () => {
    const f = await buildFixture();
    expect(f.json).toHaveLength(9);
    expect(problemsByFile(f.json, validateJsonFeed)).toEqual({});
  });
});

describe('what readers get back', () => {
  it('@rowanmanning/feed-parser reads the same items as the JSON Feed: ids, links, dates, authors, categories', async () => {
    const f = await buildFixture();
    for (const [rel, text] of f.xml) {
      const feed = parseWithFeedParser(text);
      const json = JSON.parse(siblingJson(f, rel)) as { title: string; items: ReturnType<typeof jsonItems> };
      expect(feed.meta.type, rel).toBe(rel.endsWith('atom.xml') ? 'atom' : 'rss');
      expect(feed.title, `${rel}: feed title`).toBe(json.title);
      expect(feed.items.map((i) => i.id), `${rel}: ids in order`).toEqual(json.items.map((i) => i.id));
      for (const item of feed.items) {
        const want = BY_ID.get(item.id ?? '')!;
        const where = `${rel} ${want.slug}`;
        expect(item.url, where).toBe(want.url);
        expect(item.published?.toISOString(), where).toBe(want.date);
        if (rel.endsWith('atom.xml')) expect(item.updated?.toISOString(), where).toBe(want.updated ?? want.date);
        expect(item.authors.map((a) => a.name).sort(), where).toEqual([...want.authors].sort());
        expect(item.categories.map((c) => c.term).sort(), where).toEqual([...want.tags].sort());
      }
    }
  });

  it('JSON Feed items carry exact titles, ids, links, dates, tags and authors', async () => {
    const f = await buildFixture();
    for (const [rel, text] of f.json) {
      for (const item of jsonItems(text)) {
        const want = BY_ID.get(item.id);
        expect(want, `${rel}: unexpected id ${item.id}`).toBeDefined();
        expect(item.title, rel).toBe(want!.title);
        expect(item.url, rel).toBe(want!.url);
        expect(new Date(item.date_published).toISOString(), rel).toBe(want!.date);
        expect(item.date_modified && new Date(item.date_modified).toISOString(), rel).toBe(want!.updated);
        expect([...(item.tags ?? [])].sort(), rel).toEqual([...want!.tags].sort());
        expect((item.authors ?? []).map((a) => a.name).sort(), rel).toEqual([...want!.authors].sort());
      }
    }
  });

  it('an article in another language than the site says so in every format: Atom xml:lang, RSS dc:language, JSON Feed language', async () => {
    const f = await buildFixture();
    let seen = 0;
    for (const [rel, text] of f.json) {
      for (const item of jsonItems(text)) expect(item.language, `${rel} ${item.id}`).toBe(BY_ID.get(item.id)!.lang);
    }
    for (const [rel, text] of f.xml) {
      const py = pyIfInstalled(text);
      if (!py) continue;
      for (const e of py.entries) {
        const want = BY_ID.get(e.id ?? '')!;
        // Atom: an entry without its own xml:lang is in the feed's (en-GB); RSS: only the item's own.
        const inherited = rel.endsWith('atom.xml') ? 'en-GB' : null;
        expect(e.language, `${rel} ${e.id}`).toBe(want.lang ?? inherited);
        if (want.lang) seen++;
      }
    }
    if (!PY_MISSING) expect(seen).toBe(6); // the unicode article in the main, 日本 and desk feeds, RSS and Atom
  });

  it('Atom titles round-trip exactly in both parsers (control characters and lone surrogates dropped)', async () => {
    const f = await buildFixture();
    for (const [rel, text] of f.atom) {
      const py = pyIfInstalled(text);
      const rm = parseWithFeedParser(text);
      const json = JSON.parse(siblingJson(f, rel)) as { title: string; items: { id: string; title: string }[] };
      if (py) {
        expect(py.feed.title_text, `${rel}: feed title (feedparser)`).toBe(json.title);
        expect(py.entries.map((e) => e.title_text), `${rel} (feedparser)`).toEqual(json.items.map((i) => BY_ID.get(i.id)!.title));
      }
      expect(rm.items.map((i) => i.title), `${rel} (@rowanmanning/feed-parser)`).toEqual(json.items.map((i) => BY_ID.get(i.id)!.title));
    }
    // The hostile title is in three Atom feeds (main, section, tags): the check above really saw it.
    expect(f.atom.filter(([, t]) => t.includes('quotes')).length).toBeGreaterThanOrEqual(3);
  });

  it('RSS titles without & or < round-trip exactly in both parsers', async () => {
    const f = await buildFixture();
    const simple = (t: string) => !/[&<]/.test(t);
    let seen = 0;
    for (const [rel, text] of f.rss) {
      const py = pyIfInstalled(text);
      const rm = parseWithFeedParser(text);
      for (const [i, item] of rm.items.entries()) {
        const want = BY_ID.get(item.id ?? '')!.title;
        if (!simple(want)) continue;
        seen++;
        expect(item.title, `${rel} (@rowanmanning/feed-parser)`).toBe(want);
        if (py) expect(py.entries[i]!.title_text, `${rel} (feedparser)`).toBe(want);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it('RSS titles with & or < round-trip exactly in @rowanmanning/feed-parser, and in Python feedparser but where it takes the text for HTML', async () => {
    const f = await buildFixture();
    // RSS titles are escaped once, as plain text (src/publish/rss.ts): feedparser reads a title that
    // looks like HTML to it as HTML and shows what a browser would (test/e2e/readers.test.ts).
    const FEEDPARSER_SHOWS: Record<string, string> = { [HOSTILE_TITLE]: 'AT&T bold ]]> "quotes"', [ENTITY_TITLE]: 'Writing & and <p> in HTML' };
    const wrong: string[] = [];
    for (const [rel, text] of f.rss) {
      const py = pyIfInstalled(text);
      const rm = parseWithFeedParser(text);
      for (const [i, item] of rm.items.entries()) {
        const want = BY_ID.get(item.id ?? '')!.title;
        if (item.title !== want) wrong.push(`${rel} @rowanmanning/feed-parser: ${JSON.stringify(item.title)} != ${JSON.stringify(want)}`);
        if (!py) continue;
        const got = py.entries[i]!.title_text;
        if (got !== (FEEDPARSER_SHOWS[want] ?? want)) wrong.push(`${rel} feedparser (${py.entries[i]!.title_type}): ${JSON.stringify(py.entries[i]!.title)} reads as ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.skipIf(PY_MISSING)('Python feedparser reads the same ids, links and dates as the JSON Feed', async () => {
    const f = await buildFixture();
    for (const [rel, text] of f.xml) {
      const py: PythonFeedparserResult = pythonFeedparser(text);
      const ids = jsonItems(siblingJson(f, rel)).map((i) => i.id);
      expect(py.entries.map((e) => e.id), rel).toEqual(ids);
      for (const e of py.entries) {
        const want = BY_ID.get(e.id ?? '')!;
        expect(e.link, `${rel} ${want.slug}`).toBe(want.url);
        expect(e.published_iso, `${rel} ${want.slug}`).toBe(want.date.replace('.000Z', 'Z'));
        expect([...e.tags].sort(), `${rel} ${want.slug}`).toEqual([...want.tags].sort());
      }
    }
  });
});

describe('links, content and what is never published', () => {
  it('every item link and every URL in item content is absolute https, in every format and parser', async () => {
    const f = await buildFixture();
    const bad: string[] = [];
    const check = (where: string, url: string | null | undefined) => {
      if (!url || !/^https:\/\/[^/]+\//.test(url)) bad.push(`${where}: ${JSON.stringify(url)}`);
    };
    for (const [rel, text] of f.xml) {
      for (const item of parseWithFeedParser(text).items) {
        check(`${rel} link`, item.url);
        for (const u of urlsIn(item.content ?? '')) check(`${rel} content`, u);
      }
      for (const e of pyIfInstalled(text)?.entries ?? []) {
        check(`${rel} link (feedparser)`, e.link);
        for (const u of urlsIn(e.content ?? '')) check(`${rel} content (feedparser)`, u);
      }
    }
    for (const [rel, text] of f.json) {
      for (const item of jsonItems(text)) {
        check(`${rel} url`, item.url);
        if (item.image !== undefined) check(`${rel} image`, item.image);
        for (const u of urlsIn(item.content_html)) check(`${rel} content_html`, u);
      }
    }
    expect(bad).toEqual([]);
  });

  it('relative links and images are resolved against the article URL, and the lead image is published', async () => {
    const f = await buildFixture();
    const lead = `${SITE}2026/11/hostile/images/lead.jpg`;
    const expectedUrls = [`${SITE}2026/11/other/`, `${SITE}about/?a=1&b=2`, `${SITE}2026/11/hostile/chart.png`, lead];
    let checked = 0;
    for (const [rel, text] of f.xml) {
      const item = parseWithFeedParser(text).items.find((i) => i.id === EXPECTED.hostile!.id);
      if (!item) continue;
      checked++;
      expect(urlsIn(item.content ?? ''), rel).toEqual(expect.arrayContaining(expectedUrls));
      if (rel.endsWith('feed.xml')) expect(item.media.map((m) => m.url), `${rel}: media:content`).toContain(lead);
    }
    for (const [rel, text] of f.json) {
      const item = jsonItems(text).find((i) => i.id === EXPECTED.hostile!.id);
      if (!item) continue;
      checked++;
      expect(item.image, rel).toBe(lead);
      expect(urlsIn(item.content_html), rel).toEqual(expect.arrayContaining(expectedUrls));
    }
    // main, the section, three tag feeds and the desk's author feed, in three formats.
    expect(checked).toBe(18);
  });

  it('item content survives intact: every ]]>, text around control characters, emoji', async () => {
    const f = await buildFixture();
    const contents: [string, string, string][] = [];
    for (const [rel, text] of f.xml) {
      for (const item of parseWithFeedParser(text).items) contents.push([`${rel} (@rowanmanning/feed-parser)`, item.id ?? '', item.content ?? '']);
      for (const e of pyIfInstalled(text)?.entries ?? []) contents.push([`${rel} (feedparser)`, e.id ?? '', e.content ?? '']);
    }
    for (const [rel, text] of f.json) for (const item of jsonItems(text)) contents.push([rel, item.id, item.content_html]);
    const hostile = contents.filter(([, id]) => id === EXPECTED.hostile!.id);
    expect(hostile.length).toBe(PY_MISSING ? 18 : 30); // 6 feeds x (RSS + Atom) x 2 parsers (1 without Python's) + 6 JSON
    for (const [where, , html] of hostile) {
      expect(countCdataEnds(html), `${where}: ]]> count`).toBe(CDATA_END_IN_BODY);
      expect(html, where).toContain('Opening before text');
      expect(html, where).not.toMatch(FORBIDDEN_CHARS);
    }
    for (const [where, id, html] of contents.filter(([, id]) => id === EXPECTED.unicode!.id)) {
      expect(html, `${where} ${id}`).toContain('Emoji 🎉 and 日本語 survive');
    }
  });

  it('no file carries a control character XML 1.0 forbids or a lone surrogate, even JSON-escaped', async () => {
    const f = await buildFixture();
    const bad: string[] = [];
    const walk = (where: string, v: unknown): void => {
      if (typeof v === 'string') {
        if (FORBIDDEN_CHARS.test(v)) bad.push(`${where}: ${JSON.stringify(v).slice(0, 80)}`);
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(`${where}[${i}]`, x));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(`${where}.${k}`, x);
    };
    for (const [rel, text] of f.files) {
      if (FORBIDDEN_CHARS.test(text)) bad.push(`${rel}: raw character`);
      if (rel.endsWith('.xml')) {
        for (const m of text.matchAll(/&#(?:x([0-9a-fA-F]+)|(\d+));/g)) {
          const cp = m[1] ? parseInt(m[1], 16) : Number(m[2]);
          const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFF';
          if (FORBIDDEN_CHARS.test(ch) || (cp >= 0xd800 && cp <= 0xdfff)) bad.push(`${rel}: character reference ${m[0]}`);
        }
      }
      if (rel.endsWith('.json')) walk(rel, JSON.parse(text));
    }
    expect(bad).toEqual([]);
  });

  it('the draft and the embargoed article appear in no file and create no feed', async () => {
    const f = await buildFixture();
    for (const [rel, text] of f.files) {
      expect(rel).not.toMatch(/zqx|zqy/i);
      expect(text, rel).not.toMatch(/zqx|zqy/i);
      expect(text, rel).not.toContain('secret-zqx');
      expect(text, rel).not.toContain('future-zqy');
    }
    // They share the section and the R&D and a<b tags: those feeds exist and hold only public items.
    for (const [rel, text] of f.json) {
      for (const item of jsonItems(text)) expect(BY_ID.has(item.id), `${rel}: ${item.id}`).toBe(true);
    }
  });
});

describe('the repository sample site', () => {
  it('every file it publishes passes every validator (read-only build, nothing written)', async () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const report = await build({ configPath: path.join(repo, 'feedpipe.config.yaml'), cwd: repo, now: NOW, write: false });
    expect(report.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'output-invalid')).toEqual([]);
    const files = [...report.files].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const atoms = files.filter(([rel]) => rel.endsWith('atom.xml'));
    const atomProblems = new Map((await validateAtomFilesRelaxNg(atoms)).map((p, i) => [atoms[i]![0], p]));
    if (!PY_MISSING) pythonFeedparserAll(files.filter(([rel]) => isFeed(rel) && rel.endsWith('.xml')).map(([, text]) => text));
    const problems = problemsByFile(files, (text, rel) => {
      // The page for people and the stylesheet are not feeds: they must be well-formed XML (the page is polyglot HTML).
      if (!isFeed(rel)) return validateXmlStrict(text);
      if (rel.endsWith('.json')) return validateJsonFeed(text);
      const out = [...validateXmlStrict(text), ...(atomProblems.get(rel) ?? [])];
      const py = pyIfInstalled(text);
      if (!py) return out;
      if (py.bozo !== 0) out.push(`feedparser bozo: ${py.bozo_exception}`);
      if (py.version !== (rel.endsWith('atom.xml') ? 'atom10' : 'rss20')) out.push(`feedparser version ${py.version}`);
      if (parseWithFeedParser(text).items.length !== py.entries.length) out.push('the two parsers disagree on the item count');
      return out;
    });
    expect(problems).toEqual({});
  });
});

describe('the validators themselves reject broken documents', () => {
  const atom = (entry: string, feedAuthor = '<author><name>A</name></author>') =>
    `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:1</id><title>T</title><updated>2026-01-01T00:00:00Z</updated>${feedAuthor}${entry}</feed>`;
  const entry = (inner: string) => `<entry>${inner}</entry>`;
  const goodEntry = '<id>urn:x:2</id><title type="html">A &amp;amp; B</title><updated>2026-01-01T00:00:00Z</updated><link href="https://x.example/2"/>';

  it('RELAX NG: accepts a minimal valid Atom feed, rejects missing id, bad date, bad type, and unknown Atom elements', async () => {
    const [good, ...bad] = await validateAtomFilesRelaxNg(
      [
        goodEntry,
        goodEntry.replace('<id>urn:x:2</id>', ''),
        goodEntry.replace('2026-01-01T00:00:00Z', 'Sat, 21 Nov 2026 10:00:00 GMT'),
        goodEntry.replace('type="html"', 'type="markdown"'),
        goodEntry + '<pubDate>x</pubDate>',
        goodEntry + '<title>again</title>',
      ].map((e, i): [string, string] => [`case${i}.xml`, atom(entry(e))]),
    );
    expect(good).toEqual([]);
    for (const [i, problems] of bad.entries()) expect(problems, `case ${i + 1}`).toContainEqual(expect.stringMatching(/Relax-NG validity error/));
  });

  it('rules beyond RELAX NG: entry author when the feed has none, alternate link or content, RFC 3339 dates', async () => {
    expect(atomRulesBeyondRelaxNg(atom(entry(goodEntry)))).toEqual([]);
    // xsd:dateTime accepts a date without a zone; RFC 4287 section 3.3 does not.
    expect(await validateAtomRelaxNg(atom(entry(goodEntry.replace('2026-01-01T00:00:00Z', '2026-01-01T00:00:00'))))).toEqual([expect.stringMatching(/RFC 4287 3\.3/)]);
    expect(atomRulesBeyondRelaxNg(atom(entry(goodEntry.replace('2026-01-01T00:00:00Z', '2026-01-01t00:00:00z'))))).not.toEqual([]);
    expect(atomRulesBeyondRelaxNg(atom(entry(goodEntry), ''))).toEqual([expect.stringMatching(/atom:author/)]);
    expect(atomRulesBeyondRelaxNg(atom(entry(goodEntry + '<author><name>B</name></author>'), ''))).toEqual([]);
    expect(atomRulesBeyondRelaxNg(atom(entry(goodEntry.replace('<link href="https://x.example/2"/>', '<link rel="self" href="https://x.example/2"/>'))))).toEqual([
      expect.stringMatching(/alternate/),
    ]);
  });

  it('strict XML: rejects control characters, bad character references, unbound prefixes, HTML entities', () => {
    const ok = '<?xml version="1.0"?><a xmlns:m="urn:m"><m:b>x &amp; y</m:b></a>';
    expect(validateXmlStrict(ok)).toEqual([]);
    for (const bad of ['<a>x\u0001y</a>', '<a>x&#1;y</a>', '<a><m:b/></a>', '<a>&nbsp;</a>', '<a b="<"/>', '<a/><b/>', '<a><b></a></b>']) {
      expect(validateXmlStrict(bad), JSON.stringify(bad)).not.toEqual([]);
    }
  });

  it('JSON Feed schema: rejects 1.0 author, version 1, missing content, non-string id, bad dates and relative URLs', () => {
    const item = { id: 'urn:x:1', url: 'https://x.example/1', content_html: '<p>x</p>', date_published: '2026-11-20T10:00:00Z' };
    const feed = (over: Record<string, unknown> = {}, itemOver: Record<string, unknown> = {}) =>
      JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'T', items: [{ ...item, ...itemOver }], ...over });
    expect(validateJsonFeed(feed())).toEqual([]);
    expect(validateJsonFeed(feed({ authors: [{ name: 'A' }], _ext: { any: 1 } }))).toEqual([]);
    const rejected: [string, string][] = [
      ['top-level author', feed({ author: { name: 'A' } })],
      ['item author', feed({}, { author: { name: 'A' } })],
      ['version 1', feed({ version: 'https://jsonfeed.org/version/1' })],
      ['no title', JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items: [] })],
      ['no items', JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'T' })],
      ['no content', feed({}, { content_html: undefined })],
      ['numeric id', feed({}, { id: 1 })],
      ['date without offset', feed({}, { date_published: '2026-11-20T10:00:00' })],
      ['RFC 822 date', feed({}, { date_published: 'Fri, 20 Nov 2026 10:00:00 GMT' })],
      ['relative url', feed({}, { url: '/2026/11/x/' })],
      ['empty author object', feed({ authors: [{}] })],
      ['author with unknown key', feed({ authors: [{ email: 'a@b.example' }] })],
      ['typo key', feed({}, { date_publshed: '2026-11-20T10:00:00Z' })],
      ['not JSON', '{"version": '],
    ];
    for (const [why, text] of rejected) expect(validateJsonFeed(text), why).not.toEqual([]);
  });

  it.skipIf(PY_MISSING)('Python feedparser flags an ill-formed feed as bozo', () => {
    const r = pythonFeedparser('<?xml version="1.0"?><rss version="2.0"><channel><title>T &nbsp;</title><item><title>x</item></channel></rss>');
    expect(r.bozo).toBe(1);
  });
});
