/**
 * `feedpipe build` as a real process (lib/cli/main.js, which `npm test` compiles first) with a
 * WebSub hub that is down in each of the ways a hub can be: the build writes the feeds, warns
 * about the hub, exits 0, and does so within `websub.timeout` + 2 s of starting to ping, with no
 * socket left to keep the process alive.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { article, makeSite } from '../helpers/site.js';

const cli = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
const DEADLINE_S = 1;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('lib/ is missing: run `npm test`, which builds it first');
});

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen<T extends net.Server>(server: T): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Bound, then closed: connecting is refused. */
async function refusingHub(): Promise<string> {
  const server = net.createServer();
  const url = await listen(server);
  servers.pop();
  await new Promise((r) => server.close(r));
  return url;
}

/** Accepts the connection, reads the request, never answers. */
const silentHub = () => listen(net.createServer((socket) => socket.resume()));

/** Answers 204, but only well after the deadline. */
const slowHub = () => listen(http.createServer((req, res) => void req.resume().on('end', () => setTimeout(() => res.writeHead(204).end(), (DEADLINE_S + 4) * 1000))));

async function buildWithHub(hub: string) {
  const s = await makeSite({ 'a.md': article({ title: 'Deadline news', date: '2026-01-01' }) });
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: Hub Times\n  url: https://hub-times.example/\nwebsub:\n  hubs: ["${hub}"]\n  timeout: ${DEADLINE_S}\n`);
  const child = spawn(process.execPath, [cli, 'build', '--now', '2026-06-01T00:00:00Z'], { cwd: s.root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // `build` prints its summary after the write and before it pings: the pings start then.
  let pingsFrom: number | undefined;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (pingsFrom === undefined && /\d+ written/.test(stdout)) pingsFrom = Date.now();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr, afterWriteMs: Date.now() - (pingsFrom ?? NaN), feed: await readFile(path.join(s.outDir, 'feed.xml'), 'utf8') };
}

describe('feedpipe build with a hub that is down exits within websub.timeout + 2 s', () => {
  for (const [how, makeHub] of [
    ['refuses the connection', refusingHub],
    ['accepts the connection and never answers', silentHub],
    ['answers only after the deadline', slowHub],
  ] as const) {
    it(`a hub that ${how}`, async () => {
      const hub = await makeHub();
      const r = await buildWithHub(hub);
      expect(r.code).toBe(0);
      expect(r.feed).toContain('<title>Deadline news</title>');
      expect(r.stderr).toMatch(new RegExp(`^feedpipe: WebSub hub ${hub} was not told about 3 of 3 feeds: `, 'm'));
      expect(r.stdout).toContain('WebSub: 0 of 3 hub pings accepted');
      expect(r.afterWriteMs).toBeLessThan((DEADLINE_S + 2) * 1000);
    });
  }
});

describe('feedpipe build --keep-going with a file held back', () => {
  it('exits 1 and still tells the hub about what it published', async () => {
    const pings: string[] = [];
    const hub = await listen(http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => (pings.push(body), res.writeHead(204).end()));
    }));
    const s = await makeSite({ 'a.md': article({ title: 'Published news', date: '2026-01-01' }), 'broken.md': '---\ntitle: [unclosed\n---\nBody.\n' });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), `site:\n  title: Hub Times\n  url: https://hub-times.example/\nwebsub:\n  hubs: ["${hub}"]\n  timeout: 5\n`);
    const child = spawn(process.execPath, [cli, 'build', '--keep-going', '--now', '2026-06-01T00:00:00Z'], { cwd: s.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/1 file with errors held back/);
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('<title>Published news</title>');
    expect(pings.length).toBe(3);
    expect(pings.join('\n')).toContain(encodeURIComponent('https://hub-times.example/feed.xml'));
  });
});
