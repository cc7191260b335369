/**
 * Audio and video published with an article (frontmatter audio:, video:): one RSS <enclosure>
 * (the first: RSS allows one), an Atom <link rel="enclosure"> per file and JSON Feed
 * attachments, each with its own type and length, valid by the specs' schemas and read back by
 * parsers we did not write.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { feedsmithItems, rssParserItems } from '../helpers/readers.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { atomRulesBeyondRelaxNg, pythonFeedparser, pythonFeedparserMissing, validateAtomRelaxNg, validateJsonFeed, validateXmlStrict } from '../helpers/validators.js';

const PY_MISSING = pythonFeedparserMissing();
if (PY_MISSING) console.warn(PY_MISSING);

const AUDIO = { src: 'https://media.example.com/episodes/ep 1[a].mp3?a=1&b=2', type: 'audio/mpeg', length: 48123456, duration: 1520.5 };
const AUDIO_URL = 'https://media.example.com/episodes/ep%201%5Ba%5D.mp3?a=1&b=2';
const VIDEO = { src: 'https://media.example.com/clips/clip.mp4', type: 'video/mp4', length: 9876543 };

async function published() {
  const s = await makeSite({
    'episode.md': article({ title: 'Episode 1', date: '2026-11-20T09:00:00Z', audio: AUDIO, video: VIDEO }),
    'plain.md': article({ title: 'Plain', date: '2026-11-19T09:00:00Z' }),
  });
  const r = await build({ config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root });
  expect(r.ok).toBe(true);
  const read = (rel: string) => readFile(path.join(s.outDir, rel), 'utf8');
  return { rss: await read('feed.xml'), atom: await read('atom.xml'), json: await read('feed.json') };
}

describe('enclosures', () => {
  it('are valid in every format: strict XML, RFC 4287 RELAX NG and its rules, the JSON Feed 1.1 schema', async () => {
    const f = await published();
    expect(validateXmlStrict(f.rss)).toEqual([]);
    expect(validateXmlStrict(f.atom)).toEqual([]);
    expect(await validateAtomRelaxNg(f.atom)).toEqual([]);
    expect(atomRulesBeyondRelaxNg(f.atom)).toEqual([]);
    expect(validateJsonFeed(f.json)).toEqual([]);
  });

  it('say their type and length exactly: RSS the audio (one enclosure), Atom and JSON Feed both', async () => {
    const f = await published();
    expect(f.rss).toContain(`<enclosure url="${AUDIO_URL.replace(/&/g, '&amp;')}" length="48123456" type="audio/mpeg"/>`);
    expect(f.rss.match(/<enclosure /g)).toHaveLength(1);
    expect(f.atom).toContain(`<link rel="enclosure" href="${AUDIO_URL.replace(/&/g, '&amp;')}" type="audio/mpeg" length="48123456"/>`);
    expect(f.atom).toContain('<link rel="enclosure" href="https://media.example.com/clips/clip.mp4" type="video/mp4" length="9876543"/>');
    const items = (JSON.parse(f.json) as { items: { title: string; attachments?: unknown[] }[] }).items;
    expect(items.find((i) => i.title === 'Episode 1')!.attachments).toEqual([
      { url: AUDIO_URL, mime_type: 'audio/mpeg', size_in_bytes: 48123456, duration_in_seconds: 1520.5 },
      { url: 'https://media.example.com/clips/clip.mp4', mime_type: 'video/mp4', size_in_bytes: 9876543 },
    ]);
    expect(items.find((i) => i.title === 'Plain')!.attachments).toBeUndefined();
  });

  it('are read back by rss-parser and feedsmith', async () => {
    const f = await published();
    const episode = 'tag:news.example.com,2000:episode';
    const { default: Parser } = await import('rss-parser');
    const item = (await new Parser().parseString(f.rss)).items.find((i) => i.guid === episode)!;
    expect(item.enclosure).toEqual({ url: AUDIO_URL, length: '48123456', type: 'audio/mpeg' });
    const { parseRssFeed } = await import('feedsmith');
    expect(parseRssFeed(f.rss).items!.find((i) => i.guid?.value === episode)!.enclosures).toEqual([{ url: AUDIO_URL, length: 48123456, type: 'audio/mpeg' }]);
    expect((await rssParserItems(f.rss)).size + feedsmithItems(f.rss).size).toBe(4);
  });

  it.skipIf(PY_MISSING)('are read back by the Universal Feed Parser, in RSS and in Atom', async () => {
    const f = await published();
    const rss = pythonFeedparser(f.rss).entries.find((e) => e.title === 'Episode 1')!;
    expect(rss.enclosures).toEqual([{ href: AUDIO_URL, type: 'audio/mpeg', length: '48123456' }]);
    const atom = pythonFeedparser(f.atom).entries.find((e) => e.title === 'Episode 1')!;
    expect(atom.enclosures).toEqual([
      { href: AUDIO_URL, type: 'audio/mpeg', length: '48123456' },
      { href: 'https://media.example.com/clips/clip.mp4', type: 'video/mp4', length: '9876543' },
    ]);
  });
});

describe('a bad enclosure', () => {
  it('fails the build at its file, line and column, and leaves the published feeds exactly as they were', async () => {
    const s = await makeSite({ 'episode.md': article({ title: 'Episode 1', date: '2026-11-20T09:00:00Z', audio: AUDIO }) });
    const opts = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root };
    expect((await build(opts)).ok).toBe(true);
    const before = await readFile(path.join(s.outDir, 'feed.xml'), 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(s.contentDir, 'episode.md'), '---\ntitle: Episode 1\ndate: 2026-11-20T09:00:00Z\naudio: https://media.example.com/ep1.mp3\n---\nBody.\n');
    const r = await build(opts);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'invalid-enclosure', file: 'content/episode.md', line: 4, column: 8, field: 'audio' })]);
    expect(r.write).toBeUndefined();
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toBe(before);
  });
});
