/**
 * The server listens before its first load has finished: meanwhile each request reads the one
 * file it names, checked against the manifest, with the headers the loaded server sends.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import type { ConfigInput } from '../../src/config/config.js';
import { readManifest } from '../../src/publish/manifest.js';
import { createFeedServer, type FeedServer } from '../../src/serve/server.js';
import { request, type Response } from '../helpers/http.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';
import { stalledFile } from '../helpers/stall.js';

const config: ConfigInput = { ...baseConfig, server: { maxAge: 123 } };
const open: FeedServer[] = [];
const cleanups: (() => Promise<void>)[] = [];
const roots: string[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});
afterAll(async () => {
  if (template) await rm(await template, { recursive: true, force: true });
});

let template: Promise<string> | undefined;
/** A copy of a built site (built once per file); nothing is served yet. */
async function site() {
  template ??= (async () => {
    const s = await makeSite({
      'world/alliance.md': article({ title: 'Allies agree', date: '2026-03-14T08:30:00Z', section: 'World', tags: ['Defense'] }, 'Alliance body.'),
      'markets.md': article({ title: 'Markets rally', date: '2026-05-01T10:00:00Z', updated: '2026-05-02T09:00:00Z' }, 'Markets body. '.repeat(200)),
    });
    expect((await build({ config, contentDir: s.contentDir, outDir: s.outDir, now: NOW })).ok).toBe(true);
    return s.root;
  })();
  const root = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-early-'));
  roots.push(root);
  await cp(await template, root, { recursive: true, preserveTimestamps: true });
  return { root, outDir: path.join(root, 'dist') };
}

async function serving(outDir: string, logged: string[] = []) {
  const server = createFeedServer({ outDir, maxAge: 123, log: (m) => logged.push(m) });
  open.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

async function stall(outDir: string, rel: string, content: string) {
  const stalled = await stalledFile(outDir, rel, content);
  cleanups.push(stalled.cleanup);
  return stalled;
}

const etagOf = (body: Buffer | string) => `"${createHash('sha256').update(body).digest().subarray(0, 16).toString('base64url')}"`;
const withoutDate = ({ date: _, ...headers }: Response['headers']) => headers;
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const CHROMIUM_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** Requests whose answers must not depend on whether the first load has finished. */
const asks: [string, Record<string, string>][] = [
  ['/feed.xml', {}],
  ['/feed.xml', { 'Accept-Encoding': 'gzip, br' }],
  ['/atom.xml', { Accept: CHROMIUM_ACCEPT }],
  ['/feed.json', {}],
  ['/', {}],
  ['/feed.xsl', {}],
  ['/tags/defense/feed.json', {}],
  ['/sections/world/atom.xml', { 'If-Modified-Since': 'Sat, 14 Mar 2026 08:30:00 GMT' }],
  ['/feed.json', { 'If-Match': '"not-it"' }],
  ['/feed.json', { 'If-Unmodified-Since': 'Thu, 01 Jan 2026 00:00:00 GMT' }],
];

describe('before the first load has finished', () => {
  it('answers at once, with the bytes and headers it sends after the load, which takes over what was read', async () => {
    const { outDir } = await site();
    // A listed file the load cannot finish reading: the load stays unfinished until it is released.
    const slow = await stall(outDir, 'tags/slow/feed.xml', '<rss version="2.0">slow</rss>\n');
    const { server, port } = await serving(outDir);
    let loaded = false;
    const loading = server.reload().then((r) => ((loaded = true), r));
    expect(await server.listed()).toBe((await readManifest(outDir)).files.length);

    const before: Response[] = [];
    for (const [url, headers] of asks) before.push(await request(port, url, { headers }));
    const etag = before[0]!.headers.etag!;
    const notModified = await request(port, '/feed.xml', { headers: { 'If-None-Match': etag } });
    expect(loaded).toBe(false);

    for (const [i, r] of before.entries()) {
      const [url, headers] = asks[i]!;
      const what = `${url} ${JSON.stringify(headers)}`;
      expect(r.status, what).toBe(headers['If-Match'] || headers['If-Unmodified-Since'] ? 412 : headers['If-Modified-Since'] ? 304 : 200);
      if (r.status !== 200) continue;
      const file = await readFile(path.join(outDir, url === '/' ? 'index.html' : url.slice(1)));
      expect(r.body.equals(file), what).toBe(true);
      expect(r.headers['content-encoding'], what).toBeUndefined(); // nothing is compressed yet: identity, at once
      expect(r.headers.etag, what).toBe(headers.Accept ? etagOf(file).replace(/"$/, '-xml"') : etagOf(file));
    }
    expect(before[0]!.headers['last-modified']).toBe('Sat, 02 May 2026 09:00:00 GMT');
    expect(notModified.status).toBe(304);

    // The stalled file: its request waits for its read, which the load shares (a second read of the pipe would never end).
    const slowAnswer = request(port, '/tags/slow/feed.xml');
    await slow.release();
    expect((await within(slowAnswer, 5000, 'the stalled file')).body.toString()).toBe('<rss version="2.0">slow</rss>\n');
    const result = await within(loading, 5000, 'the first load');
    expect(result.ok).toBe(true);
    expect(result.files).toBe((await readManifest(outDir)).files.length);

    // After the load: the same answers, header for header (the compressor has not run yet on these).
    for (const [i, [url, headers]] of asks.entries()) {
      const after = await request(port, url, { headers: { ...headers, 'Accept-Encoding': 'identity' } });
      const was = before[i]!;
      expect(after.status, url).toBe(was.status);
      expect(after.body.equals(was.body), url).toBe(true);
      expect(withoutDate(after.headers), url).toEqual(withoutDate(was.headers));
    }
    expect((await request(port, '/feed.xml', { headers: { 'If-None-Match': etag } })).status).toBe(304);
  });

  it('never serves bytes the manifest does not vouch for: 503 while they differ, the new version once its manifest is in place', async () => {
    const { outDir } = await site();
    const logged: string[] = [];
    const { server, port } = await serving(outDir, logged);
    const atom = await readFile(path.join(outDir, 'atom.xml'));
    // A build under way, or someone's edit: the bytes on disk are not the ones the manifest lists.
    await writeFile(path.join(outDir, 'feed.xml'), '<rss>torn</rss>');
    await unlink(path.join(outDir, 'feed.json'));
    for (const url of ['/feed.xml', '/feed.json']) {
      const r = await request(port, url);
      expect(r.status, url).toBe(503);
      expect(r.headers['retry-after'], url).toBe('1');
      expect(r.headers['cache-control'], url).toBe('no-store');
      expect(r.headers.etag, url).toBeUndefined();
      expect(r.body.toString(), url).not.toContain('torn');
    }
    const head = await request(port, '/feed.xml', { method: 'HEAD' });
    expect([head.status, head.body.length]).toEqual([503, 0]);
    // The other files still match: served.
    const served = await request(port, '/atom.xml');
    expect(served.status).toBe(200);
    expect(served.body.equals(atom)).toBe(true);

    // The first load fails the same way (after its retries): files are still read one by one, and checked.
    const result = await server.reload();
    expect(result.ok).toBe(false);
    expect(logged.join('\n')).toMatch(/could not reload .*; each file is read when asked for and served if it matches the manifest: (feed\.xml|feed\.json) (does not match the manifest|is missing)/);
    expect((await request(port, '/feed.xml')).status).toBe(503);
    expect((await request(port, '/atom.xml')).body.equals(atom)).toBe(true);

    // The build finishes: its manifest lands while a request is retrying; it gets the new bytes, with their ETag.
    const fresh = '<rss version="2.0"><channel><title>fresh</title></channel></rss>\n';
    await writeFile(path.join(outDir, 'feed.xml'), fresh);
    const asking = request(port, '/feed.xml');
    await new Promise((r) => setTimeout(r, 30));
    const manifest = await readManifest(outDir);
    manifest.published['feed.xml']!.sha256 = createHash('sha256').update(fresh).digest('hex');
    manifest.files = manifest.files.filter((f) => f !== 'feed.json');
    await writeFile(path.join(outDir, '.feedpipe-manifest.json'), JSON.stringify(manifest));
    const answered = await asking;
    expect(answered.status).toBe(200);
    expect(answered.body.toString()).toBe(fresh);
    expect(answered.headers.etag).toBe(etagOf(fresh));
    // No longer listed: now a 404, as after a load.
    expect((await request(port, '/feed.json')).status).toBe(404);
    expect((await server.reload()).ok).toBe(true);
    expect((await request(port, '/feed.xml')).headers.etag).toBe(etagOf(fresh));
  });

  it('serves nothing the manifest does not list, no dotfile, nothing a symlink points to outside the folder', async () => {
    const { root, outDir } = await site();
    const logged: string[] = [];
    await writeFile(path.join(root, 'secret.txt'), 'TOP SECRET\n');
    await writeFile(path.join(outDir, 'robots.txt'), 'User-agent: *\n');
    await writeFile(path.join(outDir, '.feed.xml.123.abcd.tmp'), 'half');
    await writeFile(path.join(outDir, 'unlisted.xml'), '<rss/>');
    await mkdir(path.join(outDir, 'tags', 'unlisted'));
    await writeFile(path.join(outDir, 'tags', 'unlisted', 'feed.xml'), '<rss>unlisted</rss>');
    await mkdir(path.join(outDir, 'evil'));
    await symlink(path.join(root, 'secret.txt'), path.join(outDir, 'evil', 'index.html'));
    await mkdir(path.join(outDir, '.hidden'));
    await writeFile(path.join(outDir, '.hidden', 'feed.xml'), '<rss>hidden</rss>');
    const manifest = JSON.parse(await readFile(path.join(outDir, '.feedpipe-manifest.json'), 'utf8')) as { files: string[] };
    manifest.files.push('evil/index.html', '../secret.txt', 'robots.txt', '.hidden/feed.xml');
    await writeFile(path.join(outDir, '.feedpipe-manifest.json'), JSON.stringify(manifest));
    const { server, port } = await serving(outDir, logged);

    for (const url of ['/evil/', '/evil/index.html', '/secret.txt', '/robots.txt', '/unlisted.xml', '/tags/unlisted/feed.xml', '/.hidden/feed.xml', '/.feedpipe-manifest.json', '/.feed.xml.123.abcd.tmp', '/tags/defense/', '/nope.xml', '/FEED.XML']) {
      const r = await request(port, url);
      expect(r.status, url).toBe(404);
      expect(r.body.toString(), url).toBe('404 Not Found: not found\n');
    }
    expect((await request(port, '/../secret.txt')).status).toBe(400);
    expect((await request(port, '/feed.xml', { method: 'POST' })).status).toBe(405);
    expect(logged.join('\n')).toContain('not serving evil/index.html: it resolves outside');
    // What is listed is served (so the 404s above are not the server serving nothing).
    expect((await request(port, '/tags/defense/feed.json')).status).toBe(200);
    // And the same once loaded.
    expect((await server.reload()).ok).toBe(true);
    expect((await request(port, '/evil/')).status).toBe(404);
  });

  it('takes an empty folder for nothing published: 404, and no file listed', async () => {
    const { outDir } = await site();
    await rm(outDir, { recursive: true });
    await mkdir(outDir);
    const { server, port } = await serving(outDir);
    expect(await server.listed()).toBe(0);
    expect((await request(port, '/feed.xml')).status).toBe(404);
    expect((await server.reload()).ok).toBe(true);
    expect((await request(port, '/feed.xml')).status).toBe(404);
  });
});
