/**
 * Compression in the background: a snapshot is served the moment it is loaded, uncompressed, and
 * each file switches to gzip and brotli once its codings are made; a reload swaps in at once too.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishFiles } from '../../src/publish/write.js';
import { createFeedServer, type FeedServer } from '../../src/serve/server.js';
import { request } from '../helpers/http.js';
import { makeSite } from '../helpers/site.js';

const servers: FeedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const WORDS = 'the alliance ministers agreed joint command regional security markets growth inflation bank rates investors bonds trade energy climate research study election voters court ruling city council housing transport'.split(' ');

/** `size` bytes of a feed of made-up items: text that compresses as real feeds do, different per seed. */
function feedText(seed: number, size: number): string {
  let x = seed + 1;
  const word = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return WORDS[(x >>> 8) % WORDS.length];
  };
  const items: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const item = `<item><title>${word()} ${word()} ${word()} ${i}</title><description>${Array.from({ length: 60 }, word).join(' ')}</description></item>`;
    items.push(item);
    length += item.length;
  }
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>${items.join('')}</channel></rss>`.slice(0, size);
}

/** When the response's status line and headers arrived, in ms after `since`; then the whole response. */
function timedRequest(port: number, path: string, headers: Record<string, string>, since: number) {
  return new Promise<{ headersAfterMs: number; status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        const headersAfterMs = performance.now() - since;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headersAfterMs, status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const etagOf = (text: string, suffix = '') => `"${createHash('sha256').update(text).digest().subarray(0, 16).toString('base64url')}${suffix}"`;
const serve = async (outDir: string, brotliQuality?: number) => {
  const server = createFeedServer({ outDir, log: () => undefined, ...(brotliQuality === undefined ? {} : { brotliQuality }) });
  servers.push(server);
  return server;
};

describe('a large output (150 files of 300 KB)', () => {
  // Only the texts compared below stay in memory: 45 MB of strings make the test's own GC the noise.
  const text = new Map<string, string>();
  let outDir: string;
  beforeAll(async () => {
    // One feed's text, made different per file by a comment in front: as costly to compress, cheap to make.
    const base = feedText(0, 300_000);
    const files = new Map([['feed.xml', base]]);
    for (let i = 1; i < 150; i++) files.set(`tags/t${i}/feed.xml`, base.replace('<rss', `<!-- tag ${i} --><rss`));
    ({ outDir } = await makeSite({}));
    await publishFiles(outDir, files);
    for (const rel of ['feed.xml', 'tags/t99/feed.xml']) text.set(rel, files.get(rel)!);
  }, 60_000);

  it('is answered at once after listening, uncompressed, and in gzip and br once they are made', async () => {
    const server = await serve(outDir);
    expect(await server.reload()).toMatchObject({ ok: true, files: 150, changed: 150 });
    const listening = performance.now();
    const { port } = await server.listen(0, '127.0.0.1');
    // The last file in line (by depth, then by name): nothing waited for compression, and it says so.
    const first = await timedRequest(port, '/tags/t99/feed.xml', { 'Accept-Encoding': 'gzip, br' }, listening);
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBeUndefined();
    expect(first.headers.etag).toBe(etagOf(text.get('tags/t99/feed.xml')!));
    expect(first.headers.vary).toBe('Accept-Encoding, Accept');
    expect(first.body.toString()).toBe(text.get('tags/t99/feed.xml'));
    // Answered within 100 ms: the first, and (the median, on a shared machine) those right after it.
    const firsts = [first.headersAfterMs];
    for (const n of [98, 97, 96, 95]) firsts.push((await timedRequest(port, `/tags/t${n}/feed.xml`, { 'Accept-Encoding': 'gzip, br' }, performance.now())).headersAfterMs);
    expect(median(firsts), firsts.map(Math.round).join(', ')).toBeLessThan(100);
    expect(first.headersAfterMs).toBeLessThan(1000);

    // The main feed is compressed first; meanwhile every request is answered at once.
    const waits: number[] = [];
    let br = first;
    while (br.headers['content-encoding'] !== 'br') {
      br = await timedRequest(port, '/feed.xml', { 'Accept-Encoding': 'br' }, performance.now());
      waits.push(br.headersAfterMs);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(median(waits), waits.map(Math.round).join(', ')).toBeLessThan(100);
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(text.get('feed.xml'));
    expect(br.headers.etag).toBe(etagOf(text.get('feed.xml')!, '-br'));
    const gz = await request(port, '/feed.xml', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.etag).toBe(etagOf(text.get('feed.xml')!, '-gz'));
    expect(zlib.gunzipSync(gz.body).toString()).toBe(text.get('feed.xml'));
    expect((await request(port, '/tags/t99/feed.xml', { headers: { 'Accept-Encoding': 'br' } })).headers['content-encoding']).toBeUndefined();
  });
});

describe('a reload', () => {
  it('swaps the new version in at once: changed files uncompressed until their codings are made, the others keep theirs', async () => {
    const { outDir } = await makeSite({});
    const v1 = new Map([
      ['feed.xml', feedText(1, 10_000)],
      ['atom.xml', feedText(2, 10_000)],
    ]);
    await publishFiles(outDir, v1);
    // Quality 11 takes a while on 150 KB: long enough to see the file uncompressed first.
    const server = await serve(outDir, 11);
    await server.reload();
    await server.compressed();
    const { port } = await server.listen(0, '127.0.0.1');
    const br = { headers: { 'Accept-Encoding': 'br' } };
    expect((await request(port, '/feed.xml', br)).headers['content-encoding']).toBe('br');

    const v2 = new Map([...v1, ['feed.xml', feedText(3, 150_000)]]);
    await publishFiles(outDir, v2);
    expect(await server.reload()).toMatchObject({ ok: true, files: 2, changed: 1 });
    const changed = await request(port, '/feed.xml', br);
    expect(changed.headers['content-encoding']).toBeUndefined();
    expect(changed.body.toString()).toBe(v2.get('feed.xml'));
    expect(changed.headers.etag).toBe(etagOf(v2.get('feed.xml')!));
    const kept = await request(port, '/atom.xml', br);
    expect(kept.headers['content-encoding']).toBe('br');
    expect(kept.headers.etag).toBe(etagOf(v1.get('atom.xml')!, '-br'));

    await server.compressed();
    const later = await request(port, '/feed.xml', br);
    expect(later.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(later.body).toString()).toBe(v2.get('feed.xml'));
  });
});
