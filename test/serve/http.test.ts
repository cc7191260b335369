import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { etagMatches, etagMatchesStrongly, negotiateEncoding, parseHttpDate, prefersGenericXml, rankEncodings } from '../../src/serve/headers.js';
import { resolveRequestPath } from '../../src/serve/path.js';
import { publishFiles } from '../../src/publish/write.js';
import { makeSite } from '../helpers/site.js';
import { parseManifest, readManifest } from '../../src/publish/manifest.js';

describe('resolveRequestPath', () => {
  it.each([
    ['/', 'index.html'],
    ['/feed.xml', 'feed.xml'],
    ['/feed.xml?x=1', 'feed.xml'],
    ['/tags/c%2B%2B/feed.xml', 'tags/c++/feed.xml'],
    ['/tags/x/', 'tags/x/index.html'],
    ['http://example.com/atom.xml', 'atom.xml'],
    ['http://example.com', 'index.html'],
    ['/%252e%252e/x', '%2e%2e/x'],
  ])('%s → %s', (target, key) => {
    expect(resolveRequestPath(target)).toEqual({ ok: true, key });
  });

  it.each([
    ['/../x', 400],
    ['/a/../x', 400],
    ['/a/..', 400],
    ['/.', 400],
    ['/%2e%2e/x', 400],
    ['/a%2fb', 400],
    ['/a%5cb', 400],
    ['/a\\b', 400],
    ['/a%00', 400],
    ['/a%0d%0a', 400],
    ['/%', 400],
    ['/%zz', 400],
    ['/%ff', 400],
    ['x', 400],
    ['*', 400],
    ['', 400],
    ['/' + 'x'.repeat(1024), 400],
    ['/.hidden', 404],
    ['/a/.b/c', 404],
  ])('%j → %i', (target, status) => {
    expect(resolveRequestPath(target)).toMatchObject({ ok: false, status });
  });

  it('accepts the longest allowed path', () => {
    expect(resolveRequestPath('/' + 'x'.repeat(1023)).ok).toBe(true);
  });
});

describe('header parsing', () => {
  it('negotiates codings by weight, br then gzip on ties', () => {
    expect(negotiateEncoding(undefined)).toBe('identity');
    expect(negotiateEncoding('gzip, br')).toBe('br');
    expect(negotiateEncoding('gzip;q=1, br;q=0.999')).toBe('gzip');
    expect(negotiateEncoding('identity, gzip;q=0.5')).toBe('identity');
    expect(negotiateEncoding('identity;q=0.5, gzip;q=0.5')).toBe('gzip');
    expect(negotiateEncoding('*;q=0')).toBe('identity');
    expect(negotiateEncoding('br;q=0.')).toBe('identity'); // "0." is a valid qvalue: zero
    expect(negotiateEncoding('br;q=0.0001')).toBe('identity'); // four decimals: not a qvalue
  });

  it('ranks the acceptable codings, best first, identity last (what to send while a file is not compressed yet)', () => {
    expect(rankEncodings(undefined)).toEqual(['identity']);
    expect(rankEncodings('')).toEqual(['identity']);
    expect(rankEncodings('gzip, br')).toEqual(['br', 'gzip', 'identity']);
    expect(rankEncodings('gzip, deflate, br, zstd')).toEqual(['br', 'gzip', 'identity']);
    expect(rankEncodings('gzip;q=1, br;q=0.5')).toEqual(['gzip', 'br', 'identity']);
    expect(rankEncodings('br')).toEqual(['br', 'identity']);
    expect(rankEncodings('br, gzip;q=0')).toEqual(['br', 'identity']);
    expect(rankEncodings('identity, gzip;q=0.5')).toEqual(['identity']);
    expect(rankEncodings('identity;q=0.5, gzip;q=0.5')).toEqual(['gzip', 'identity']);
    expect(rankEncodings('*;q=0.2, gzip;q=0.5')).toEqual(['gzip', 'br', 'identity']);
    expect(rankEncodings('*;q=0')).toEqual(['identity']);
  });

  it('sends application/xml only to clients that prefer it to the feed type', () => {
    expect(prefersGenericXml(undefined, 'application/rss+xml')).toBe(false);
    expect(prefersGenericXml('*/*', 'application/rss+xml')).toBe(false);
    expect(prefersGenericXml('application/*, */*;q=0.1', 'application/rss+xml')).toBe(false);
    expect(prefersGenericXml('application/xml', 'application/rss+xml')).toBe(true);
    expect(prefersGenericXml('application/atom+xml;q=0.5, application/xml', 'application/atom+xml')).toBe(true);
    expect(prefersGenericXml('text/html,application/xml;q=0.9,*/*;q=0.8', 'application/atom+xml')).toBe(true);
  });

  it('compares entity tags weakly for If-None-Match', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b" , W/"a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"a-gz"', '"a"')).toBe(false);
    expect(etagMatches('a', '"a"')).toBe(false);
  });

  it('compares entity tags strongly for If-Match: a weak tag never matches', () => {
    expect(etagMatchesStrongly('"a"', '"a"')).toBe(true);
    expect(etagMatchesStrongly('"b", "a"', '"a"')).toBe(true);
    expect(etagMatchesStrongly('*', '"a"')).toBe(true);
    expect(etagMatchesStrongly('W/"a"', '"a"')).toBe(false);
    expect(etagMatchesStrongly('"b", W/"a"', '"a"')).toBe(false);
    expect(etagMatchesStrongly('a', '"a"')).toBe(false);
    expect(etagMatchesStrongly('"a-gz"', '"a"')).toBe(false);
  });

  it('reads the three HTTP-date forms as UTC and nothing else', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', new Date('2026-01-01'))).toBe(t);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t);
    expect(parseHttpDate('Friday, 01-Jan-76 00:00:00 GMT', new Date('2026-01-01'))).toBe(Date.UTC(2076, 0, 1)); // 50 years ahead at most
    expect(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', new Date('2026-01-01'))).toBe(Date.UTC(1977, 0, 1));
    expect(parseHttpDate('Friday, 01-Jan-80 00:00:00 GMT', new Date('2026-01-01'))).toBe(Date.UTC(1980, 0, 1));
    for (const bad of ['1994-11-06T08:49:37Z', 'Sun, 06 Nov 1994 08:49:37 PST', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', '784111777', '']) {
      expect(parseHttpDate(bad), bad).toBeUndefined();
    }
  });
});

describe('manifest', () => {
  const dates = (m: Awaited<ReturnType<typeof readManifest>>, rel: string) => m.published[rel]!.lastModified;

  it('records the hash and the content’s own time, and moves Last-Modified forward on any change', async () => {
    const { outDir } = await makeSite({});
    const updated = new Map([['feed.xml', new Date('2026-03-01T10:00:00.500Z')]]);
    await publishFiles(outDir, new Map([['feed.xml', 'one'], ['feed.xsl', 'style']]), { updated, now: new Date('2026-03-05T00:00:00Z') });
    let m = await readManifest(outDir);
    expect(dates(m, 'feed.xml')).toBe('2026-03-01T10:00:00.000Z');
    expect(dates(m, 'feed.xsl')).toBe('2026-03-05T00:00:00.000Z');
    expect(m.published['feed.xml']!.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Same bytes, later build: nothing moves.
    await publishFiles(outDir, new Map([['feed.xml', 'one'], ['feed.xsl', 'style']]), { updated, now: new Date('2026-04-01T00:00:00Z') });
    m = await readManifest(outDir);
    expect(dates(m, 'feed.xml')).toBe('2026-03-01T10:00:00.000Z');
    expect(dates(m, 'feed.xsl')).toBe('2026-03-05T00:00:00.000Z');

    // New bytes, but the content's time went back (an article withdrawn): the build's clock.
    await publishFiles(outDir, new Map([['feed.xml', 'two']]), { updated: new Map([['feed.xml', new Date('2026-02-01T00:00:00Z')]]), now: new Date('2026-04-02T00:00:00Z') });
    m = await readManifest(outDir);
    expect(dates(m, 'feed.xml')).toBe('2026-04-02T00:00:00.000Z');

    // New bytes and a clock that is not later: still one second after the previous value.
    await publishFiles(outDir, new Map([['feed.xml', 'three']]), { updated: new Map([['feed.xml', new Date('2026-02-01T00:00:00Z')]]), now: new Date('2026-01-01T00:00:00Z') });
    m = await readManifest(outDir);
    expect(dates(m, 'feed.xml')).toBe('2026-04-02T00:00:01.000Z');

    // A newer article: its time.
    await publishFiles(outDir, new Map([['feed.xml', 'four']]), { updated: new Map([['feed.xml', new Date('2026-05-01T00:00:00Z')]]), now: new Date('2026-05-02T00:00:00Z') });
    m = await readManifest(outDir);
    expect(dates(m, 'feed.xml')).toBe('2026-05-01T00:00:00.000Z');
  });

  it('reads manifests of earlier versions, and refuses unsafe or malformed entries', async () => {
    expect(parseManifest('{"files":["feed.xml","tags/a/feed.xml"]}')).toEqual({ files: ['feed.xml', 'tags/a/feed.xml'], published: {} });
    expect(parseManifest('{"files":["../x","/etc/passwd","a//b",3,"ok.xml"],"published":{"ok.xml":{"sha256":"zz","lastModified":"x"}}}')).toEqual({ files: ['ok.xml'], published: {} });
    expect(parseManifest('not json')).toEqual({ files: [], published: {} });
    expect(parseManifest('null')).toEqual({ files: [], published: {} });
    const { outDir } = await makeSite({});
    await publishFiles(outDir, new Map([['a.xml', 'x']]));
    const text = await readFile(path.join(outDir, '.feedpipe-manifest.json'), 'utf8');
    expect(JSON.parse(text)).toEqual({ files: ['a.xml'], published: { 'a.xml': { sha256: expect.any(String), lastModified: expect.any(String) } } });
  });
});
