/** respond() over a snapshot built in memory: no socket, no disk. */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, kindOf, represent, resourceOf, uncompressed, type Resource } from '../../src/serve/resource.js';
import { negotiationMemo, respond, type Request, type RespondContext, type Response } from '../../src/serve/respond.js';
import type { Snapshot } from '../../src/serve/snapshot.js';

const RSS = Buffer.from(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Daily</title>${'<item><title>News of the day</title></item>'.repeat(40)}</channel></rss>`);
const JSON_FEED = Buffer.from(JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Daily', items: [] }));
const PAGE = Buffer.from('<!doctype html><title>Daily</title><p>The feeds.</p>');
const UPDATED = Date.parse('2026-05-02T09:00:00Z');
const NOW = Date.parse('2026-06-01T12:00:00Z');
const CHROMIUM_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

async function resource(rel: string, bytes: Buffer, lastModifiedMs = UPDATED): Promise<Resource> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return resourceOf(kindOf(rel)!, sha256, lastModifiedMs, await represent(bytes, sha256, 5));
}

let snapshot: Snapshot;
beforeAll(async () => {
  const resources = new Map<string, Resource>([
    ['feed.xml', await resource('feed.xml', RSS)],
    ['tags/world/feed.json', await resource('tags/world/feed.json', JSON_FEED)],
    ['index.html', await resource('index.html', PAGE)],
    ['future/feed.json', await resource('future/feed.json', JSON_FEED, NOW + 3_600_000)],
    // Never in a real snapshot; here to show the path rule alone keeps it private.
    ['.feedpipe-manifest.json', await resource('feed.json', JSON_FEED)],
  ]);
  snapshot = { manifestText: '{}', verified: true, resources };
});

const context = (): RespondContext => ({ snapshot, cacheControl: 'public, max-age=123', now: NOW });
const ask = (url: string, headers: Request['headers'] = {}, method = 'GET'): Response => respond({ method, url, headers }, context());
/** The strong validator the README promises: 128 bits of the bytes' SHA-256, base64url, per coding. */
const etagOf = (bytes: Buffer, suffix = '') => `"${createHash('sha256').update(bytes).digest().subarray(0, 16).toString('base64url')}${suffix}"`;

describe('respond: 200', () => {
  it('sends a feed with its type, ETag, Last-Modified, cache lifetime, CORS and the bytes', () => {
    const r = ask('/feed.xml');
    expect(r.status).toBe(200);
    expect(r.headers).toEqual({
      'Cache-Control': 'public, max-age=123',
      ETag: etagOf(RSS),
      Vary: 'Accept-Encoding, Accept',
      'X-Content-Type-Options': 'nosniff',
      'Last-Modified': 'Sat, 02 May 2026 09:00:00 GMT',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'ETag',
      'Content-Type': 'application/rss+xml; charset=utf-8',
      'Content-Length': String(RSS.length),
    });
    expect(r.body!.equals(RSS)).toBe(true);
  });

  it('sends JSON Feed as application/feed+json, varying only by coding, with CORS', () => {
    const r = ask('/tags/world/feed.json', { accept: CHROMIUM_ACCEPT });
    expect(r.headers['Content-Type']).toBe('application/feed+json; charset=utf-8');
    expect(r.headers.Vary).toBe('Accept-Encoding');
    expect(r.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(r.body!.equals(JSON_FEED)).toBe(true);
  });

  it('sends the page for "/" as text/html with the strict policy and no CORS', () => {
    const r = ask('/');
    expect(r.status).toBe(200);
    expect(r.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(r.headers['Content-Security-Policy']).toMatch(/^default-src 'none'; /);
    expect(r.headers['Access-Control-Allow-Origin']).toBeUndefined();
    expect(r.body!.equals(PAGE)).toBe(true);
  });

  it('never dates Last-Modified after the response', () => {
    expect(ask('/future/feed.json').headers['Last-Modified']).toBe(new Date(NOW).toUTCString());
  });

  it('gives a browser RSS as application/xml, with its own ETag', () => {
    const r = ask('/feed.xml', { accept: CHROMIUM_ACCEPT });
    expect(r.headers['Content-Type']).toBe('application/xml; charset=utf-8');
    expect(r.headers.ETag).toBe(etagOf(RSS, '-xml'));
    expect(r.body!.equals(RSS)).toBe(true);
    expect(ask('/feed.xml', { accept: '*/*' }).headers['Content-Type']).toBe('application/rss+xml; charset=utf-8');
  });
});

describe('respond: conditional GET', () => {
  it.each([etagOf(RSS), `W/${etagOf(RSS)}`, `"other", ${etagOf(RSS)}`, `"a",W/${etagOf(RSS)} , "b"`, '*'])('If-None-Match %s: 304 with the validators, no body, no type', (inm) => {
    const r = ask('/feed.xml', { 'if-none-match': inm });
    expect(r.status).toBe(304);
    expect(r.body).toBeUndefined();
    expect(r.headers.ETag).toBe(etagOf(RSS));
    expect(r.headers['Last-Modified']).toBe('Sat, 02 May 2026 09:00:00 GMT');
    expect(r.headers['Cache-Control']).toBe('public, max-age=123');
    expect(r.headers['Content-Type']).toBeUndefined();
    expect(r.headers['Content-Length']).toBeUndefined();
  });

  it.each(['"other"', `W/"${etagOf(RSS).slice(2)}`, etagOf(RSS, '-gz'), etagOf(RSS, '-xml')])('If-None-Match %s (another representation): 200', (inm) => {
    expect(ask('/feed.xml', { 'if-none-match': inm }).status).toBe(200);
  });

  it.each([
    ['Sat, 02 May 2026 09:00:00 GMT', 304],
    ['Sat, 02 May 2026 09:00:01 GMT', 304],
    ['Saturday, 02-May-26 09:00:00 GMT', 304],
    ['Sat May  2 09:00:00 2026', 304],
    ['Sat, 02 May 2026 08:59:59 GMT', 200],
    ['2026-05-02T09:00:00Z', 200],
    ['Sat, 31 Feb 2026 09:00:00 GMT', 200],
  ])('If-Modified-Since %s: %i', (ims, status) => {
    const r = ask('/feed.xml', { 'if-modified-since': ims });
    expect(r.status).toBe(status);
    expect(r.body === undefined).toBe(status === 304);
  });

  it('lets If-None-Match decide when both are sent', () => {
    expect(ask('/feed.xml', { 'if-none-match': '"stale"', 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }).status).toBe(200);
    expect(ask('/feed.xml', { 'if-none-match': etagOf(RSS), 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }).status).toBe(304);
  });
});

describe('respond: If-Match and If-Unmodified-Since (RFC 9110 13.1.1, 13.1.4, 13.2.2)', () => {
  const LM = 'Sat, 02 May 2026 09:00:00 GMT';
  const failed = (r: Response, method = 'GET') => {
    expect(r.status).toBe(412);
    expect(r.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['Cache-Control']).toBe('no-store');
    expect(r.headers.Vary).toBe('Accept-Encoding, Accept');
    expect(r.headers.ETag).toBeUndefined();
    expect(r.headers['Last-Modified']).toBeUndefined();
    expect(r.headers['Content-Length']).toBe(String('412 Precondition Failed: precondition failed\n'.length));
    if (method === 'HEAD') expect(r.body).toBeUndefined();
    else expect(r.body!.toString()).toBe('412 Precondition Failed: precondition failed\n');
  };

  it.each([etagOf(RSS), '*', `"other", ${etagOf(RSS)}`, ` ${etagOf(RSS)} ,"b"`])('If-Match %s: the representation is sent', (im) => {
    const r = ask('/feed.xml', { 'if-match': im });
    expect(r.status).toBe(200);
    expect(r.body!.equals(RSS)).toBe(true);
  });

  it.each([`W/${etagOf(RSS)}`, '"other"', etagOf(RSS, '-gz'), etagOf(RSS, '-xml'), etagOf(RSS).slice(1, -1), ''])('If-Match %j (weak, or another representation): 412', (im) => {
    failed(ask('/feed.xml', { 'if-match': im }));
    failed(ask('/feed.xml', { 'if-match': im }, 'HEAD'), 'HEAD');
  });

  it('compares If-Match with the representation negotiated: the gzip tag for gzip, the -xml tag for a browser', () => {
    expect(ask('/feed.xml', { 'if-match': etagOf(RSS, '-gz'), 'accept-encoding': 'gzip' }).status).toBe(200);
    expect(ask('/feed.xml', { 'if-match': etagOf(RSS), 'accept-encoding': 'gzip' }).status).toBe(412);
    expect(ask('/feed.xml', { 'if-match': etagOf(RSS, '-xml'), accept: CHROMIUM_ACCEPT }).status).toBe(200);
  });

  it.each([
    [LM, 200],
    ['Sat, 02 May 2026 09:00:01 GMT', 200],
    ['Saturday, 02-May-26 09:00:00 GMT', 200],
    ['Sat May  2 09:00:00 2026', 200],
    ['Sat, 02 May 2026 08:59:59 GMT', 412],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 412],
    ['2026-05-01T00:00:00Z', 200], // not an HTTP-date: ignored
    ['Sat, 02 May 2026 08:59:59 GMT, Sat, 02 May 2026 08:59:59 GMT', 200], // a list: ignored
  ])('If-Unmodified-Since %s: %i', (ius, status) => {
    const r = ask('/feed.xml', { 'if-unmodified-since': ius });
    expect(r.status).toBe(status);
    if (status === 412) failed(r);
  });

  it('ignores If-Unmodified-Since when If-Match is sent', () => {
    expect(ask('/feed.xml', { 'if-match': etagOf(RSS), 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }).status).toBe(200);
    expect(ask('/feed.xml', { 'if-match': '"other"', 'if-unmodified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }).status).toBe(412);
  });

  it('evaluates them before If-None-Match and If-Modified-Since: 412 wins over 304', () => {
    const current = { 'if-none-match': etagOf(RSS) };
    expect(ask('/feed.xml', { ...current, 'if-match': etagOf(RSS) }).status).toBe(304);
    expect(ask('/feed.xml', { ...current, 'if-match': '"other"' }).status).toBe(412);
    expect(ask('/feed.xml', { ...current, 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }).status).toBe(412);
    expect(ask('/feed.xml', { 'if-unmodified-since': LM, 'if-modified-since': LM }).status).toBe(304);
    expect(ask('/feed.xml', { 'if-match': '*', 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }).status).toBe(200);
  });

  it('never turns a 404 or 405 into a 412', () => {
    expect(ask('/missing.xml', { 'if-match': '*' }).status).toBe(404);
    expect(ask('/missing.xml', { 'if-match': '"x"' }).status).toBe(404);
    expect(respond({ method: 'POST', url: '/feed.xml', headers: { 'if-match': '"x"' } }, context()).status).toBe(405);
  });

  it('treats a file dated after the response as modified since any date', () => {
    expect(ask('/future/feed.json', { 'if-unmodified-since': new Date(NOW).toUTCString() }).status).toBe(412);
  });
});

describe('respond: a file whose codings are still being made', () => {
  const key = 'tags/late/feed.xml';
  const late = () => {
    const sha256 = createHash('sha256').update(RSS).digest('hex');
    const resource = resourceOf(kindOf(key)!, sha256, UPDATED, uncompressed(RSS, sha256));
    const context: RespondContext = { snapshot: { manifestText: '{}', verified: true, resources: new Map([[key, resource]]) }, cacheControl: 'public, max-age=1', now: NOW };
    return { resource, sha256, get: (ae: string) => respond({ method: 'GET', url: '/' + key, headers: { 'accept-encoding': ae } }, context) };
  };

  it('is sent uncompressed at once, with the identity ETag and Vary, then in the best coding made', async () => {
    const { resource, sha256, get } = late();
    const before = get('gzip, br');
    expect(before.headers['Content-Encoding']).toBeUndefined();
    expect(before.headers.ETag).toBe(etagOf(RSS));
    expect(before.headers.Vary).toBe('Accept-Encoding, Accept');
    expect(before.body!.equals(RSS)).toBe(true);
    // gzip is made first: a client that prefers br gets gzip meanwhile, if it accepts it.
    const gz = await represent(RSS, sha256, 5);
    resource.representations.gzip = gz.gzip;
    expect(get('gzip, br').headers['Content-Encoding']).toBe('gzip');
    expect(get('gzip, br').headers.ETag).toBe(etagOf(RSS, '-gz'));
    expect(get('br').headers['Content-Encoding']).toBeUndefined();
    expect(get('br, gzip;q=0').headers.ETag).toBe(etagOf(RSS));
    await compress(resource.representations, sha256, 5);
    const after = get('gzip, br');
    expect(after.headers['Content-Encoding']).toBe('br');
    expect(after.headers.ETag).toBe(etagOf(RSS, '-br'));
    expect(zlib.brotliDecompressSync(after.body!).equals(RSS)).toBe(true);
  });
});

describe('respond: HEAD', () => {
  it.each(['identity', 'gzip', 'br'])('has the headers of GET and no body (Accept-Encoding %s)', (ae) => {
    const get = ask('/feed.xml', { 'accept-encoding': ae });
    const head = ask('/feed.xml', { 'accept-encoding': ae }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(head.headers).toEqual(get.headers);
    expect(Number(head.headers['Content-Length'])).toBe(get.body!.length);
  });

  it('has no body for an error either', () => {
    const r = ask('/missing', {}, 'HEAD');
    expect(r.status).toBe(404);
    expect(r.body).toBeUndefined();
    expect(r.headers['Content-Length']).toBe(String('404 Not Found: not found\n'.length));
  });
});

describe('respond: content coding by Accept-Encoding q-values', () => {
  const decode = (r: Response) => (r.headers['Content-Encoding'] === 'gzip' ? zlib.gunzipSync(r.body!) : r.headers['Content-Encoding'] === 'br' ? zlib.brotliDecompressSync(r.body!) : r.body!);
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.5', 'br'],
    ['gzip;q=1, br;q=0.999', 'gzip'],
    ['identity, gzip;q=0.5', undefined],
    ['br;q=0, gzip;q=0', undefined],
    ['identity;q=0', undefined],
    ['*', 'br'],
    ['*;q=0, identity', undefined],
    ['deflate', undefined],
  ])('%j → %s', (ae, coding) => {
    const r = ask('/feed.xml', ae === undefined ? {} : { 'accept-encoding': ae });
    expect(r.status).toBe(200);
    expect(r.headers['Content-Encoding']).toBe(coding);
    expect(r.headers['Content-Length']).toBe(String(r.body!.length));
    expect(decode(r).equals(RSS)).toBe(true);
    if (coding) expect(r.body!.length).toBeLessThan(RSS.length);
    expect(r.headers.ETag).toBe(etagOf(RSS, coding === 'gzip' ? '-gz' : coding === 'br' ? '-br' : ''));
  });

  it('answers the same through the per-server memo, whatever it saw before', () => {
    const memo = negotiationMemo(2);
    const withMemo = (ae: string, accept: string) => respond({ method: 'GET', url: '/feed.xml', headers: { 'accept-encoding': ae, accept } }, { ...context(), memo });
    for (const [ae, accept] of [['gzip', '*/*'], ['br', CHROMIUM_ACCEPT], ['gzip', CHROMIUM_ACCEPT], ['identity', '*/*'], ['br', '*/*']] as const) {
      const expected = ask('/feed.xml', { 'accept-encoding': ae, accept });
      expect(withMemo(ae, accept).headers, `${ae} ${accept}`).toEqual(expected.headers);
    }
  });
});

describe('respond: errors', () => {
  const isError = (r: Response, status: number, text: string) => {
    expect(r.status).toBe(status);
    expect(r.body!.toString()).toBe(text);
    expect(r.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['Cache-Control']).toBe('no-store');
    expect(r.headers['Content-Length']).toBe(String(r.body!.length));
    expect(r.headers.ETag).toBeUndefined();
  };

  it.each(['/nope.xml', '/FEED.XML', '/tags/world/', '/tags/world', '//feed.xml', '/.feedpipe-manifest.json', '/%2efeedpipe-manifest.json'])('%s: 404', (url) => {
    isError(ask(url), 404, '404 Not Found: not found\n');
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get', undefined])('%s: 405 with Allow', (method) => {
    const r = respond({ method, url: '/feed.xml', headers: {} }, context());
    isError(r, 405, '405 Method Not Allowed: only GET and HEAD\n');
    expect(r.headers.Allow).toBe('GET, HEAD');
  });

  it.each(['/../feed.xml', '/%2e%2e/feed.xml', '/tags%2Fworld%2Ffeed.json', '/feed.xml%00', '/%ZZ', 'feed.xml'])('%s: 400, never the file', (url) => {
    const r = ask(url);
    expect(r.status).toBe(400);
    expect(r.body!.toString()).toMatch(/^400 Bad Request: /);
  });
});
