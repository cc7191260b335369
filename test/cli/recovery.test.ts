/**
 * `feedpipe serve` and `feedpipe build` on a folder a killed publisher left: each finishes the
 * publication under the lock before reading the folder (serve leaves it to a live publisher).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { JOURNAL } from '../../src/publish/files.js';
import { LOCK_FILE } from '../../src/start/lock.js';
import { isTempName } from '../../src/util/atomic.js';
import { request } from '../helpers/http.js';
import { leaveInterrupted } from '../helpers/interrupted.js';
import { article, makeSite } from '../helpers/site.js';

async function serving(root: string): Promise<{ port: number; out: { stdout: string; stderr: string }; stop: () => Promise<number> }> {
  await writeFile(path.join(root, 'feedpipe.config.yaml'), 'site:\n  title: Served Times\n  url: https://served.example/\n');
  const out = { stdout: '', stderr: '' };
  const controller = new AbortController();
  const done = runCli(['serve', '--port', '0'], { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), cwd: root, signal: controller.signal });
  for (let i = 0; i < 500; i++) {
    const m = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stdout);
    if (m) return { port: Number(m[1]), out, stop: () => (controller.abort(), done) };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`serve did not start: ${out.stderr}`);
}

const leftovers = async (outDir: string) => (await readdir(outDir, { recursive: true })).map(String).filter((f) => isTempName(path.basename(f)) || f === JOURNAL);

describe('feedpipe serve after a publisher was killed', () => {
  it('finishes the interrupted publication first (taking over the dead lock), then serves it whole', async () => {
    const s = await makeSite({});
    await leaveInterrupted(s.outDir, { journal: true });
    const server = await serving(s.root);
    try {
      expect(server.out.stderr).toContain('feedpipe serve: dist: finished a publication that was interrupted (2 files put in place, then the manifest)');
      expect((await request(server.port, '/feed.xml')).body.toString()).toBe('<rss>B</rss>');
      expect((await request(server.port, '/tags/new/feed.xml')).status).toBe(200);
      expect((await request(server.port, '/tags/old/feed.xml')).status).toBe(404);
      expect(await leftovers(s.outDir)).toEqual([]);
      expect((await readdir(s.outDir)).includes(LOCK_FILE)).toBe(false); // taken over, then released
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('killed before its journal: the previous publication is served, the temp files go, no other file', async () => {
    const s = await makeSite({});
    await leaveInterrupted(s.outDir, { journal: false });
    await writeFile(path.join(s.outDir, '.notes.tmp'), 'mine');
    const server = await serving(s.root);
    try {
      expect(server.out.stderr).toMatch(/removed 4 temp files left by a process that was killed/); // 2 staged, the manifest's, 1 backup (the new tag's file replaced none)
      expect((await request(server.port, '/feed.xml')).body.toString()).toBe('<rss>A</rss>');
      expect((await request(server.port, '/tags/old/feed.xml')).status).toBe(200);
      expect(await leftovers(s.outDir)).toEqual([]);
      expect(await readFile(path.join(s.outDir, '.notes.tmp'), 'utf8')).toBe('mine');
    } finally {
      await server.stop();
    }
  });

  it('leaves the journal alone while a live publisher holds the lock: that one finishes it', async () => {
    const s = await makeSite({});
    await leaveInterrupted(s.outDir, { journal: true, lock: { pid: process.ppid, command: 'feedpipe start' } });
    const before = await leftovers(s.outDir);
    const server = await serving(s.root);
    try {
      expect(server.out.stderr).not.toContain('interrupted');
      expect(await leftovers(s.outDir)).toEqual(before);
      expect(before).toContain(JOURNAL);
      // Nothing was renamed: the previous publication still verifies, and is served.
      expect((await request(server.port, '/feed.xml')).body.toString()).toBe('<rss>A</rss>');
    } finally {
      await server.stop();
    }
  });
});

describe('feedpipe build after a publisher was killed', () => {
  it('finishes the interrupted publication before judging whether the last result stands, then builds', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'Built', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Built Times\n  url: https://built.example/\n');
    await leaveInterrupted(s.outDir, { journal: true });
    const out = { stdout: '', stderr: '' };
    const code = await runCli(['build', '--now', '2026-06-01T00:00:00Z'], { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), cwd: s.root });
    expect(code, out.stderr).toBe(0);
    expect(out.stderr).toContain('feedpipe: dist: finished a publication that was interrupted (2 files put in place, then the manifest)');
    expect(out.stdout).toMatch(/written, \d+ unchanged, 1 removed/); // tags/new, which the finished publication put there
    expect(await leftovers(s.outDir)).toEqual([]);
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Built');
  });
});
