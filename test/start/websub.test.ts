import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { runCli } from '../../src/cli/main.js';
import { createFeedServer } from '../../src/serve/server.js';
import type { BuildReport } from '../../src/build/build.js';
import { announcePublish, changedFeedUrls, createAnnouncer, pingHubs } from '../../src/start/websub.js';
import { request } from '../helpers/http.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

interface Ping {
  path: string;
  contentType: string | undefined;
  params: Record<string, string[]>;
}

/** A WebSub hub on loopback that records publish pings; `answers` says what to reply to each, in turn (default 204). */
async function startHub(answers: (number | 'hang' | 'reset' | `slow:${number}`)[] = []) {
  const pings: Ping[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params: Record<string, string[]> = {};
      for (const [k, v] of new URLSearchParams(body)) (params[k] ??= []).push(v);
      pings.push({ path: req.url!, contentType: req.headers['content-type'], params });
      const answer = answers.shift() ?? 204;
      if (answer === 'hang') return; // never answers: the client's timeout must end it
      if (answer === 'reset') return req.socket.destroy();
      if (typeof answer === 'string') return void setTimeout(() => res.writeHead(204).end(), Number(answer.slice(5))); // slow: answers after that many ms
      res.writeHead(answer, answer === 429 ? { 'Retry-After': '0' } : {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubs.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`, pings };
}

const hubs: http.Server[] = [];
afterEach(async () => {
  for (const s of hubs.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const fast = { backoffMs: 5, timeoutMs: 300 };
/** For hubs that answer at once: a timeout no loaded machine reaches, so one attempt is one attempt. */
const patient = { backoffMs: 5, timeoutMs: 10_000 };

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}/hub`;
}

/** What the announcer reads of a build that wrote `written`. */
function wrote(written: string[], hubs: string[], timeout = 1): BuildReport {
  return { ok: true, write: { written, unchanged: [], removed: [] }, config: { site: { url: 'https://news.example.com/' }, websub: { hubs, timeout } } } as unknown as BuildReport;
}

describe('pingHubs', () => {
  it('tells every hub about every changed feed: one form-encoded publish per URL', async () => {
    const a = await startHub();
    const b = await startHub();
    const urls = ['https://news.example.com/feed.xml', 'https://news.example.com/tags/a&b/feed.json'];
    const results = await pingHubs([a.url, b.url], urls, patient);
    expect(results.every((r) => r.ok && r.attempts === 1 && r.status === 204)).toBe(true);
    for (const hub of [a, b]) {
      expect(hub.pings.map((p) => p.params)).toEqual(urls.map((u) => ({ 'hub.mode': ['publish'], 'hub.url': [u] })));
      expect(hub.pings.every((p) => p.contentType === 'application/x-www-form-urlencoded' && p.path === '/hub')).toBe(true);
    }
  });

  it('retries 5xx, 429, resets and timeouts with backoff, then succeeds', async () => {
    const hub = await startHub([503, 'reset', 429, 'hang', 202]);
    const [result] = await pingHubs([hub.url], ['https://news.example.com/feed.xml'], { ...fast, retries: 4 });
    expect(result).toMatchObject({ ok: true, attempts: 5, status: 202 });
    expect(hub.pings).toHaveLength(5);
  });

  it('does not retry a refusal (4xx), and reports it without throwing', async () => {
    const hub = await startHub([400]);
    const logged: string[] = [];
    const [result] = await pingHubs([hub.url], ['https://news.example.com/feed.xml'], { ...fast, log: (m) => logged.push(m) });
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 400 });
    expect(hub.pings).toHaveLength(1);
    expect(logged).toEqual([`feedpipe: WebSub hub ${hub.url} was not told about https://news.example.com/feed.xml after 1 attempt: hub answered 400`]);
  });

  it('gives up after its retries on a hub that is down, and never rejects', async () => {
    const down = await startHub();
    const url = down.url;
    const server = hubs.pop()!;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    const started = Date.now();
    const results = await pingHubs([url, 'not a url'], ['https://news.example.com/feed.xml'], { ...fast, retries: 2 });
    expect(results).toMatchObject([
      { ok: false, attempts: 3 },
      { ok: false, attempts: 3 },
    ]);
    expect(results[0]!.error).toMatch(/ECONNREFUSED|fetch failed/);
    expect(Date.now() - started).toBeLessThan(5000);
    // And a throwing fetch or logger changes nothing.
    const thrown = await pingHubs(['https://hub.example/'], ['https://x.example/feed.xml'], { fetch: () => { throw new Error('boom'); }, retries: 0, log: () => { throw new Error('log'); } });
    expect(thrown).toMatchObject([{ ok: false, error: 'boom' }]);
  });

  it('stops retrying at once when its signal aborts (a publisher stopping)', async () => {
    const hub = await startHub([503, 503, 503]);
    const stop = new AbortController();
    const started = Date.now();
    const pending = pingHubs([hub.url], ['https://news.example.com/feed.xml'], { backoffMs: 60_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    expect(await pending).toMatchObject([{ ok: false, error: 'stopped', attempts: 1 }]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('with a deadline, settles by then whatever the hubs do, one warning line per hub; a good hub beside them is told everything', async () => {
    const refusing = await closedPort();
    const hanging = await startHub(new Array(10).fill('hang'));
    const slow = await startHub(new Array(10).fill('slow:3000'));
    const good = await startHub();
    const urls = ['https://news.example.com/feed.xml', 'https://news.example.com/atom.xml', 'https://news.example.com/feed.json'];
    const logged: string[] = [];
    const started = Date.now();
    const results = await pingHubs([refusing, hanging.url, slow.url, good.url], urls, { deadlineMs: 600, concurrency: 2, log: (m) => logged.push(m) });
    expect(Date.now() - started).toBeLessThan(600 + 500);
    const byHub = (hub: string) => results.filter((r) => r.hub === hub);
    expect(byHub(good.url).map((r) => r.ok)).toEqual([true, true, true]);
    expect(byHub(hanging.url).map((r) => r.error)).toEqual(new Array(3).fill('no answer within 0.6 s'));
    expect(byHub(slow.url).map((r) => r.error)).toEqual(new Array(3).fill('no answer within 0.6 s'));
    expect(byHub(refusing).every((r) => !r.ok)).toBe(true);
    expect(logged).toHaveLength(3);
    expect(logged.find((l) => l.includes(refusing))).toMatch(new RegExp(`^feedpipe: WebSub hub ${refusing} was not told about 3 of 3 feeds: connect ECONNREFUSED`));
    expect(logged).toContain(`feedpipe: WebSub hub ${hanging.url} was not told about 3 of 3 feeds: no answer within 0.6 s`);
    expect(logged).toContain(`feedpipe: WebSub hub ${slow.url} was not told about 3 of 3 feeds: no answer within 0.6 s`);
  });

  it('finds the feeds among the files a build wrote, as absolute URLs; not archive pages, which advertise no hub', () => {
    expect(changedFeedUrls(['atom.xml', 'feed.xsl', 'index.html', 'tags/a/feed.json', 'archive/3/atom.xml', 'sections/w/archive/1/feed.xml', 'sections/w/feed.xml'], 'https://example.org/news/')).toEqual([
      'https://example.org/news/atom.xml',
      'https://example.org/news/tags/a/feed.json',
      'https://example.org/news/sections/w/feed.xml',
    ]);
  });
});

describe('feedpipe build with WebSub hubs', () => {
  async function run(argv: string[], cwd: string) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd });
    return { code, stdout, stderr };
  }

  it('advertises the hubs in every format and pings them for the feeds whose bytes changed, and only those', async () => {
    const hub = await startHub();
    const s = await makeSite({ 'a.md': article({ title: 'First', date: '2026-01-01', tags: ['One'] }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: Hub Times\n  url: https://hub-times.example/\nwebsub:\n  hubs: ["${hub.url}"]\n`);
    const first = await run(['build', '--now', '2026-06-01T00:00:00Z'], s.root);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('WebSub: 6 of 6 hub pings accepted');
    expect(hub.pings.map((p) => p.params['hub.url']![0]).sort()).toEqual(
      ['atom.xml', 'feed.json', 'feed.xml', 'tags/one/atom.xml', 'tags/one/feed.json', 'tags/one/feed.xml'].map((f) => `https://hub-times.example/${f}`),
    );
    expect(await readFile(path.join(s.root, 'dist/feed.xml'), 'utf8')).toContain(`<atom:link href="${hub.url}" rel="hub"/>`);
    expect(await readFile(path.join(s.root, 'dist/atom.xml'), 'utf8')).toContain(`<link href="${hub.url}" rel="hub"/>`);
    expect(JSON.parse(await readFile(path.join(s.root, 'dist/feed.json'), 'utf8')).hubs).toEqual([{ type: 'WebSub', url: hub.url }]);

    // Nothing changed: nobody is pinged.
    hub.pings.length = 0;
    expect((await run(['build', '--now', '2026-06-01T00:00:00Z'], s.root)).stdout).not.toContain('WebSub');
    expect(hub.pings).toEqual([]);

    // A new article in another tag: the main feeds and the new tag's, not tag "one".
    await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'Second', date: '2026-02-01', tags: ['Two'] }));
    await run(['build', '--now', '2026-06-01T00:00:00Z'], s.root);
    expect(hub.pings.map((p) => p.params['hub.url']![0]).sort()).toEqual(
      ['atom.xml', 'feed.json', 'feed.xml', 'tags/two/atom.xml', 'tags/two/feed.json', 'tags/two/feed.xml'].map((f) => `https://hub-times.example/${f}`),
    );
  });

  it('publishes whatever the hub says: a refusing hub is a warning, not a failed build', async () => {
    const hub = await startHub(new Array(20).fill(400));
    const s = await makeSite({ 'a.md': article({ title: 'First', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: Hub Times\n  url: https://hub-times.example/\nwebsub:\n  hubs: ["${hub.url}"]\n`);
    const r = await run(['build', '--now', '2026-06-01T00:00:00Z'], s.root);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('was not told about');
    expect(await readFile(path.join(s.root, 'dist/feed.xml'), 'utf8')).toContain('First');
  });

  it('websub.timeout is a number of seconds from 0.1 to 300', async () => {
    const s = await makeSite({});
    for (const [value, message] of [
      ['0', 'websub.timeout: must be a number from 0.1 to 300, got number 0'],
      ['301', 'websub.timeout: must be a number from 0.1 to 300, got number 301'],
      ['"5s"', 'websub.timeout: must be a number'],
    ]) {
      await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: T\n  url: https://t.example/\nwebsub:\n  timeout: ${value}\n`);
      const r = await run(['check'], s.root);
      expect(r.code, value).toBe(1);
      expect(r.stderr, value).toContain(message);
    }
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\nwebsub:\n  timeout: 2.5\n');
    expect((await run(['check'], s.root)).code).toBe(0);
  });

  it('refuses plain-http hubs other than loopback ones', async () => {
    const s = await makeSite({});
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\nwebsub:\n  hubs: ["http://hub.example.com/"]\n');
    const r = await run(['check'], s.root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('websub.hubs[0]: must be an https URL');
  });
});

describe('announcePublish', () => {
  it('reloads the server before any hub is told, so a hub fetching the feed gets the new version', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'Old news', date: '2026-01-01' }) });
    const server = createFeedServer({ outDir: s.outDir });
    const { port } = await server.listen(0, '127.0.0.1');
    const fetched: string[] = [];
    // A hub that, like a real one, fetches the topic as soon as it is pinged (from our loopback server).
    const hubServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', async () => {
        const topic = new URL(new URLSearchParams(body).get('hub.url')!);
        fetched.push((await request(port, topic.pathname)).body.toString());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hubServer.listen(0, '127.0.0.1', r));
    hubs.push(hubServer);
    const hub = `http://127.0.0.1:${(hubServer.address() as AddressInfo).port}/`;
    try {
      const config = { ...baseConfig, websub: { hubs: [hub] } };
      const first = await build({ config, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
      // The main feed and the site author's, three formats each.
      expect(await (await announcePublish(first, { reload: server.reload })).pings).toHaveLength(6);
      await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'Fresh news', date: '2026-02-01' }));
      const second = await build({ config, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
      fetched.length = 0;
      const results = await (await announcePublish(second, { reload: server.reload })).pings;
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true]);
      expect(fetched).toHaveLength(6);
      for (const body of fetched) expect(body).toContain('Fresh news');
      // A build that changed nothing reloads nothing and tells nobody.
      const third = await build({ config, contentDir: s.contentDir, outDir: s.outDir, now: NOW });
      let reloaded = false;
      expect(await (await announcePublish(third, { reload: async () => (reloaded = true) })).pings).toEqual([]);
      expect(reloaded).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('the publisher\'s announcer (feedpipe start)', () => {
  const sent = (hub: { pings: Ping[] }) => hub.pings.map((p) => p.params['hub.url']![0]!.replace('https://news.example.com/', '')).sort();

  it('pings in the background: a hub that never answers does not hold up the publisher', async () => {
    const hub = await startHub(['hang']);
    const stop = new AbortController();
    const announce = createAnnouncer({ signal: stop.signal, retries: 0 });
    const started = Date.now();
    const { pings } = await announce(wrote(['feed.xml'], [hub.url], 30));
    expect(Date.now() - started).toBeLessThan(200);
    stop.abort();
    expect(await pings).toMatchObject([{ ok: false, error: 'stopped' }]);
  });

  it('tells a hub what it missed with the next change, not by hammering it meanwhile', async () => {
    const hub = await startHub([503, 503]);
    const logged: string[] = [];
    const announce = createAnnouncer({ ...fast, retries: 0, log: (m) => logged.push(m) });
    expect(await (await announce(wrote(['feed.xml', 'atom.xml'], [hub.url]))).pings).toMatchObject([{ ok: false }, { ok: false }]);
    expect(logged).toEqual([`feedpipe: WebSub hub ${hub.url} was not told about 2 of 2 feeds: hub answered 503; they go out again with the next change`]);
    await new Promise((r) => setTimeout(r, 100));
    expect(hub.pings).toHaveLength(2); // no retry on its own
    // A build that changed nothing is no change: nothing is sent.
    expect(await (await announce(wrote([], [hub.url]))).pings).toEqual([]);
    hub.pings.length = 0;
    const next = await (await announce(wrote(['tags/a/feed.json'], [hub.url]))).pings;
    expect(next.every((r) => r.ok)).toBe(true);
    expect(sent(hub)).toEqual(['atom.xml', 'feed.xml', 'tags/a/feed.json']);
  });

  it('a URL the hub refused (4xx) is not sent again: it would be refused again', async () => {
    const hub = await startHub([400]);
    const logged: string[] = [];
    const announce = createAnnouncer({ ...fast, log: (m) => logged.push(m) });
    await (await announce(wrote(['feed.xml'], [hub.url]))).pings;
    expect(logged).toEqual([`feedpipe: WebSub hub ${hub.url} was not told about https://news.example.com/feed.xml after 1 attempt: hub answered 400`]);
    hub.pings.length = 0;
    await (await announce(wrote(['atom.xml'], [hub.url]))).pings;
    expect(sent(hub)).toEqual(['atom.xml']);
  });

  it('one batch per hub at a time: a change while the hub is slow waits for it, then goes', async () => {
    const hub = await startHub(['slow:300']);
    const announce = createAnnouncer({ ...fast, timeoutMs: 2000 });
    const first = (await announce(wrote(['feed.xml'], [hub.url]))).pings;
    await new Promise((r) => setTimeout(r, 50));
    expect(await (await announce(wrote(['atom.xml'], [hub.url]))).pings).toEqual([]); // queued behind the first
    expect(sent(hub)).toEqual(['feed.xml']);
    expect(await first).toMatchObject([{ ok: true }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sent(hub)).toEqual(['atom.xml', 'feed.xml']);
  });
});
