/**
 * A feed file is assembled from a frame and one fragment per item
 * (src/publish/fragment.ts). These tests hold the assembled bytes to the
 * whole-document serialisers (renderRss, renderAtom, renderJson), on the
 * golden fixtures and on hostile content.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build, type BuildReport } from '../src/build.js';
import type { ConfigInput } from '../src/config.js';
import type { Article } from '../src/content/schema.js';
import { atomEntry, atomFrame, renderAtom } from '../src/publish/atom.js';
import { assemble, type FormatSerialiser } from '../src/publish/fragment.js';
import { jsonFrame, jsonItem, renderJson } from '../src/publish/json.js';
import { buildFeedModels, FEED_FILES, type FeedFormat, type FeedModel } from '../src/publish/model.js';
import { renderRss, rssFrame, rssItem } from '../src/publish/rss.js';
import type { RenderedMap } from '../src/publish/shared.js';
import { article, baseConfig, makeSite, NOW } from './helpers/site.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

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
    const a = models[0]!.items.find((i) => placesOf(i).size > 1)!; // first in one feed, later in another
    expect(a).toBeDefined();
    const feeds = models.filter((m) => m.items.includes(a));
    for (const format of Object.keys(SERIALISERS) as FeedFormat[]) {
      const fragment = SERIALISERS[format].item(a, rendered.get(a.id)!);
      for (const m of feeds) expect(report.files.get(m.dir + FEED_FILES[format]), m.key).toContain(fragment);
    }
  });
});
