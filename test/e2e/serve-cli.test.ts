import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { request } from '../helpers/http.js';
import { article, makeSite } from '../helpers/site.js';
import { stalledFile } from '../helpers/stall.js';

const CONFIG = 'site:\n  title: Served Times\n  url: https://served.example/\nserver:\n  maxAge: 60\n';

function start(argv: string[], cwd: string) {
  const out = { stdout: '', stderr: '' };
  const stop = new AbortController();
  const done = runCli(argv, { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), cwd, signal: stop.signal });
  const listening = async () => {
    for (let i = 0; i < 200; i++) {
      const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stdout);
      if (m) return Number(m[1]);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`serve did not start: ${out.stderr}`);
  };
  return { out, stop: () => stop.abort(), done, listening };
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 150; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

describe('feedpipe serve', () => {
  it('serves the output folder on the port it prints, picks up each build, and stops on its signal', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'First story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
    const noop = { stdout: () => undefined, stderr: () => undefined, cwd: s.root };
    expect(await runCli(['build', '--now', '2026-06-01T00:00:00Z'], noop)).toBe(0);
    const server = start(['serve', '--port', '0'], s.root);
    const port = await server.listening();
    expect(server.out.stdout).toContain(`serving dist (5 files) at http://127.0.0.1:${port}/`);
    const feed = await request(port, '/feed.xml');
    expect(feed.status).toBe(200);
    expect(feed.headers['cache-control']).toBe('public, max-age=60');
    expect(feed.body.toString()).toContain('First story');

    await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'Second story', date: '2026-02-01' }));
    expect(await runCli(['build', '--now', '2026-06-01T00:00:00Z'], noop)).toBe(0);
    await until(async () => (await request(port, '/feed.xml')).body.toString().includes('Second story'));
    await until(async () => server.out.stdout.includes('reloaded dist: 5 files'));

    server.stop();
    expect(await server.done).toBe(0);
    await expect(request(port, '/feed.xml')).rejects.toThrow();
  });

  it('starts before anything is published, and serves the first build without a restart', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'Late story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
    const server = start(['serve', '--port', '0'], s.root);
    const port = await server.listening();
    expect(server.out.stderr).toContain('nothing is published in dist yet');
    expect((await request(port, '/feed.xml')).status).toBe(404);
    expect(await runCli(['build'], { stdout: () => undefined, stderr: () => undefined, cwd: s.root })).toBe(0);
    await until(async () => (await request(port, '/feed.xml')).status === 200);
    server.stop();
    expect(await server.done).toBe(0);
  });

  it('listens before its first load has finished: prints the line with the manifest\'s count, and answers meanwhile', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'Early story', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
    expect(await runCli(['build', '--now', '2026-06-01T00:00:00Z'], { stdout: () => undefined, stderr: () => undefined, cwd: s.root })).toBe(0);
    // A listed file that cannot be read until released: the first load cannot finish before.
    const stalled = await stalledFile(s.outDir, 'tags/slow/feed.xml', '<rss version="2.0">slow</rss>\n');
    const server = start(['serve', '--port', '0'], s.root);
    try {
      const port = await server.listening();
      expect(server.out.stdout).toContain(`serving dist (6 files) at http://127.0.0.1:${port}/`);
      const feed = await request(port, '/feed.xml');
      expect(feed.status).toBe(200);
      expect(feed.body.toString()).toContain('Early story');
      expect(feed.headers['cache-control']).toBe('public, max-age=60');
      expect((await request(port, '/nope.xml')).status).toBe(404);
      await stalled.release();
      await until(async () => (await request(port, '/tags/slow/feed.xml')).body.toString().includes('slow'));
      // The first load took over what was served: no "reloaded" line for it.
      expect(server.out.stdout).not.toContain('reloaded');
    } finally {
      await stalled.cleanup();
      server.stop();
    }
    expect(await server.done).toBe(0);
  });

  it.each([['--port', 'http'], ['--port', '70000'], ['--port', '-1']])('exits 2 on %s %s', async (flag, value) => {
    const s = await makeSite({});
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
    let stderr = '';
    expect(await runCli(['serve', flag, value], { stdout: () => undefined, stderr: (t) => (stderr += t), cwd: s.root })).toBe(2);
    expect(stderr).toMatch(/--port.*\nRun "feedpipe --help" for usage\.\n$/);
  });

  it('refuses --port and --host on other commands', async () => {
    let stderr = '';
    expect(await runCli(['build', '--port', '8080'], { stdout: () => undefined, stderr: (t) => (stderr += t) })).toBe(2);
    expect(stderr).toContain('--port and --host are options of "feedpipe serve" and "feedpipe start --serve"');
  });

  it('exits 1 when the port is taken', async () => {
    const s = await makeSite({});
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
    const first = start(['serve', '--port', '0'], s.root);
    const port = await first.listening();
    let stderr = '';
    expect(await runCli(['serve', '--port', String(port)], { stdout: () => undefined, stderr: (t) => (stderr += t), cwd: s.root })).toBe(1);
    expect(stderr).toContain('cannot listen');
    first.stop();
    await first.done;
  });
});
