/**
 * requestHandler: how a Response reaches node's ServerResponse, and what a failure inside becomes
 * (no socket); then, on loopback sockets, what the server does with clients that send slowly or
 * send content it never reads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestHandler } from '../../src/serve/listen.js';
import type { Response } from '../../src/serve/respond.js';
import { createFeedServer, type FeedServer } from '../../src/serve/server.js';
import { publishFiles } from '../../src/publish/write.js';
import { request } from '../helpers/http.js';
import { makeSite } from '../helpers/site.js';

function fakeResponse(headersSent = false) {
  const sent = { status: 0, headers: {} as Record<string, unknown>, body: undefined as Buffer | undefined, ended: false, destroyed: false };
  const res = {
    headersSent,
    writeHead(status: number, headers: Record<string, unknown>) {
      sent.status = status;
      sent.headers = headers;
    },
    end(body?: Buffer) {
      sent.body = body;
      sent.ended = true;
    },
    destroy() {
      sent.destroyed = true;
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

const req = (method: string, url: string) => ({ method, url, headers: {} }) as IncomingMessage;

describe('requestHandler', () => {
  it('writes the status, headers and body the answer returns', () => {
    const answer: Response = { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Length': '2' }, body: Buffer.from('ok') };
    const { res, sent } = fakeResponse();
    requestHandler(() => answer, () => undefined)(req('GET', '/'), res);
    expect(sent).toMatchObject({ status: 200, headers: answer.headers, ended: true });
    expect(sent.body!.toString()).toBe('ok');
  });

  it('turns a failure into a one-line 500 without a trace, and tells the operator', () => {
    const logged: string[] = [];
    const { res, sent } = fakeResponse();
    requestHandler(() => {
      throw new Error('snapshot broken at /srv/feeds');
    }, (m) => logged.push(m))(req('GET', '/feed.xml'), res);
    expect(sent.status).toBe(500);
    expect(sent.body!.toString()).toBe('500 Internal Server Error: internal error\n');
    expect(sent.headers['Cache-Control']).toBe('no-store');
    expect(logged).toEqual(['feedpipe serve: internal error on "/feed.xml": snapshot broken at /srv/feeds']);
  });

  it('writes an answer that comes later (a file read on demand), and turns its failure into the same 500', async () => {
    const answer: Response = { status: 200, headers: { 'Content-Length': '5' }, body: Buffer.from('later') };
    const { res, sent } = fakeResponse();
    requestHandler(() => new Promise<Response>((resolve) => setTimeout(() => resolve(answer), 10)), () => undefined)(req('GET', '/'), res);
    expect(sent.ended).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toMatchObject({ status: 200, ended: true });
    expect(sent.body!.toString()).toBe('later');

    const logged: string[] = [];
    const failed = fakeResponse();
    requestHandler(() => Promise.reject(new Error('EACCES: permission denied, open /srv/feeds/feed.xml')), (m) => logged.push(m))(req('GET', '/feed.xml'), failed.res);
    await new Promise((r) => setTimeout(r, 0));
    expect(failed.sent.status).toBe(500);
    expect(failed.sent.body!.toString()).toBe('500 Internal Server Error: internal error\n');
    expect(logged).toEqual(['feedpipe serve: internal error on "/feed.xml": EACCES: permission denied, open /srv/feeds/feed.xml']);
  });

  it('drops the connection when the failure comes after the headers went out', () => {
    const { res, sent } = fakeResponse(true);
    requestHandler(() => {
      throw new Error('late');
    }, () => undefined)(req('GET', '/feed.xml'), res);
    expect(sent.destroyed).toBe(true);
    expect(sent.status).toBe(0);
  });
});

const FEED = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Daily</title></channel></rss>\n';
const HEADERS_MS = 3000;
const servers: FeedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server of one published feed whose headers timeout is 3 s (the default request timeout, 30 s, stays; kept-alive connections idle 0.5 s). */
async function serving(): Promise<number> {
  const { outDir } = await makeSite({});
  await publishFiles(outDir, new Map([['feed.xml', FEED]]));
  const server = createFeedServer({ outDir, timeouts: { headersMs: HEADERS_MS, keepAliveMs: 500 }, log: () => undefined });
  servers.push(server);
  await server.reload();
  return (await server.listen(0, '127.0.0.1')).port;
}

/**
 * Sends `first`, then `drip` every 2 s until the server closes the connection (or 15 s pass, or
 * `flood` is set: then as much as the server takes). Returns what came back and when the server closed.
 */
function slowClient(port: number, first: string, drip: string, flood = false): Promise<{ text: string; closedAfterMs: number; firstByteAfterMs: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const started = performance.now();
    let firstByteAfterMs = -1;
    const chunks: Buffer[] = [];
    socket.on('error', () => undefined); // writing to a closed connection: the close is what is measured
    socket.on('data', (c: Buffer) => {
      if (firstByteAfterMs < 0) firstByteAfterMs = performance.now() - started;
      chunks.push(c);
    });
    const timer = setInterval(() => socket.writable && socket.write(drip), 2000);
    const giveUp = setTimeout(() => socket.destroy(), 15_000);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: performance.now() - started, firstByteAfterMs });
    });
    socket.write(first);
    if (flood) {
      const chunk = Buffer.alloc(1 << 20, 'a');
      const pump = () => {
        while (socket.writable && socket.write(chunk));
      };
      socket.on('drain', pump);
      pump();
    }
  });
}

const ok = (text: string) => {
  expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(text).toMatch(/\r\nConnection: close\r\n/i);
};

describe('slow and unwanted input', () => {
  it('cuts headers that trickle in at the headers timeout, not 30 s later', async () => {
    const port = await serving();
    const r = await slowClient(port, 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a');
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.closedAfterMs).toBeGreaterThan(HEADERS_MS - 100);
    expect(r.closedAfterMs).toBeLessThan(HEADERS_MS + 1000);
  });

  it('cuts a connection that sends nothing at the headers timeout', async () => {
    const port = await serving();
    const r = await slowClient(port, '', '');
    expect(r.closedAfterMs).toBeLessThan(HEADERS_MS + 1000);
  });

  it.each(['GET', 'HEAD'])('answers a %s whose content trickles in at once, and closes instead of waiting for it', async (method) => {
    const port = await serving();
    const r = await slowClient(port, `${method} /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n`, 'a');
    ok(r.text);
    if (method === 'GET') expect(r.text.endsWith(FEED)).toBe(true);
    else expect(r.text.endsWith('\r\n\r\n')).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(1000);
  });

  it('does the same for chunked content', async () => {
    const port = await serving();
    const r = await slowClient(port, 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', '1\r\na\r\n');
    ok(r.text);
    expect(r.closedAfterMs).toBeLessThan(1000);
  });

  it('answers a GET with large content sent as fast as it goes, whole, and closes', async () => {
    const port = await serving();
    const r = await slowClient(port, 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n', '', true);
    ok(r.text);
    expect(r.text.endsWith(FEED)).toBe(true);
    expect(r.closedAfterMs).toBeLessThan(2000);
  });

  it('answers "Expect: 100-continue" with the response, not with leave to send the content', async () => {
    const port = await serving();
    const r = await slowClient(port, 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n', '');
    ok(r.text);
    expect(r.text).not.toContain('100 Continue');
    expect(r.closedAfterMs).toBeLessThan(1000);
  });

  it('keeps a connection without content alive for the next request', async () => {
    const port = await serving();
    const line = 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const r = await slowClient(port, line + line, '');
    expect(r.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(r.text).not.toMatch(/Connection: close/i);
    expect(r.closedAfterMs).toBeLessThan(HEADERS_MS);
    expect((await request(port, '/feed.xml')).status).toBe(200);
  });
});

describe('preconditions over the wire', () => {
  it('answers a failed If-Match or If-Unmodified-Since with 412 and one line of text, HEAD with no body', async () => {
    const port = await serving();
    const first = await request(port, '/feed.xml');
    const etag = first.headers.etag!;
    expect((await request(port, '/feed.xml', { headers: { 'If-Match': etag } })).status).toBe(200);
    expect((await request(port, '/feed.xml', { headers: { 'If-Match': '*' } })).status).toBe(200);
    expect((await request(port, '/feed.xml', { headers: { 'If-Unmodified-Since': first.headers['last-modified']! } })).status).toBe(200);
    const text = '412 Precondition Failed: precondition failed\n';
    for (const method of ['GET', 'HEAD']) {
      for (const headers of [{ 'If-Match': `W/${etag}` }, { 'If-Match': '"other"' }, { 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' }] as Record<string, string>[]) {
        const r = await request(port, '/feed.xml', { method, headers });
        expect(r.status, JSON.stringify(headers)).toBe(412);
        expect(r.body.toString()).toBe(method === 'GET' ? text : '');
        expect(r.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'content-length': String(text.length), 'cache-control': 'no-store' });
        expect(r.headers.etag).toBeUndefined();
      }
    }
  });
});
