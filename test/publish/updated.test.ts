/**
 * A public article whose `updated` is later than the build's clock is an error at that field:
 * the feeds would announce an edit that has not happened (the W3C validator: "implausible
 * date"). Which articles are public is select's answer alone; a draft's or a scheduled article's
 * `updated` is nobody's business yet.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { formatDiagnostics } from '../../src/diagnostics/diagnostics.js';
import { BuildCache } from '../../src/incremental/cache.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const LATER = '2026-11-26T09:00:00Z'; // NOW is 2026-11-25T12:00:00Z

describe('an updated date later than the build', () => {
  it('is an error at its line and column on a public article, and the build writes nothing', async () => {
    const site = await makeSite({
      'edited.md': article({ title: 'Edited', date: '2026-11-20T08:00:00Z', section: 'World', updated: LATER }),
      'plain.md': article({ title: 'Plain', date: '2026-11-21T08:00:00Z' }),
    });
    const report = await build({ config: baseConfig, contentDir: site.contentDir, outDir: site.outDir, cwd: site.root, now: NOW });
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'updated-in-future',
        file: 'content/edited.md',
        line: 5,
        column: 10,
        field: 'updated',
        message: '2026-11-26T09:00:00.000Z is later than the time of this build: the feeds would announce an edit that has not happened',
        hint: 'set updated to when the article last changed, or remove it',
      },
    ]);
    expect(formatDiagnostics(report.diagnostics)).toMatch(/^content\/edited\.md:5:10  error  updated: 2026-11-26T09:00:00\.000Z is later/m);
    expect(existsSync(path.join(site.outDir, 'feed.xml'))).toBe(false);
  });

  it('is fine once the clock has reached it', async () => {
    const site = await makeSite({ 'edited.md': article({ title: 'Edited', date: '2026-11-20T08:00:00Z', updated: LATER }) });
    const report = await build({ config: baseConfig, contentDir: site.contentDir, cwd: site.root, now: new Date(LATER), write: false });
    expect(report.diagnostics).toEqual([]);
    expect(report.files.get('atom.xml')).toContain('<updated>2026-11-26T09:00:00.000Z</updated>');
  });

  it("is no error on a draft or an article not yet due: select decides they are not public", async () => {
    const site = await makeSite({
      'draft.md': article({ title: 'Draft', date: '2026-11-20T08:00:00Z', updated: LATER, draft: true }),
      'due.md': article({ title: 'Due', date: '2026-11-26T08:00:00Z', updated: LATER }),
      'plain.md': article({ title: 'Plain', date: '2026-11-21T08:00:00Z' }),
    });
    const report = await build({ config: baseConfig, contentDir: site.contentDir, cwd: site.root, now: NOW, write: false });
    expect(report.diagnostics).toEqual([]);
    expect(report.visible?.map((a) => a.title)).toEqual(['Plain']);
    // When `due` falls due, its updated is still an hour ahead: then the build fails, until 09:00.
    const due = await build({ config: baseConfig, contentDir: site.contentDir, cwd: site.root, now: new Date('2026-11-26T08:00:00Z'), write: false });
    expect(due.diagnostics.map((d) => `${d.code} ${d.file}`)).toEqual(['updated-in-future content/due.md']);
  });

  it('is found at its line in an article the cache kept (its frontmatter is read again)', async () => {
    const site = await makeSite({ 'a/edited.md': '---\ntitle: Edited\ndate: 2026-11-20T08:00:00Z\n\n# a comment\nupdated:    2026-11-26T09:00:00Z\n---\nBody.\n' });
    const options = { config: baseConfig, contentDir: site.contentDir, cwd: site.root, write: false, cache: new BuildCache('') };
    expect((await build({ ...options, now: new Date(LATER) })).diagnostics).toEqual([]);
    const back = await build({ ...options, now: NOW });
    expect(back.stats.parsed).toBe(0);
    expect(back.diagnostics).toMatchObject([{ code: 'updated-in-future', file: 'content/a/edited.md', line: 6, column: 13 }]);
  });
});
