import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { LOCK_FILE } from '../../src/start/lock.js';
import { launch } from '../helpers/publisher.js';
import { article, makeSite } from '../helpers/site.js';

const CONFIG = 'site:\n  title: Start Times\n  url: https://start.example.com/\n';

async function site(files: Record<string, string>, config = CONFIG) {
  const s = await makeSite(files);
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), config);
  return s;
}

const read = (file: string) => readFile(file, 'utf8').catch(() => '');

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

describe('feedpipe start (in process)', () => {
  it('publishes an edit whose watcher build threw, with the next watcher build of another file', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 5; i++) files[`a${i}.md`] = article({ title: `Story ${i}`, date: `2026-01-0${i + 1}` });
    const s = await makeSite(files);
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example.com/\n');
    const a1 = path.join(s.contentDir, 'a1.md');
    let thrown = false;
    const p = launch(s.root, {
      watch: true,
      debounceMs: 50,
      retryMs: { first: 60_000, max: 60_000 },
      buildImpl: async (o = {}) => {
        if (!thrown && o.changedPaths?.includes(a1)) {
          thrown = true;
          throw new Error('transient');
        }
        return build(o);
      },
    });
    try {
      await p.until(() => p.runs().length === 1);
      await writeFile(a1, article({ title: 'Story 1 corrected', date: '2026-01-02' }));
      await p.until(() => thrown, 5000);
      await new Promise((r) => setTimeout(r, 300));
      await writeFile(path.join(s.contentDir, 'a2.md'), article({ title: 'Story 2 corrected', date: '2026-01-03' }));
      await p.until(async () => (await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).includes('Story 2 corrected'), 5000);
      expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('Story 1 corrected');
    } finally {
      await p.stop();
    }
  }, 20_000);

  it('builds at start, logs one line per run, and on stop releases the lock and leaves no temp files', async () => {
    const s = await site({ 'a.md': article({ title: 'Hello', date: '2026-01-01', tags: ['x'] }), 'b.md': article({ title: 'Later', date: '2099-01-01T09:00:00Z' }) });
    const p = launch(s.root);
    await p.until(() => p.runs().length === 1);
    expect(p.runs()[0]).toMatch(/^\S+Z start  main \+1 ~0 -0, tag\/x \+1 ~0 -0 · 8 written, 0 unchanged · next due 2099-01-01T09:00:00Z · \d+ ms$/);
    expect(p.out.stderr).toContain('feedpipe: publishing content → dist: now and when each article falls due. Ctrl-C stops.');
    expect(await read(path.join(s.outDir, LOCK_FILE))).toContain(`"pid":${process.pid}`);
    expect(await p.stop()).toEqual({ stopped: 'signal' });
    expect(p.out.stderr).toContain('feedpipe: stopped');
    const files = await allFiles(s.outDir);
    expect(files).not.toContain(LOCK_FILE);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a second publisher on the same output folder', async () => {
    const s = await site({});
    const first = launch(s.root);
    await first.until(() => first.runs().length === 1);
    const second = launch(s.root);
    expect(await second.done).toMatchObject({ failed: 'lock' });
    expect(second.out.stderr).toMatch(/^feedpipe: cannot start: the output folder is locked by feedpipe start \(pid \d+ on /);
    expect(await first.stop()).toEqual({ stopped: 'signal' });
  });

  it('a restart with nothing changed writes nothing: bytes and modification times stay', async () => {
    const s = await site({ 'a.md': article({ title: 'Hello', date: '2026-01-01' }) });
    const first = launch(s.root);
    await first.until(() => first.runs().length === 1);
    await first.stop();
    const before = await Promise.all((await allFiles(s.outDir)).map(async (f) => [f, (await stat(path.join(s.outDir, f))).mtimeMs]));
    const second = launch(s.root);
    await second.until(() => second.runs().length === 1);
    // Compared with what is on disk, not with nothing: a restart is not "everything added".
    expect(second.runs()[0]).toMatch(/ start  no changes · 0 written, 5 unchanged · nothing scheduled · /);
    await second.stop();
    const after = await Promise.all((await allFiles(s.outDir)).map(async (f) => [f, (await stat(path.join(s.outDir, f))).mtimeMs]));
    expect(after).toEqual(before);
  });

  it('publishes an article at its due time, by its own timer', async () => {
    const due = new Date(Math.ceil((Date.now() + 1200) / 100) * 100);
    const s = await site({ 'a.md': article({ title: 'On time', date: due.toISOString() }) });
    const p = launch(s.root);
    await p.until(() => p.runs().length === 1);
    expect(await read(path.join(s.outDir, 'feed.xml'))).not.toContain('On time');
    await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('On time'), 3000);
    const seen = Date.now();
    expect(seen).toBeGreaterThanOrEqual(due.getTime());
    expect(seen - due.getTime()).toBeLessThan(1000);
    await p.until(() => p.runs().length === 2); // the line follows the last file
    expect(p.runs()[1]).toMatch(/ due    main \+1 ~0 -0 · 4 written, 1 unchanged · nothing scheduled · /);
    await p.stop();
  });

  it('publishes an article at its due time although another file has an error: the broken draft is held, its error logged every run', async () => {
    for (const prepareAboveMs of [250, -1]) {
      const due = new Date(Math.ceil((Date.now() + 1500) / 100) * 100);
      const s = await site({ 'a.md': article({ title: 'On time', date: due.toISOString() }), 'typo.md': '---\ntitle: Draft\ndraft: yes please\ndate: 2026-01-01\n---\n' });
      const p = launch(s.root, { prepareAboveMs });
      await p.until(() => p.runs().length === 1);
      expect(p.runs()[0]).toMatch(/1 file held back by 1 error/);
      await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('On time'), 3000);
      const seen = Date.now();
      expect(seen).toBeGreaterThanOrEqual(due.getTime());
      expect(seen - due.getTime()).toBeLessThan(1000);
      await p.until(() => p.runs().length === 2);
      expect(p.runs()[1]).toMatch(/ due    main \+1 ~0 -0 · \d+ written, \d+ unchanged · 1 file held back by 1 error/);
      expect(p.out.stderr.split('content/typo.md:3:8  error').length - 1).toBe(2);
      await p.stop();
    }
  });

  it('on a slow site, builds ahead of the due time and only writes at it — unless the content changed meanwhile', async () => {
    for (const edit of [false, true]) {
      const due = new Date(Math.ceil((Date.now() + 1500) / 100) * 100);
      const s = await site({ 'a.md': article({ title: 'On time', date: due.toISOString() }), 'b.md': article({ title: 'Old news', date: '2026-01-01' }) });
      const p = launch(s.root, { prepareAboveMs: -1 });
      await p.until(() => p.runs().length === 1);
      await new Promise((r) => setTimeout(r, 400)); // the build ahead runs now (due is within its lead time)
      if (edit) await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'Old news, corrected', date: '2026-01-01' }));
      await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('On time'), 3000);
      const seen = Date.now();
      expect(seen).toBeGreaterThanOrEqual(due.getTime());
      expect(seen - due.getTime()).toBeLessThan(1000);
      await p.until(() => p.runs().length === 2);
      if (edit) {
        expect(await read(path.join(s.outDir, 'feed.xml'))).toContain('Old news, corrected');
        expect(p.runs()[1]).toMatch(/ due    main \+1 ~1 -0 · 4 written, 1 unchanged · nothing scheduled · \d+ ms$/);
      } else {
        expect(p.runs()[1]).toMatch(/ due    main \+1 ~0 -0 · 4 written, 1 unchanged · nothing scheduled · \d+ ms \(built ahead\)$/);
      }
      await p.stop();
    }
  });

  it('keeps the last good feeds and keeps running when content breaks; with --watch, a fix publishes within a second', async () => {
    const s = await site({ 'a.md': article({ title: 'Good', date: '2026-01-01' }) });
    const p = launch(s.root, { watch: true, debounceMs: 100 });
    await p.until(() => p.runs().length === 1);
    const good = await read(path.join(s.outDir, 'feed.xml'));
    await writeFile(path.join(s.contentDir, 'b.md'), '---\ntitle: Broken\ndate: 2026-02-30\n---\n');
    await p.until(() => p.runs().length === 2);
    // The broken file never published is held out; nothing else changes.
    expect(p.runs()[1]).toMatch(/ watch  no changes · 0 written, 5 unchanged · 1 file held back by 1 error \(each keeps its last published version, if any\)/);
    expect(p.out.stderr).toContain('content/b.md:3:7  error  date: "2026-02-30" is not a real date');
    expect(await read(path.join(s.outDir, 'feed.xml'))).toBe(good);
    const fixedAt = Date.now();
    await writeFile(path.join(s.contentDir, 'b.md'), '---\ntitle: Fixed\ndate: 2026-02-28\n---\n');
    await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('Fixed'), 2000);
    expect(Date.now() - fixedAt).toBeLessThan(1000);
    // A change to the config is picked up too.
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG.replace('Start Times', 'Renamed Times'));
    await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('Renamed Times'), 2000);
    // Editor leftovers and underscore folders are not content. First let the runs settle: the config's
    // build logs its line after its files are in place, and one save can reach the watcher as two events.
    let seen = -1;
    await p.until(async () => {
      const n = p.runs().length;
      if (n === seen) return true;
      seen = n;
      await new Promise((r) => setTimeout(r, 300));
      return false;
    }, 5000);
    const runs = p.runs().length;
    await writeFile(path.join(s.contentDir, '.b.md.swp'), 'x');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.runs().length).toBe(runs);
    expect(await p.stop()).toEqual({ stopped: 'signal' });
  });

  it('keeps the site in memory: after a watched edit only that file is parsed again', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`a${i}.md`] = article({ title: `Story ${i}`, date: `2026-01-${String(i + 1).padStart(2, '0')}` });
    const s = await site(files);
    const builds: { changedPaths?: readonly string[]; parsed: number; reused: number }[] = [];
    const p = launch(s.root, {
      watch: true,
      debounceMs: 50,
      buildImpl: async (o = {}) => {
        const r = await build(o);
        builds.push({ ...(o.changedPaths ? { changedPaths: o.changedPaths } : {}), parsed: r.stats.parsed, reused: r.stats.reused });
        return r;
      },
    });
    await p.until(() => p.runs().length === 1);
    expect(builds[0]).toMatchObject({ parsed: 30, reused: 0 });
    await writeFile(path.join(s.contentDir, 'a29.md'), article({ title: 'Story 29, corrected', date: '2026-01-30' }));
    await p.until(async () => (await read(path.join(s.outDir, 'feed.xml'))).includes('corrected'), 2000);
    // The feed is renamed into place before build() returns: wait for the build to be recorded too.
    await p.until(() => builds.some((b) => b.parsed === 1), 2000);
    // One save can reach the watcher as several events (truncate, write): there may be a follow-up
    // build, but no build after the first parses anything but the edited file.
    const later = builds.slice(1);
    // Late events from creating the site may join the edit's build, so changedPaths may name more files;
    // what matters is that only the edited one is parsed again.
    expect(later.some((b) => b.parsed === 1 && b.reused === 29 && b.changedPaths?.includes(path.join(s.contentDir, 'a29.md'))), JSON.stringify(builds)).toBe(true);
    for (const b of later) expect(b.parsed + b.reused).toBe(30), expect(b.parsed).toBeLessThanOrEqual(1);
    expect(await p.stop()).toEqual({ stopped: 'signal' });
  });

  it('logs an unexpected exception with its stack, keeps running and retries', async () => {
    const s = await site({ 'a.md': article({ title: 'Survivor', date: '2026-01-01' }) });
    let calls = 0;
    const p = launch(s.root, {
      retryMs: { first: 50, max: 50 },
      buildImpl: (o) => (++calls === 1 ? Promise.reject(new Error('disk on fire')) : build(o)),
    });
    await p.until(() => p.runs().length === 2);
    expect(p.out.stderr).toMatch(/feedpipe: unexpected error in a build \(the published feeds are unchanged; retrying\):\nError: disk on fire\n\s+at /);
    expect(p.runs()[0]).toMatch(/ start  FAILED: unexpected error: disk on fire; the published feeds are unchanged · nothing scheduled · 0 ms$/);
    expect(p.runs()[1]).toMatch(/ retry  main \+1 ~0 -0 · 5 written/);
    expect(await read(path.join(s.outDir, 'feed.xml'))).toContain('Survivor');
    expect(await p.stop()).toEqual({ stopped: 'signal' });
  });

  it('logs JSON lines for machines, diagnostics as JSON on stderr', async () => {
    const s = await site({ 'a.md': article({ title: 'A', date: '2026-01-01' }, '<b>raw</b>') });
    const p = launch(s.root, { logFormat: 'json' });
    await p.until(() => p.out.stdout.includes('"event":"run"'));
    await p.stop();
    const lines = p.out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(lines.map((l) => l.event)).toEqual(['start', 'run', 'stop']);
    expect(lines[1]).toMatchObject({ trigger: 'start', ok: true, feeds: [{ feed: 'main', added: 1, updated: 0, removed: 0 }], files: { written: 5, unchanged: 0, removed: 0 }, nextDue: null });
    const diag = JSON.parse(p.out.stderr.trim().split('\n')[0]!) as Record<string, unknown>;
    expect(diag).toMatchObject({ event: 'diagnostic', severity: 'warning', file: 'content/a.md' });
  });

  it('does not start with a broken config, and leaves no lock behind', async () => {
    const s = await site({}, CONFIG + 'schedule:\n  cron: "*/15 * *"\n');
    const p = launch(s.root);
    expect(await p.done).toMatchObject({ failed: 'config' });
    expect(p.out.stderr).toContain('feedpipe.config.yaml:5:9  error  schedule.cron: "*/15 * *" is not a cron expression: expected 5 or 6 fields but got 3  (invalid-cron)');
    expect(p.out.stderr).toContain('feedpipe: cannot start: fix the config first');
    await expect(stat(path.join(s.outDir, LOCK_FILE))).rejects.toThrow();
  });

  it('stops with exit code 1 when its lock is taken away', async () => {
    const s = await site({});
    const p = launch(s.root, { lockRefreshMs: 50 });
    await p.until(() => p.runs().length === 1);
    await unlink(path.join(s.outDir, LOCK_FILE));
    expect(await p.done).toEqual({ stopped: 'lock-lost' });
    expect(p.out.stderr).toContain('the lock on the output folder was removed or taken over by another process');
  });
});
