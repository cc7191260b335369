/**
 * One article, one identity: its id reaches a reader the same in Atom (<id>), RSS (<guid
 * isPermaLink="false">) and JSON Feed (`id`), as the author wrote it, non-ASCII included. Judged
 * by parsers we did not write: @rowanmanning/feed-parser and Python's feedparser for RSS and
 * Atom, JSON.parse and the JSON Feed 1.1 schema for JSON, xmllint with RFC 4287's schema for Atom.
 */
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { parseWithFeedParser, pythonFeedparser, pythonFeedparserMissing, validateAtomRelaxNg, validateJsonFeed, validateXmlStrict } from '../helpers/validators.js';

const PY_MISSING = pythonFeedparserMissing();
if (PY_MISSING) console.warn(PY_MISSING);
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const PREFIX = 'tag:news.example.com,2000:';

/** The id as written in the frontmatter (YAML), and the id every format must carry. */
const CASES: [written: string, published: string][] = [
  ['tag:news.example.com,2026:café-日本-🎉', 'tag:news.example.com,2026:café-日本-🎉'],
  ['Ünïcode-naïve', `${PREFIX}Ünïcode-naïve`],
  ['tag:news.example.com,2026:caf%C3%A9', 'tag:news.example.com,2026:caf%C3%A9'],
  ['"tag:news.example.com,2026:R&D-a=1&c=2"', 'tag:news.example.com,2026:R&D-a=1&c=2'],
  ['"https://news.example.com/a?b=1&c=2#frag"', 'https://news.example.com/a?b=1&c=2#frag'],
  ['urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66'],
  ['story-123', `${PREFIX}story-123`],
];

describe('an article has one id in all three formats', async () => {
  const files = Object.fromEntries(CASES.map(([written], i) => [`a${i}.md`, article({ title: `Story ${i}`, date: `2026-01-0${i + 1}`, id: written })]));
  const site = await makeSite(files);
  const report = await build({ config: baseConfig, contentDir: site.contentDir, cwd: site.root, now: NOW, write: false });
  const expected = CASES.map(([, published]) => published).sort();
  const rss = report.files.get('feed.xml')!;
  const atom = report.files.get('atom.xml')!;
  const json = report.files.get('feed.json')!;

  it('builds, and each file is valid', async () => {
    expect(report.diagnostics).toEqual([]);
    expect(validateXmlStrict(rss)).toEqual([]);
    expect(validateXmlStrict(atom)).toEqual([]);
    expect(await validateAtomRelaxNg(atom)).toEqual([]);
    expect(validateJsonFeed(json)).toEqual([]);
  });

  it('reads the same ids from RSS, Atom and JSON Feed with @rowanmanning/feed-parser and JSON.parse', () => {
    expect(parseWithFeedParser(rss).items.map((i) => i.id).sort()).toEqual(expected);
    expect(parseWithFeedParser(atom).items.map((i) => i.id).sort()).toEqual(expected);
    expect((JSON.parse(json) as { items: { id: string }[] }).items.map((i) => i.id).sort()).toEqual(expected);
  });

  // Skipped, with one line saying how to install it, only outside CI (.ci/run installs it).
  it.skipIf(!!PY_MISSING)('reads the same ids from RSS and Atom with Python feedparser', () => {
    for (const text of [rss, atom]) {
      const parsed = pythonFeedparser(text);
      expect(parsed.bozo, parsed.bozo_exception ?? '').toBe(0);
      expect(parsed.entries.map((e) => e.id).sort()).toEqual(expected);
    }
  });

  it('writes a non-ASCII id as characters, not percent-escapes, in every format', () => {
    expect(atom).toContain('<id>tag:news.example.com,2026:café-日本-🎉</id>');
    expect(rss).toContain('<guid isPermaLink="false">tag:news.example.com,2026:café-日本-🎉</guid>');
    expect(json).toContain('"id": "tag:news.example.com,2026:café-日本-🎉"');
    expect(atom).toContain('<id>tag:news.example.com,2026:R&amp;D-a=1&amp;c=2</id>');
    expect(rss).toContain('<guid isPermaLink="false">tag:news.example.com,2026:R&amp;D-a=1&amp;c=2</guid>');
  });
});
