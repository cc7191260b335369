import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { build } from '../../src/build/build.js';
import type { StartOptions } from '../../src/start/start.js';
import { request } from '../helpers/http.js';
import { launch as launchPublisher } from '../helpers/publisher.js';
import { article, makeSite } from '../helpers/site.js';
import { stalledFile } from '../helpers/stall.js';

/** A WebSub hub on loopback that, like a real one, fetches the topic from our server the moment it is pinged. */
async function fetchingHub(serverPort: () => number) {
  const fetched: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const topic = new URL(new URLSearchParams(body).get('hub.url')!);
      try {
        fetched.push(`${topic.pathname} ${(await request(serverPort(), topic.pathname)).body.toString()}`);
      } catch (e) {
        fetched.push(`${topic.pathname} could not fetch: ${(e as Error).message}`);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubs.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, fetched };
}

const hubs: http.Server[] = [];
afterEach(async () => {
  for (const s of hubs.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function launch(root: string, options: Partial<StartOptions> = {}) {
  return launchPublisher(root, { serve: { port: 0 }, ...options }, 5000);
}

describe('feedpipe start --serve', () => {
  it('serves what it publishes, reloads after each build, and only then tells the hubs', async () => {
    let port = NaN;
    const hub = await fetchingHub(() => port);
    const s = await makeSite({ 'a.md': article({ title: 'First story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: Served Times\n  url: https://served.example/\nwebsub:\n  hubs: ["${hub.url}"]\n`);
    const due = new Date(Date.now() + 1500);
    await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'Due story', date: due.toISOString() }));
    const p = launch(s.root, { ping: { backoffMs: 10, timeoutMs: 2000 } });
    await p.until(() => !Number.isNaN(p.port()));
    port = p.port();
    await p.until(async () => (await request(port, '/feed.xml')).body.toString().includes('First story'));
    expect((await request(port, '/')).headers['content-type']).toBe('text/html; charset=utf-8');

    // The article falls due: the build writes, the server reloads, then the hub is pinged and fetches the new version.
    await p.until(() => hub.fetched.some((f) => f.includes('Due story')), 8000);
    const served = await request(port, '/feed.json');
    expect(served.body.toString()).toContain('Due story');
    const afterDue = hub.fetched.filter((f) => f.includes('Due story'));
    expect(afterDue.map((f) => f.split(' ')[0]).sort()).toEqual(['/atom.xml', '/feed.json', '/feed.xml']);
    expect(await p.stop()).toEqual({ stopped: 'signal' });
    await expect(request(port, '/feed.xml')).rejects.toThrow();
  }, 15_000);

  it('serves what is published before its first load has finished, and before the first build', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'Published story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
    expect(await runCli(['build'], { stdout: () => undefined, stderr: () => undefined, cwd: s.root })).toBe(0);
    // A listed file the server's first load cannot finish reading until released; and the first build waits too.
    const stalled = await stalledFile(s.outDir, 'tags/slow/feed.xml', '<rss version="2.0">slow</rss>\n');
    let letBuild = () => undefined as void;
    const gate = new Promise<void>((resolve) => (letBuild = resolve));
    const p = launch(s.root, { buildImpl: async (options) => (await gate, build(options)) });
    try {
      await p.until(() => !Number.isNaN(p.port()));
      const feed = await request(p.port(), '/feed.xml');
      expect(feed.status).toBe(200);
      expect(feed.body.toString()).toContain('Published story');
      expect(p.runs()).toEqual([]);
    } finally {
      await stalled.cleanup();
      letBuild();
    }
    await p.until(() => p.runs().length > 0);
    expect(await p.stop()).toEqual({ stopped: 'signal' });
  });

  it('does not start when the port is taken, and leaves the output folder alone', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    hubs.push(blocker);
    const s = await makeSite({ 'a.md': article({ title: 'First story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
    const p = launch(s.root, { serve: { port: (blocker.address() as AddressInfo).port } });
    expect(await p.done).toMatchObject({ failed: 'serve' });
    expect(p.out.stderr).toMatch(/feedpipe: cannot start: cannot serve: listen EADDRINUSE/);
    // The lock is released: a build can run.
    expect(await runCli(['build'], { stdout: () => undefined, stderr: () => undefined, cwd: s.root })).toBe(0);
  });

  it('the CLI takes --serve, --port and --host only where they apply', async () => {
    const s = await makeSite({});
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
    const run = async (argv: string[]) => {
      let stderr = '';
      const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t), cwd: s.root });
      return { code, stderr };
    };
    expect(await run(['build', '--serve'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--serve is an option of "feedpipe start"') });
    expect(await run(['start', '--port', '8080'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--port and --host are options of "feedpipe serve" and "feedpipe start --serve"') });
    expect(await run(['start', '--serve', '--port', 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a port number') });
  });
});
