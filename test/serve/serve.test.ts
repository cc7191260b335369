import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { build, type BuildReport } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import { createFeedServer, type FeedServer } from '../../src/serve/server.js';
import { publishFiles } from '../../src/publish/write.js';
import { raw, request } from '../helpers/http.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { readManifest } from '../../src/publish/manifest.js';

const open: FeedServer[] = [];
const roots: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});
afterAll(async () => {
  if (template) await rm((await template).root, { recursive: true, force: true });
});

const config: ConfigInput = { ...baseConfig, server: { maxAge: 123 } };

/** The site is built once; every test gets its own copy of it (content and dist), and its own server. */
let template: Promise<{ root: string; report: BuildReport }> | undefined;
function builtTemplate() {
  return (template ??= (async () => {
    const site = await makeSite({
      'world/alliance.md': article({ title: 'Allies agree', date: '2026-03-14T08:30:00Z', section: 'World', tags: ['Defense'] }, 'Alliance body.'),
      'markets.md': article({ title: 'Markets rally', date: '2026-05-01T10:00:00Z', updated: '2026-05-02T09:00:00Z' }, 'Markets body. '.repeat(200)),
    });
    const report = await build({ config, contentDir: site.contentDir, outDir: site.outDir, now: NOW });
    expect(report.ok).toBe(true);
    return { root: site.root, report };
  })());
}

/** A copy of the built site, served (with `compressed`, once every file has its gzip and brotli codings). */
async function servedSite(options: { watch?: boolean; compressed?: boolean } = {}) {
  const { root: templateRoot, report } = await builtTemplate();
  const root = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-serve-'));
  roots.push(root);
  await cp(templateRoot, root, { recursive: true, preserveTimestamps: true });
  const site = { root, contentDir: path.join(root, 'content'), outDir: path.join(root, 'dist') };
  const server = createFeedServer({ outDir: site.outDir, maxAge: 123, log: () => undefined });
  open.push(server);
  expect((await server.reload()).ok).toBe(true);
  if (options.compressed) await server.compressed();
  if (options.watch) server.watch();
  const { port } = await server.listen(0, '127.0.0.1');
  return { ...site, server, port, report };
}

const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest().subarray(0, 16).toString('base64url')}"`;

describe('feed server: what it serves', () => {
  it('serves each published file with its type, charset, nosniff, cache lifetime and CORS on feeds', async () => {
    const { port, outDir } = await servedSite();
    const cases: [string, string, boolean][] = [
      ['/feed.xml', 'application/rss+xml; charset=utf-8', true],
      ['/atom.xml', 'application/atom+xml; charset=utf-8', true],
      ['/feed.json', 'application/feed+json; charset=utf-8', true],
      ['/tags/defense/feed.json', 'application/feed+json; charset=utf-8', true],
      ['/index.html', 'text/html; charset=utf-8', false],
      ['/', 'text/html; charset=utf-8', false],
      ['/feed.xsl', 'text/xsl; charset=utf-8', false],
    ];
    for (const [url, type, cors] of cases) {
      const r = await request(port, url);
      expect(r.status, url).toBe(200);
      expect(r.headers['content-type'], url).toBe(type);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['cache-control'], url).toBe('public, max-age=123');
      expect(r.headers['access-control-allow-origin'], url).toBe(cors ? '*' : undefined);
      expect(r.headers.vary, url).toContain('Accept-Encoding');
      const file = url === '/' ? 'index.html' : url.slice(1);
      expect(r.body.equals(await readFile(path.join(outDir, file))), url).toBe(true);
      expect(r.headers['content-length'], url).toBe(String(r.body.length));
    }
    expect((await request(port, '/')).headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('serves nothing but what the build published: not the manifest, temp files, other files or folders', async () => {
    const { port, outDir } = await servedSite();
    await writeFile(path.join(outDir, 'robots.txt'), 'User-agent: *\n');
    await writeFile(path.join(outDir, '.feed.xml.123.abcd.tmp'), 'half');
    for (const url of ['/.feedpipe-manifest.json', '/.feed.xml.123.abcd.tmp', '/robots.txt', '/tags/defense/', '/tags/defense', '/sections/', '/nope.xml', '/FEED.XML', '//feed.xml']) {
      const r = await request(port, url);
      expect(r.status, url).toBe(404);
      expect(r.body.toString(), url).toBe('404 Not Found: not found\n');
    }
  });

  it('Last-Modified is the feed’s own updated time, the same after a rebuild on another day', async () => {
    const { port, report, contentDir, outDir, server } = await servedSite();
    const lm = (await request(port, '/feed.xml')).headers['last-modified'];
    expect(lm).toBe('Sat, 02 May 2026 09:00:00 GMT');
    expect((await request(port, '/tags/defense/atom.xml')).headers['last-modified']).toBe('Sat, 14 Mar 2026 08:30:00 GMT');
    expect(report.updated.get('feed.xml')).toEqual(new Date('2026-05-02T09:00:00Z'));
    await build({ config, contentDir, outDir, now: new Date('2027-01-01T00:00:00Z') });
    await server.reload();
    expect((await request(port, '/feed.xml')).headers['last-modified']).toBe(lm);
  });
});

describe('feed server: conditional GET (RFC 9110 13)', () => {
  it('answers a matching If-None-Match with 304, no body and the validators', async () => {
    const { port } = await servedSite();
    const first = await request(port, '/feed.json');
    const etag = first.headers.etag!;
    expect(etag).toBe(etagOf(first.body));
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const r = await request(port, '/feed.json', { headers: { 'If-None-Match': inm } });
      expect(r.status, inm).toBe(304);
      expect(r.body.length, inm).toBe(0);
      expect(r.headers.etag).toBe(etag);
      expect(r.headers['cache-control']).toBe('public, max-age=123');
      expect(r.headers.vary).toBe('Accept-Encoding');
      expect(r.headers['last-modified']).toBe(first.headers['last-modified']);
      expect(r.headers['content-type']).toBeUndefined();
    }
    expect((await request(port, '/feed.json', { headers: { 'If-None-Match': '"nope"' } })).status).toBe(200);
  });

  it('lets If-None-Match take precedence over If-Modified-Since', async () => {
    const { port } = await servedSite();
    const first = await request(port, '/feed.xml');
    const future = 'Fri, 01 Jan 2100 00:00:00 GMT';
    expect((await request(port, '/feed.xml', { headers: { 'If-None-Match': '"stale"', 'If-Modified-Since': future } })).status).toBe(200);
    expect((await request(port, '/feed.xml', { headers: { 'If-None-Match': first.headers.etag!, 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' } })).status).toBe(304);
  });

  it.each([
    ['Sat, 02 May 2026 09:00:00 GMT', 304],
    ['Sat, 02 May 2026 09:00:01 GMT', 304],
    ['Sat, 02 May 2026 08:59:59 GMT', 200],
    ['Saturday, 02-May-26 09:00:00 GMT', 304],
    ['Sat May  2 09:00:00 2026', 304],
    ['2026-05-02T09:00:00Z', 200],
    ['not a date', 200],
    ['Sat, 31 Feb 2026 09:00:00 GMT', 200],
  ])('If-Modified-Since %s gives %i', async (ims, status) => {
    const { port } = await servedSite();
    const r = await request(port, '/feed.xml', { headers: { 'If-Modified-Since': ims } });
    expect(r.status).toBe(status);
    if (status === 304) expect(r.body.length).toBe(0);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const { port } = await servedSite({ compressed: true });
    for (const ae of ['identity', 'gzip', 'br']) {
      const get = await request(port, '/atom.xml', { headers: { 'Accept-Encoding': ae } });
      const head = await request(port, '/atom.xml', { method: 'HEAD', headers: { 'Accept-Encoding': ae } });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      const { date: _a, ...getHeaders } = get.headers;
      const { date: _b, ...headHeaders } = head.headers;
      expect(headHeaders).toEqual(getHeaders);
      expect(Number(head.headers['content-length'])).toBe(get.body.length);
    }
    const missing = await request(port, '/missing', { method: 'HEAD' });
    expect(missing.status).toBe(404);
    expect(missing.body.length).toBe(0);
  });
});

describe('feed server: compression', () => {
  const decode = (enc: string | undefined, body: Buffer) => (enc === 'gzip' ? zlib.gunzipSync(body) : enc === 'br' ? zlib.brotliDecompressSync(body) : body);

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.4', 'gzip'],
    ['gzip;q=0, br;q=0', undefined],
    ['identity;q=0, gzip', 'gzip'],
    ['identity;q=0', undefined], // nothing acceptable: an uncoded 200 (RFC 9110 12.5.3), not a 406
    ['*', 'br'],
    ['*;q=0, identity', undefined],
    ['*;q=0.1, gzip;q=0.5', 'gzip'],
    ['deflate', undefined],
    ['gzip;q=2', undefined],
    ['gzip;q=abc, br', 'br'],
    ['gzip ; q=0.8 , br ; q=0.7', 'gzip'],
  ])('Accept-Encoding %j → %s', async (ae, expected) => {
    const { port } = await servedSite({ compressed: true });
    const plain = await request(port, '/feed.xml');
    const r = await request(port, '/feed.xml', { headers: ae === undefined ? {} : { 'Accept-Encoding': ae } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe(expected);
    expect(r.headers.vary).toContain('Accept-Encoding');
    expect(decode(expected, r.body).equals(plain.body)).toBe(true);
    if (expected) expect(r.body.length).toBeLessThan(plain.body.length);
  });

  it('gives each coding its own ETag, and a 304 only for the one the client holds', async () => {
    const { port } = await servedSite({ compressed: true });
    const tags = new Map<string, string>();
    for (const ae of ['identity', 'gzip', 'br']) tags.set(ae, (await request(port, '/feed.json', { headers: { 'Accept-Encoding': ae } })).headers.etag!);
    expect(new Set(tags.values()).size).toBe(3);
    expect((await request(port, '/feed.json', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': tags.get('gzip')! } })).status).toBe(304);
    expect((await request(port, '/feed.json', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': tags.get('gzip')! } })).status).toBe(200);
    expect((await request(port, '/feed.json', { headers: { 'If-None-Match': tags.get('br')! } })).status).toBe(200);
  });

  it('compresses once per published version, not per request', async () => {
    const { server, outDir } = await servedSite();
    const again = await server.reload();
    expect(again).toMatchObject({ ok: true, changed: 0 });
    // Changing one article rewrites only the feeds that carry it; only those are compressed anew.
    const manifest = await readManifest(outDir);
    const files = new Map<string, string>();
    for (const rel of manifest.files) files.set(rel, await readFile(path.join(outDir, rel), 'utf8'));
    files.set('tags/defense/feed.json', files.get('tags/defense/feed.json')!.replace('Allies agree', 'Allies agreed'));
    await publishFiles(outDir, files, { now: NOW });
    expect(await server.reload()).toMatchObject({ ok: true, changed: 1 });
  });
});

describe('feed server: browsers get RSS and Atom as application/xml so the stylesheet applies', () => {
  const CHROMIUM_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
  it.each([
    [undefined, 'application/rss+xml; charset=utf-8'],
    ['*/*', 'application/rss+xml; charset=utf-8'],
    ['application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8', 'application/rss+xml; charset=utf-8'],
    ['application/xml, */*', 'application/rss+xml; charset=utf-8'],
    [CHROMIUM_ACCEPT, 'application/xml; charset=utf-8'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/xml; charset=utf-8'],
  ])('Accept %j → %s', async (accept, type) => {
    const { port } = await servedSite();
    const r = await request(port, '/feed.xml', { headers: accept ? { Accept: accept } : {} });
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers.vary).toBe('Accept-Encoding, Accept');
  });

  it('gives the application/xml representation its own ETag; JSON Feed does not vary', async () => {
    const { port } = await servedSite();
    const feedType = await request(port, '/atom.xml');
    const xml = await request(port, '/atom.xml', { headers: { Accept: CHROMIUM_ACCEPT } });
    expect(xml.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(xml.body.equals(feedType.body)).toBe(true);
    expect(xml.headers.etag).not.toBe(feedType.headers.etag);
    expect((await request(port, '/atom.xml', { headers: { Accept: CHROMIUM_ACCEPT, 'If-None-Match': xml.headers.etag! } })).status).toBe(304);
    const json = await request(port, '/feed.json', { headers: { Accept: CHROMIUM_ACCEPT } });
    expect(json.headers['content-type']).toBe('application/feed+json; charset=utf-8');
    expect(json.headers.vary).toBe('Accept-Encoding');
  });
});

describe('feed server: hostile requests', () => {
  const line = (target: string, method = 'GET') => `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
  const cases: [string, string, number[]][] = [
    ['dot-dot', line('/../../../../etc/passwd'), [400]],
    ['dot-dot inside', line('/tags/../../secret.txt'), [400]],
    ['single dot', line('/./feed.xml'), [400]],
    ['encoded dots', line('/%2e%2e/%2e%2e/secret.txt'), [400]],
    ['encoded dots, upper case', line('/%2E%2E/secret.txt'), [400]],
    ['half-encoded dots', line('/.%2e/secret.txt'), [400]],
    ['encoded slash', line('/..%2f..%2fsecret.txt'), [400]],
    ['encoded slash, upper case', line('/tags%2Fdefense%2Ffeed.xml'), [400]],
    ['double-encoded dots', line('/%252e%252e/secret.txt'), [404]],
    ['backslashes', line('/..\\..\\secret.txt'), [400]],
    ['encoded backslash', line('/%5c..%5csecret.txt'), [400]],
    ['encoded NUL', line('/feed.xml%00.json'), [400]],
    ['raw NUL', line('/feed.xml\0'), [400]],
    ['encoded control', line('/feed%0a.xml'), [400]],
    ['malformed escape', line('/%ZZ'), [400]],
    ['truncated escape', line('/feed.xml%'), [400]],
    ['truncated UTF-8', line('/%E0%A4%A'), [400]],
    ['overlong UTF-8 dot', line('/%c0%ae%c0%ae/secret.txt'), [400]],
    ['overlong path', line('/' + 'a'.repeat(1100)), [400]],
    ['deep overlong path', line('/' + 'a/'.repeat(600) + 'feed.xml'), [400]],
    ['path beyond the header limit', line('/' + 'a'.repeat(20_000)), [400, 414, 431]],
    ['huge header', `GET /feed.xml HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, [431]],
    ['double slash to root', line('//etc/passwd'), [404]],
    ['absolute-form outside', line('http://127.0.0.1/../secret.txt'), [400]],
    ['absolute-form', line('http://evil.example/feed.xml'), [200]],
    ['asterisk form', line('*'), [400]],
    ['no leading slash', line('feed.xml'), [400]],
    ['manifest', line('/.feedpipe-manifest.json'), [404]],
    ['encoded manifest', line('/%2efeedpipe-manifest.json'), [404]],
    ['symlink out of the folder', line('/evil/index.html'), [404]],
    ['POST', line('/feed.xml', 'POST'), [405]],
    ['PUT', line('/feed.xml', 'PUT'), [405]],
    ['DELETE', line('/feed.xml', 'DELETE'), [405]],
    ['OPTIONS', line('/feed.xml', 'OPTIONS'), [405]],
    ['TRACE', line('/', 'TRACE'), [405]],
    ['PATCH', line('/', 'PATCH'), [405]],
    ['unknown method', line('/', 'BREW'), [400, 405]],
    ['lower-case method', line('/', 'get'), [400, 405]],
    ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', [400, 405]],
    ['no Host', 'GET /feed.xml HTTP/1.1\r\nConnection: close\r\n\r\n', [400]],
    ['garbage', 'GARBAGE\r\n\r\n', [400]],
    ['binary', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]).toString('latin1') + '\r\n\r\n', [400]],
    ['bad header line', 'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n', [400]],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400, 405, 505]],
    ['conflicting lengths', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', [400]],
    // The answer may go out before the body is parsed; the parse error then closes the connection.
    ['chunked garbage', 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', [200, 400]],
    ['websocket upgrade', 'GET /feed.xml HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', [200, 405]],
    ['h2c upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n', [200, 405]],
    ['slash-dot-dot at the end', line('/tags/..'), [400]],
    ['query with dots', line('/feed.xml?../../secret.txt'), [200]],
  ];

  it.each(cases)('%s: no crash, no file from elsewhere, no trace; the server keeps answering', async (_name, text, statuses) => {
    const { port, root, outDir } = await servedSite();
    await writeFile(path.join(root, 'secret.txt'), 'TOP SECRET\n');
    // A symlink someone left in the output folder, even listed in the manifest, is not followed out of it.
    await mkdir(path.join(outDir, 'evil'));
    await symlink(path.join(root, 'secret.txt'), path.join(outDir, 'evil', 'index.html'));
    const manifest = JSON.parse(await readFile(path.join(outDir, '.feedpipe-manifest.json'), 'utf8')) as { files: string[] };
    manifest.files.push('evil/index.html', '../secret.txt');
    await writeFile(path.join(outDir, '.feedpipe-manifest.json'), JSON.stringify(manifest));

    const r = await raw(port, text);
    expect(statuses, r.text.slice(0, 300)).toContain(r.status);
    expect(r.text).not.toContain('SECRET');
    expect(r.text).not.toContain('root:');
    expect(r.text).not.toMatch(/\bat .*\(|Error|node:|\/tmp\//);
    if (r.status === 405) expect(r.text).toMatch(/\r\nAllow: GET, HEAD\r\n/);
    // Still serving, to the next request.
    expect((await request(port, '/feed.xml')).status).toBe(200);
  });

  it('keeps answering after the whole list in a row, on one server', async () => {
    const { port } = await servedSite();
    for (const [, text] of cases) await raw(port, text);
    const again = await request(port, '/feed.json');
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body.toString()).version).toBe('https://jsonfeed.org/version/1.1');
  });
});

describe('feed server: reloading', () => {
  it('serves a new build after reload(), and the old one until then', async () => {
    const { port, server, contentDir, outDir } = await servedSite();
    const before = await request(port, '/feed.xml');
    await writeFile(path.join(contentDir, 'new.md'), article({ title: 'Fresh news', date: '2026-06-01T00:00:00Z', tags: ['Fresh'] }));
    const report = await build({ config, contentDir, outDir, now: NOW });
    expect(report.write!.written).toContain('feed.xml');
    expect((await request(port, '/feed.xml')).body.equals(before.body)).toBe(true);
    expect((await request(port, '/tags/fresh/feed.xml')).status).toBe(404);
    const reloaded = await server.reload();
    expect(reloaded.ok).toBe(true);
    const after = await request(port, '/feed.xml', { headers: { 'If-None-Match': before.headers.etag! } });
    expect(after.status).toBe(200);
    expect(after.body.toString()).toContain('Fresh news');
    expect(after.headers['last-modified']).toBe('Mon, 01 Jun 2026 00:00:00 GMT');
    expect((await request(port, '/tags/fresh/feed.xml')).status).toBe(200);
  });

  it('reloads by itself when a build replaces the manifest (watch)', async () => {
    const { port, contentDir, outDir } = await servedSite({ watch: true });
    await writeFile(path.join(contentDir, 'new.md'), article({ title: 'Watched news', date: '2026-06-01T00:00:00Z' }));
    await build({ config, contentDir, outDir, now: NOW });
    let body = '';
    for (let i = 0; i < 100 && !body.includes('Watched news'); i++) {
      await new Promise((r) => setTimeout(r, 30));
      body = (await request(port, '/feed.json')).body.toString();
    }
    expect(body).toContain('Watched news');
  });

  it('keeps serving the previous version when the files do not match the manifest', async () => {
    const { port, server, outDir } = await servedSite();
    const before = await request(port, '/feed.xml');
    // A half-finished or tampered folder: bytes that the manifest does not vouch for.
    await writeFile(path.join(outDir, 'feed.xml'), '<rss>torn');
    const manifest = await readManifest(outDir);
    manifest.published['atom.xml']!.sha256 = '0'.repeat(64);
    await writeFile(path.join(outDir, '.feedpipe-manifest.json'), JSON.stringify(manifest));
    const result = await server.reload();
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/does not match the manifest/);
    const after = await request(port, '/feed.xml');
    expect(after.body.equals(before.body)).toBe(true);
  });

  it('never sends a torn or mixed response while files are rewritten and reloaded under load', async () => {
    const { port, server, outDir } = await servedSite({ watch: true });
    const manifest = await readManifest(outDir);
    const base = new Map<string, string>();
    for (const rel of manifest.files) base.set(rel, await readFile(path.join(outDir, rel), 'utf8'));
    // Versions of the site whose feeds differ in size and content; every response must be one of them, whole.
    const versions = [0, 1, 2, 3, 4, 5].map((v) => new Map([...base].map(([rel, text]) => [rel, rel.endsWith('.json') ? text : text.replace('Allies agree', `Allies agree ${'v'.repeat(v * 5000)}`)])));
    const valid = new Map<string, Set<string>>();
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    for (const rel of ['feed.xml', 'atom.xml']) valid.set(rel, new Set([base, ...versions].map((m) => sha(m.get(rel)!))));

    let stop = false;
    const checked = { n: 0, bad: [] as string[] };
    const hammer = async (rel: string, ae: string) => {
      for (let i = 0; i < 400 && !stop; i++) {
        const r = await request(port, '/' + rel, { headers: { 'Accept-Encoding': ae } });
        // A version just swapped in is sent uncompressed until its codings are made.
        const coding = r.headers['content-encoding'];
        if (coding !== undefined && coding !== ae) checked.bad.push(`${rel} ${coding} for ${ae}`);
        const body = coding === 'gzip' ? zlib.gunzipSync(r.body) : coding === 'br' ? zlib.brotliDecompressSync(r.body) : r.body;
        checked.n++;
        if (r.status !== 200 || !valid.get(rel)!.has(sha(body)) || Number(r.headers['content-length']) !== r.body.length) checked.bad.push(`${rel} ${ae} ${r.status} ${body.length}`);
        if (coding === undefined && r.headers.etag !== etagOf(body)) checked.bad.push(`${rel} etag does not belong to the body`);
        if (coding !== undefined && r.headers.etag !== etagOf(body).replace(/"$/, coding === 'gzip' ? '-gz"' : '-br"')) checked.bad.push(`${rel} etag does not belong to the ${coding} body`);
      }
    };
    const publish = async () => {
      for (let round = 0; round < 12; round++) {
        await publishFiles(outDir, versions[round % versions.length]!, { now: NOW });
        if (round % 2) await server.reload(); // the other rounds are picked up by the watcher
        await new Promise((r) => setTimeout(r, 10));
      }
      stop = true;
    };
    await Promise.all([publish(), ...['identity', 'gzip', 'br', 'identity'].flatMap((ae) => [hammer('feed.xml', ae), hammer('atom.xml', ae)])]);
    expect(checked.bad).toEqual([]);
    expect(checked.n).toBeGreaterThan(200);
  });
});
