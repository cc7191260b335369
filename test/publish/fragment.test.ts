/**
 * A feed file is assembled from a frame and one fragment per item
 * (src/publish/fragment.ts). These tests hold the assembled bytes to the
 * whole-document serialisers (renderRss, renderAtom, renderJson), on the
 * golden fixtures and on hostile content, and check what happens when a
 * fragment does not verify.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { build, type BuildReport } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import type { Article } from '../../src/content/schema.js';
import { atomEntry, atomFrame, renderAtom } from '../../src/publish/atom.js';
import { BuildCache } from '../../src/incremental/cache.js';
import { assemble, fragmentContext, serialiseFeed, type FormatSerialiser } from '../../src/publish/fragment.js';
import { jsonFrame, jsonItem, renderJson } from '../../src/publish/json.js';
import { buildFeedModels, type FeedModel } from '../../src/publish/model.js';
import { renderRss, rssFrame, rssItem } from '../../src/publish/rss.js';
import type { FeedContent, RenderedMap } from '../../src/publish/shared.js';
import { verifyOutput } from '../../src/publish/verify.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { FEED_FILES, type FeedFormat } from '../../src/publish/files.js';

// The build imports rss.js lazily; this lets one test make the RSS item of a chosen article unparseable.
const corrupt = vi.hoisted(() => ({ title: undefined as string | undefined }));
vi.mock('../../src/publish/rss.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/publish/rss.js')>();
  return {
    ...real,
    rssItem: (a: Article, content: FeedContent) => {
      const text = real.rssItem(a, content);
      return corrupt.title && a.title === corrupt.title ? text.replace('<title>', '<title>\u0001') : text;
    },
  };
});

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

const SERIALISERS: Record<FeedFormat, FormatSerialiser> = {
  rss: { frame: rssFrame, item: rssItem },
  atom: { frame: atomFrame, item: atomEntry },
  json: { frame: jsonFrame, item: jsonItem },
};
const WHOLE: Record<FeedFormat, (m: FeedModel, r: RenderedMap) => string> = { rss: renderRss, atom: renderAtom, json: renderJson };

/** A build's feed models and the rendered content of every item, as stage 5 sees them. */
async function stage5(report: BuildReport): Promise<{ models: FeedModel[]; rendered: RenderedMap }> {
  expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const models = buildFeedModels(report.visible, report.config!);
  const rendered: RenderedMap = new Map();
  for (const a of new Set(models.flatMap((m) => m.items))) {
    const r = await report.cache!.render(a.source.absPath, report.cache!.files.get(a.source.absPath)!.hash);
    rendered.set(a.id, { html: r!.html, summary: r!.summary, ...(a.image ? { image: a.image.url } : {}) });
  }
  return { models, rendered };
}

/** Every feed and format: frame + fragments is the whole document, and is what the build published. */
async function expectAssembledIsWhole(report: BuildReport): Promise<number> {
  const { models, rendered } = await stage5(report);
  let compared = 0;
  for (const model of models) {
    for (const format of Object.keys(SERIALISERS) as FeedFormat[]) {
      const rel = model.dir + FEED_FILES[format];
      const whole = WHOLE[format](model, rendered);
      const assembled = assemble(SERIALISERS[format].frame(model), model.items.map((a) => SERIALISERS[format].item(a, rendered.get(a.id)!)));
      expect(assembled, rel).toBe(whole);
      expect(report.files.get(rel), rel).toBe(whole);
      compared++;
    }
  }
  return compared;
}

describe('assembled feeds are byte-identical to whole documents', () => {
  it.each(['basic', 'websub'])('golden fixture %s', async (name) => {
    const report = await build({ cwd: path.join(FIXTURES, name), now: NOW, write: false });
    expect(await expectAssembledIsWhole(report)).toBeGreaterThan(3);
  });

  const HOSTILE = String.raw`"AT&T\x01 <b>bo\uD800ld</b>\v ]]> \"quo\x1Ftes\" &amp; &#38;"`;
  const hostileSite = () =>
    makeSite({
      'a.md': article({ title: HOSTILE, date: '2026-03-01', section: 'World & <Politics>', tags: ['a<b', 'R&D', 'say "hi"', ']]>'], author: { name: 'Ann <A> & "Co"', email: 'ann.o-neil+news@example.com', url: 'https://example.com/?a=1&b=2' }, image: { src: 'images/x&y.jpg', alt: 'A <b> & "c"' }, lang: 'de-CH' }, 'Body with ]]> and ]]]]>> and \u0001 control, <b>raw</b> & [link](../other/?a=1&b=2).'),
      'b.md': article({ title: 'Plain & simple', date: '2026-02-01', tags: ['R&D'], summary: 'Summary <with> & "quotes" ]]>' }, 'Second.'),
      'c.md': article({ title: '<script>alert(1)</script>', date: '2026-01-01', authors: ['One', 'Two & <Three>'], image: 'https://img.example.com/p.png?x=1&y=<2>' }, '| a | b |\n|---|---|\n| 1 | 2 |'),
      'd.md': article({ title: 'Undated update', date: '2026-01-02', updated: '2026-04-01T10:00:00Z', id: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', section: 'World & <Politics>' }, 'Fourth.'),
      'draft.md': article({ title: 'Draft', date: '2026-01-01', draft: true, tags: ['only-draft'] }),
    });

  const FULL: ConfigInput = {
    site: {
      title: 'Hostile & <Co> "Times" ]]>',
      url: 'https://news.example.com/',
      description: 'News & <views>\u0001',
      language: 'en-GB',
      timezone: 'UTC',
      author: { name: 'Desk & <Co>', email: 'desk@news.example.com', url: 'https://news.example.com/desk/' },
      copyright: '© 2026 <Co> & "friends"',
      icon: 'https://news.example.com/icon.png',
      logo: 'https://news.example.com/logo.png?a=1&b=2',
    },
    websub: { hubs: ['https://hub.example.com/', 'https://hub.example.net/websub?a=1&b="2"'] },
  };
  // No author, description, logo, icon, copyright or hubs: every optional branch the other way.
  const BARE: ConfigInput = { site: { title: 'Bare', url: 'https://bare.example.org/news/' }, feeds: { limit: 2 } };

  it.each([
    ['with everything', FULL],
    ['with nothing optional', BARE],
    ['the test default', baseConfig],
  ])('hostile content, config %s', async (_, config) => {
    const s = await hostileSite();
    const report = await build({ config: structuredClone(config), contentDir: s.contentDir, now: NOW, write: false, cwd: s.root });
    expect(await expectAssembledIsWhole(report)).toBeGreaterThanOrEqual(15);
  });

  it('a feed with no items', async () => {
    const s = await makeSite({ 'later.md': article({ title: 'Later', date: '2099-01-01' }) });
    const report = await build({ config: structuredClone(FULL), contentDir: s.contentDir, now: NOW, write: false, cwd: s.root });
    expect(report.visible).toEqual([]);
    expect(await expectAssembledIsWhole(report)).toBe(3);
  });

  it('an item is the same bytes in every feed and at every position', async () => {
    const s = await hostileSite();
    const report = await build({ config: structuredClone(FULL), contentDir: s.contentDir, now: NOW, write: false, cwd: s.root });
    const { models, rendered } = await stage5(report);
    const placesOf = (a: Article) => new Set(models.filter((m) => m.items.includes(a)).map((m) => m.items.indexOf(a)));
    // d.md is third in the main feed, second in its section's and in its author's (the site's desk): one fragment, two places.
    const a = models[0]!.items.find((i) => i.title === 'Undated update')!;
    expect(placesOf(a)).toEqual(new Set([2, 1]));
    const feeds = models.filter((m) => m.items.includes(a));
    expect(feeds.map((m) => m.kind)).toEqual(['main', 'section', 'author']);
    for (const format of Object.keys(SERIALISERS) as FeedFormat[]) {
      const fragment = SERIALISERS[format].item(a, rendered.get(a.id)!);
      for (const m of feeds) expect(report.files.get(m.dir + FEED_FILES[format]), m.key).toContain(fragment);
    }
  });
});

describe('fragment verification', () => {
  async function site() {
    const s = await makeSite({
      'good.md': article({ title: 'Good', date: '2026-02-01', tags: ['T'] }),
      'bad.md': article({ title: 'Bad', date: '2026-01-01', tags: ['T'] }),
    });
    const report = await build({ config: structuredClone(baseConfig), contentDir: s.contentDir, now: NOW, write: false, cwd: s.root });
    return { s, report, ...(await stage5(report)) };
  }

  it('names the feed file, the line in it and the article, and verifies each fragment once', async () => {
    const { report, models, rendered } = await site();
    const made: string[] = [];
    const serialisers = { ...SERIALISERS, atom: { frame: atomFrame, item: (a: Article, c: FeedContent) => (made.push(a.title), a.title === 'Bad' ? atomEntry(a, c).replace('<title', '<x:title') : atomEntry(a, c)) } };
    const ctx = fragmentContext(serialisers, new BuildCache(''), rendered, (a) => report.cache!.files.get(a.source.absPath)!.hash);
    for (const model of models) {
      const { file, diagnostics } = serialiseFeed(model, 'atom', model.dir + 'atom.xml', ctx);
      const whole = verifyOutput(model.dir + 'atom.xml', String(file));
      expect(whole).toHaveLength(1); // the assembled file really is broken, where the fragment says
      expect(diagnostics).toEqual([{ ...whole[0], message: expect.stringContaining('the item made from content/bad.md: ') }]);
      expect(diagnostics[0]!.message).toContain('unbound namespace prefix: "x"');
    }
    expect(made.sort()).toEqual(['Bad', 'Good']); // two feeds, one fragment each
  });

  it('nothing is written when a fragment does not parse', async () => {
    const s = await makeSite({
      'good.md': article({ title: 'Good', date: '2026-02-01', tags: ['T'] }),
      'bad.md': article({ title: 'Bad', date: '2026-01-01', tags: ['T'] }),
    });
    corrupt.title = 'Bad';
    try {
      const r = await build({ config: structuredClone(baseConfig), contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root });
      expect(r.ok).toBe(false);
      const invalid = r.diagnostics.filter((d) => d.code === 'output-invalid');
      expect(invalid.map((d) => d.file).sort()).toEqual(['authors/newsroom/feed.xml', 'feed.xml', 'tags/t/feed.xml']);
      for (const d of invalid) expect(d.message).toMatch(/^generated file does not parse: the item made from content\/bad\.md: /);
      expect(r.write).toBeUndefined();
      await expect(stat(s.outDir)).rejects.toThrow();
    } finally {
      corrupt.title = undefined;
    }
    // The bad fragment was not kept: once fixed, the same cache-less build is clean.
    const again = await build({ config: structuredClone(baseConfig), contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root });
    expect(again.ok).toBe(true);
    expect((await readdir(s.outDir)).sort()).toContain('feed.xml');
  });

  it('a stored fragment is verified again under a root with other namespaces', async () => {
    const { report, models, rendered } = await site();
    const hashOf = (a: Article) => report.cache!.files.get(a.source.absPath)!.hash;
    const store = new BuildCache('');
    const ctx = fragmentContext(SERIALISERS, store, rendered, hashOf);
    const model = models[0]!;
    expect(serialiseFeed(model, 'rss', 'feed.xml', ctx).diagnostics).toEqual([]);
    expect(ctx.made).toBe(2);
    // The same fragments under a root that does not declare dc and content: their prefixes are unbound there.
    const bare = { frame: (m: FeedModel) => {
      const f = rssFrame(m);
      return { ...f, head: f.head.replace(/ xmlns:dc="[^"]*" xmlns:content="[^"]*"/, '') };
    }, item: rssItem };
    const again = fragmentContext({ ...SERIALISERS, rss: bare }, store, rendered, hashOf);
    const { diagnostics } = serialiseFeed(model, 'rss', 'feed.xml', again);
    expect(again.made).toBe(0); // taken from the store, but not trusted there
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('content/good.md: unbound namespace prefix: "content"'), expect.stringContaining('content/bad.md: unbound namespace prefix: "content"')]);
  });
});

describe('frames made once', () => {
  it('a feed whose channel did not change is not framed again; any change to it, or items where there were none, is', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-03-01' }) });
    const report = await build({ config: baseConfig, contentDir: s.contentDir, now: NOW, write: false, cwd: s.root });
    const { models, rendered } = await stage5(report);
    const framed: string[] = [];
    const counting: Record<FeedFormat, FormatSerialiser> = { ...SERIALISERS, rss: { frame: (m) => (framed.push(m.title), rssFrame(m)), item: rssItem } };
    const serialise = (model: FeedModel) => {
      const ctx = fragmentContext(counting, new BuildCache(''), rendered, (a) => report.cache!.files.get(a.source.absPath)!.hash);
      const { file, diagnostics } = serialiseFeed(model, 'rss', model.dir + FEED_FILES.rss, ctx);
      expect(diagnostics).toEqual([]);
      return file as string;
    };
    const main = models[0]!;
    const first = serialise(main);
    expect(serialise({ ...main })).toBe(first);
    expect(framed).toEqual([main.title]);
    // Another title, another updated time, no items: each made (and right).
    const retitled = { ...main, title: 'Retitled & <Co>' };
    expect(serialise(retitled)).toBe(renderRss(retitled, rendered));
    const later = { ...main, updated: new Date('2026-03-02T00:00:00Z') };
    expect(serialise(later)).toBe(renderRss(later, rendered));
    const empty = { ...main, items: [] };
    expect(serialise(empty)).toBe(renderRss(empty, rendered));
    expect(framed).toHaveLength(4);
  });
});
