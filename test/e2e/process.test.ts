/**
 * End to end with a real process, the way users run it: `node lib/bundle/cli.js start` (the bundle that `npm start` and the `feedpipe` bin run)
 * (`npm test` compiles lib/ from src/ before vitest runs; compiling here too
 * would rewrite lib/ under other test files that use it). An article dated a few seconds ahead must
 * not be in dist/ before its time and must be there within a second after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { article, makeSite } from '../helpers/site.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'lib', 'bundle', 'cli.js');

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('lib/bundle is missing: run `npm test`, which builds it first');
});

function start(cwd: string) {
  const child = spawn(process.execPath, [cli, 'start'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, out, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const kill = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');

describe('feedpipe start, as a process', () => {
  it('publishes an article due a few seconds ahead within a second of its time, never before; refuses a second publisher; stops on SIGTERM', async () => {
    const due = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    const s = await makeSite({
      'old.md': article({ title: 'Already out', date: '2026-01-01T00:00:00Z' }),
      'due.md': article({ title: 'Embargo lifts', date: new Date(due).toISOString(), tags: ['Scoop'] }),
    });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Process Times\n  url: https://process.example.com/\n');
    const feed = path.join(s.outDir, 'feed.xml');
    const p = start(s.root);
    try {
      let firstSeen: number | undefined;
      let builtBeforeDue = false;
      while (Date.now() < due + 2000) {
        const text = await readFile(feed, 'utf8').catch(() => '');
        const t = Date.now();
        if (text.includes('Already out') && t < due) builtBeforeDue = true;
        if (text.includes('Embargo lifts')) {
          firstSeen = t;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const log = `stdout:\n${p.out.stdout}\nstderr:\n${p.out.stderr}`;
      expect(builtBeforeDue, log).toBe(true); // the start build happened, without the article
      expect(firstSeen, log).toBeDefined();
      // The poll can only see it after it was written; the file's mtime says when it was written.
      const mtime = (await stat(feed)).mtimeMs;
      expect(firstSeen!).toBeGreaterThanOrEqual(due);
      expect(mtime).toBeGreaterThanOrEqual(due);
      expect(firstSeen! - due).toBeLessThan(1000);
      // Every feed carrying it (files are renamed into place one after another, a few ms apart).
      const others = ['atom.xml', 'feed.json', 'tags/scoop/feed.xml', 'tags/scoop/atom.xml', 'tags/scoop/feed.json'].map((f) => path.join(s.outDir, f));
      const allIn = async () => (await Promise.all(others.map((f) => readFile(f, 'utf8').catch(() => '')))).every((t) => t.includes('Embargo lifts'));
      while (!(await allIn()) && Date.now() < due + 2000) await new Promise((r) => setTimeout(r, 5));
      const allSeen = Date.now();
      expect(await allIn()).toBe(true);
      expect(allSeen - due).toBeLessThan(1000);
      console.log(
        `due-time publishing: feed.xml seen ${firstSeen! - due} ms after due (polled every 20 ms), written ${Math.round(mtime - due)} ms after due; all 6 files of its feeds in place ${allSeen - due} ms after due`,
      );
      // The log line may arrive through the pipe a moment after the file.
      for (let i = 0; i < 50 && !/Z due /.test(p.out.stdout); i++) await new Promise((r) => setTimeout(r, 20));
      expect(p.out.stdout).toMatch(/ due    main \+1 ~0 -0, tag\/scoop \+1 ~0 -0 · 7 written, 1 unchanged · nothing scheduled · \d+ ms( \(built ahead\))?\n/); // built ahead when the first build took over 250 ms (a loaded machine)

      const second = start(s.root);
      const { code } = await within(second.exited, 5000, 'second publisher exit');
      expect(code).toBe(1);
      expect(second.out.stderr).toMatch(new RegExp(`cannot start: the output folder is locked by feedpipe start \\(pid ${p.child.pid} on `));

      const sent = Date.now();
      p.child.kill('SIGTERM');
      const exit = await within(p.exited, 2000, 'exit after SIGTERM');
      expect(exit.code).toBe(0);
      console.log(`SIGTERM → exit 0 in ${exit.at - sent} ms`);
      const left = (await readdir(s.outDir, { recursive: true })).map(String);
      expect(left.filter((f) => f.endsWith('.tmp') || f.endsWith('.feedpipe.lock'))).toEqual([]);
    } finally {
      kill(p.child);
    }
  }, 20_000);

  it('SIGINT during the first build: exits 0 within two seconds, no temp files, feeds complete or absent', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`a${i}.md`] = article({ title: `Article ${i}`, date: '2026-01-01T00:00:00Z', tags: [`t${i % 40}`] }, 'Body '.repeat(200));
    const s = await makeSite(files);
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Busy Times\n  url: https://busy.example.com/\n');
    const p = start(s.root);
    try {
      await within(new Promise<void>((resolve) => p.child.stderr!.on('data', () => resolve())), 5000, 'start banner');
      const sent = Date.now();
      p.child.kill('SIGINT');
      const exit = await within(p.exited, 2000, 'exit after SIGINT');
      expect(exit.code, p.out.stderr).toBe(0);
      console.log(`SIGINT during the first build → exit 0 in ${exit.at - sent} ms`);
      const left = (await readdir(s.outDir, { recursive: true })).map(String);
      expect(left.filter((f) => f.endsWith('.tmp') || f.endsWith('.feedpipe.lock'))).toEqual([]);
      // Either the build was stopped before writing, or its write finished: never a partial set.
      const feeds = left.filter((f) => /(feed\.xml|atom\.xml|feed\.json)$/.test(f));
      expect([0, 41 * 3]).toContain(feeds.length);
      console.log(`  feeds in dist after the stop: ${feeds.length} (0: stopped before writing; 123: the write finished)`);
    } finally {
      kill(p.child);
    }
  }, 20_000);
});
