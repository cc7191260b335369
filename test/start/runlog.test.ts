import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { diffSnapshots, formatRunHuman, formatRunJson, readPublishedSnapshot, snapshotOfFiles, snapshotOfReport, type RunRecord } from '../../src/start/runlog.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

const feed = (...items: Array<[string, string]>) => JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items: items.map(([id, title]) => ({ id, title })) });

describe('run log', () => {
  it('diffs feeds item by item: added, updated (anything about the item changed), removed; in the index page\'s order', () => {
    const before = snapshotOfFiles(new Map([
      ['feed.json', feed(['a', 'A'], ['b', 'B'])],
      ['tags/old/feed.json', feed(['a', 'A'])],
      ['authors/gone/feed.json', feed(['b', 'B'])],
      ['feed.xml', '<rss/>'],
    ]));
    const after = snapshotOfFiles(new Map([
      ['feed.json', feed(['c', 'C'], ['a', 'A, corrected'])],
      ['sections/world/feed.json', feed(['c', 'C'])],
    ]));
    expect(diffSnapshots(before, after, [{ key: 'main', items: 2, updated: new Date(0), files: ['feed.xml', 'feed.json'] }])).toEqual([
      { feed: 'main', added: 1, updated: 1, removed: 1 },
      { feed: 'section/world', added: 1, updated: 0, removed: 0 },
      { feed: 'tag/old', added: 0, updated: 0, removed: 1 },
      { feed: 'author/gone', added: 0, updated: 0, removed: 1 },
    ]);
    expect(diffSnapshots(after, after)).toEqual([]);
  });

  it('a build that keeps no text gives the same snapshot from the bytes of its items as from the files, and the one the next run reads back; archive pages are not in it', async () => {
    const s = await makeSite({
      'a.md': article({ title: 'Café “one”', date: '2026-01-01T09:00:00Z', tags: ['X'] }, 'Body é.'),
      'b.md': article({ title: 'Two', date: '2026-01-02T09:00:00Z', tags: ['X'] }),
    });
    // With one item a feed, every feed has an archive page: what subscribers see is the subscription documents.
    const options = { config: { ...baseConfig, feeds: { limit: 1 } }, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root };
    const texts = await build({ ...options, write: false });
    const bytes = await build({ ...options, keepFiles: false });
    expect(bytes.files.size).toBe(0);
    const fromBytes = snapshotOfReport(bytes);
    expect([...fromBytes.keys()].sort()).toEqual(['authors/newsroom/feed.json', 'feed.json', 'tags/x/feed.json']);
    expect(fromBytes).toEqual(snapshotOfFiles(texts.files));
    expect(fromBytes).toEqual(await readPublishedSnapshot(s.outDir));
    expect(diffSnapshots(await readPublishedSnapshot(s.outDir), fromBytes)).toEqual([]);
  });

  it('reads what an earlier run published through the manifest, and nothing else', async () => {
    const { outDir } = await makeSite({});
    await mkdir(path.join(outDir, 'tags/x'), { recursive: true });
    await writeFile(path.join(outDir, '.feedpipe-manifest.json'), JSON.stringify({ files: ['feed.json', 'feed.xml', 'tags/x/feed.json', '../evil/feed.json'] }));
    await writeFile(path.join(outDir, 'feed.json'), feed(['a', 'A']));
    await writeFile(path.join(outDir, 'tags/x/feed.json'), 'not json');
    const snap = await readPublishedSnapshot(outDir);
    expect([...snap.keys()]).toEqual(['feed.json']);
    expect(await readPublishedSnapshot(path.join(outDir, 'nowhere'))).toEqual(new Map());
  });

  const record: RunRecord = {
    time: new Date('2026-11-25T12:00:01.004Z'),
    triggers: ['due'],
    ok: true,
    changes: [{ feed: 'main', added: 1, updated: 0, removed: 0 }, { feed: 'tag/space', added: 1, updated: 0, removed: 0 }],
    written: 6,
    unchanged: 15,
    removed: 0,
    errors: 0,
    warnings: 0,
    nextDue: new Date('2031-06-01T09:00:00Z'),
    durationMs: 41.6,
  };

  it('formats one line for a person', () => {
    expect(formatRunHuman(record)).toBe('2026-11-25T12:00:01Z due    main +1 ~0 -0, tag/space +1 ~0 -0 · 6 written, 15 unchanged · next due 2031-06-01T09:00:00Z · 42 ms\n');
    expect(formatRunHuman({ ...record, triggers: ['cron', 'watch'], changes: [], written: 0, removed: 3, nextDue: undefined })).toBe(
      '2026-11-25T12:00:01Z cron+watch no changes · 0 written, 15 unchanged, 3 removed · nothing scheduled · 42 ms\n',
    );
    expect(formatRunHuman({ ...record, ok: false, errors: 2, warnings: 1, changes: [] })).toBe(
      '2026-11-25T12:00:01Z due    FAILED: 2 errors, 1 warning; the published feeds are unchanged · next due 2031-06-01T09:00:00Z · 42 ms\n',
    );
  });

  it('names at most five changed feeds on a person\'s line and sums the rest; the JSON line lists them all', () => {
    const changes = [{ feed: 'main', added: 8, updated: 0, removed: 0 }, ...Array.from({ length: 9 }, (_, i) => ({ feed: `author/a${i}`, added: 1, updated: i % 2, removed: 0 }))];
    const line = formatRunHuman({ ...record, changes });
    expect(line).toContain('main +8 ~0 -0, author/a0 +1 ~0 -0, author/a1 +1 ~1 -0, author/a2 +1 ~0 -0, author/a3 +1 ~1 -0, 5 more feeds +5 ~2 -0 · ');
    expect(line.length).toBeLessThan(240);
    expect((JSON.parse(formatRunJson({ ...record, changes })) as { feeds: unknown[] }).feeds).toHaveLength(10);
  });

  it('formats one JSON object per line for a machine', () => {
    const line = formatRunJson(record);
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-25T12:00:01.004Z',
      event: 'run',
      trigger: 'due',
      triggers: ['due'],
      ok: true,
      feeds: record.changes,
      files: { written: 6, unchanged: 15, removed: 0 },
      errors: 0,
      warnings: 0,
      nextDue: '2031-06-01T09:00:00.000Z',
      durationMs: 42,
    });
  });
});
