import { describe, expect, it } from 'vitest';
import { parseFeedRecords } from '../../src/publish/feed-records.js';

const rec = (key: string, kind: string, extra: Record<string, unknown> = {}) => ({ key, kind, title: 'T', description: 'D', ...extra });

describe('the feed records read back from a manifest', () => {
  it('keep each well-formed feed, in its own folder under its own key', () => {
    const records = parseFeedRecords({
      '': rec('main', 'main'),
      'tags/r-d-dacc7c16/': rec('tag/r-d-dacc7c16', 'tag', { empty: '2026-11-25T12:00:00.000Z' }),
      'sections/world/': rec('section/world', 'section'),
      'authors/ann/': rec('author/ann', 'author'),
    });
    expect(Object.keys(records)).toEqual(['', 'tags/r-d-dacc7c16/', 'sections/world/', 'authors/ann/']);
    expect(records['tags/r-d-dacc7c16/']!.empty).toBe('2026-11-25T12:00:00.000Z');
  });

  it('drop any that would name another file, another key or a bad date: a build never writes outside a feed folder', () => {
    expect(
      parseFeedRecords({
        'tags/../': rec('tag/..', 'tag'),
        'tags/./': rec('tag/.', 'tag'),
        'tags/a/b/': rec('tag/a/b', 'tag'),
        'tags/x/': rec('main', 'tag'),
        'sections/x/': rec('tag/x', 'tag'),
        'archive/1/': rec('tag/1', 'tag'),
        'x/': rec('main', 'main'),
        'tags/y/': rec('tag/y', 'tag', { empty: 'yesterday' }),
        'tags/z/': { key: 'tag/z', kind: 'tag', title: 1, description: 'D' },
        'tags/w/': null,
      }),
    ).toEqual({});
    expect(parseFeedRecords('not a record')).toEqual({});
    expect(parseFeedRecords(undefined)).toEqual({});
  });
});
