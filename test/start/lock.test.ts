import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireOutputLock, keepLockFresh, LOCK_FILE, processExists, type OutputLock } from '../../src/start/lock.js';
import { runCli } from '../../src/cli/main.js';
import { launch } from '../helpers/publisher.js';
import { article, makeSite } from '../helpers/site.js';

const alive = new Set([111, 222]);
const opts = (pid: number, extra: Partial<Parameters<typeof acquireOutputLock>[1]> = {}) => ({
  command: 'feedpipe start',
  pid,
  hostname: 'newsroom-1',
  isAlive: (p: number) => alive.has(p),
  ...extra,
});

/** lock.ts as one plain ES module, so a child process can take the lock with the code under test. */
let childDir: string;
beforeAll(async () => {
  childDir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-lock-child-'));
  await build({ entryPoints: [fileURLToPath(new URL('../../src/start/lock.ts', import.meta.url))], outfile: path.join(childDir, 'lock.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
  await writeFile(
    path.join(childDir, 'take.mjs'),
    [
      "import { acquireOutputLock } from './lock.mjs';",
      "const r = await acquireOutputLock(process.argv[2], { command: 'feedpipe start' });",
      "process.stdout.write(JSON.stringify({ ok: r.ok, tookOver: r.tookOver, message: r.message }) + '\\n');",
      "if (process.argv[3] === 'hold') setInterval(() => undefined, 1 << 30);",
    ].join('\n'),
  );
  await chmod(childDir, 0o755);
});
afterAll(async () => {
  await rm(childDir, { recursive: true, force: true });
});

/** Takes the lock in another process; with `hold` it keeps running (and holding) until killed. */
async function lockInChild(outDir: string, how: { hold?: boolean; uid?: number; gid?: number }) {
  const child = spawn(process.execPath, [path.join(childDir, 'take.mjs'), outDir, how.hold ? 'hold' : ''], { stdio: ['ignore', 'pipe', 'pipe'], ...(how.uid !== undefined ? { uid: how.uid, gid: how.gid } : {}) });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) resolve();
    });
    child.on('exit', () => resolve());
    child.on('error', () => resolve());
  });
  const line = stdout.split('\n')[0];
  return { child, exited, stderr, result: line ? (JSON.parse(line) as { ok: boolean; tookOver?: unknown; message?: string }) : undefined };
}

function canRead(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

describe('output folder lock', () => {
  it('lets one holder in and refuses the second with a message that says who holds it', async () => {
    const { outDir } = await makeSite({});
    const first = await acquireOutputLock(outDir, opts(111));
    expect(first.ok).toBe(true);
    const holder = JSON.parse(await readFile(path.join(outDir, LOCK_FILE), 'utf8'));
    expect(holder).toMatchObject({ pid: 111, hostname: 'newsroom-1', command: 'feedpipe start' });
    const second = await acquireOutputLock(outDir, opts(222));
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.message).toMatch(/^the output folder is locked by feedpipe start \(pid 111 on newsroom-1, since \d{4}-.*\): only one publisher may write it at a time/);
    expect(second.message).toContain('Stop that process first, or use --out for another folder');
    if (first.ok) await first.lock.release();
    await expect(stat(path.join(outDir, LOCK_FILE))).rejects.toThrow();
    expect((await acquireOutputLock(outDir, opts(222))).ok).toBe(true);
  });

  it('takes over the lock of a process that no longer exists on this host', async () => {
    const { outDir } = await makeSite({});
    await acquireOutputLock(outDir, opts(999)); // crashed: never released
    const r = await acquireOutputLock(outDir, opts(222));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tookOver).toMatchObject({ holder: { pid: 999 }, reason: 'process 999 no longer exists' });
  });

  it('takes over a lock that names this very pid (a restarted container gets pid 1 again)', async () => {
    const { outDir } = await makeSite({});
    const held = await acquireOutputLock(outDir, opts(111));
    expect((await acquireOutputLock(outDir, opts(111))).ok).toBe(false); // held by this very process
    if (held.ok) await held.lock.release();
    await writeFile(path.join(outDir, LOCK_FILE), JSON.stringify({ pid: 111, hostname: 'newsroom-1', started: '2026-01-01T00:00:00.000Z', command: 'feedpipe start' }));
    const r = await acquireOutputLock(outDir, opts(111));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tookOver?.reason).toMatch(/this process's pid 111/);
  });

  it('on another host, or with a pid reused by another program, goes by the age of the last refresh', async () => {
    const { outDir } = await makeSite({});
    const now = Date.now();
    await acquireOutputLock(outDir, opts(111, { hostname: 'newsroom-2' }));
    expect((await acquireOutputLock(outDir, opts(222, { now: () => now + 60_000 }))).ok).toBe(false);
    const r = await acquireOutputLock(outDir, opts(222, { now: () => now + 6 * 60_000 }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tookOver?.reason).toMatch(/^not refreshed for \d+ s$/);
  });

  it('refresh keeps the lock fresh, and tells a holder whose lock was taken over', async () => {
    const { outDir } = await makeSite({});
    const file = path.join(outDir, LOCK_FILE);
    const a = await acquireOutputLock(outDir, opts(111, { hostname: 'newsroom-2' }));
    if (!a.ok) throw new Error('no lock');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(file, old, old);
    expect(await a.lock.refresh()).toBe(true);
    expect((await stat(file)).mtimeMs).toBeGreaterThan(Date.now() - 10_000);
    await utimes(file, old, old);
    const b = await acquireOutputLock(outDir, opts(222));
    expect(b.ok).toBe(true);
    expect(await a.lock.refresh()).toBe(false);
    await a.lock.release(); // not ours any more: left alone
    expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(222);
  });

  it('a running holder refreshes its lock on a timer, and is told once when it lost it', async () => {
    const { outDir } = await makeSite({});
    const file = path.join(outDir, LOCK_FILE);
    const a = await acquireOutputLock(outDir, opts(111, { hostname: 'newsroom-2' }));
    if (!a.ok) throw new Error('no lock');
    const stopping = new AbortController();
    let lost = 0;
    const old = new Date(Date.now() - 3_600_000);
    await utimes(file, old, old);
    keepLockFresh(a.lock, { everyMs: 20, now: () => Date.now(), timers: { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }, signal: stopping.signal, onLost: () => lost++ });
    await new Promise((r) => setTimeout(r, 100));
    expect((await stat(file)).mtimeMs).toBeGreaterThan(Date.now() - 10_000);
    expect(lost).toBe(0);
    await writeFile(file, JSON.stringify({ pid: 222, hostname: 'newsroom-1', started: '2026-01-01T00:00:00.000Z', command: 'feedpipe start' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(lost).toBe(1);
    stopping.abort();
  });

  it('stops refreshing when its holder stops, even with a refresh under way, and then reports no loss', async () => {
    let answer: (ours: boolean) => void = () => undefined;
    const lock = { refresh: () => new Promise<boolean>((r) => (answer = r)) } as unknown as OutputLock;
    const armed: Array<() => void> = [];
    const timers = { setTimeout: (fn: () => void) => armed.push(fn), clearTimeout: () => undefined };
    const stopping = new AbortController();
    let lost = 0;
    keepLockFresh(lock, { everyMs: 20, now: () => 0, timers, signal: stopping.signal, onLost: () => lost++ });
    armed.shift()!(); // the refresh timer fires; the refresh is under way
    stopping.abort();
    answer(false); // the stop released the lock: the refresh finds it gone
    await new Promise((r) => setTimeout(r, 10));
    expect(lost).toBe(0);
    expect(armed).toEqual([]);
  });

  it('takes over an empty lock at once, and names the file and why', async () => {
    const { outDir } = await makeSite({});
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, LOCK_FILE), '');
    const r = await acquireOutputLock(outDir, opts(222));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tookOver).toEqual({ file: path.join(outDir, LOCK_FILE), reason: 'it is empty (a crash or a full disk while it was written)' });
    expect(JSON.parse(await readFile(path.join(outDir, LOCK_FILE), 'utf8')).pid).toBe(222);
  });

  it('a lock cut short: taken over when the pid it still names is gone (or it names none), refused while that process runs', async () => {
    const { outDir } = await makeSite({});
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, LOCK_FILE);
    await writeFile(file, '{"pid":111,"hostname":"newsroom-1","star');
    const refused = await acquireOutputLock(outDir, opts(222));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/^the output folder is locked by feedpipe \(pid 111 on newsroom-1, /);
    await writeFile(file, '{"pid":999,"hostname":"newsroom-1","star');
    const dead = await acquireOutputLock(outDir, opts(222));
    expect(dead.ok && dead.tookOver?.reason).toBe('it is cut short and process 999 no longer exists');
    if (dead.ok) await dead.lock.release();
    await writeFile(file, '{"pi');
    const nameless = await acquireOutputLock(outDir, opts(222));
    expect(nameless.ok && nameless.tookOver?.reason).toBe('it is not a feedpipe lock (torn or garbage)');
  });

  it('takes over garbage bytes, and a lock that names no holder', async () => {
    const { outDir } = await makeSite({});
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, LOCK_FILE), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x0a]));
    const garbage = await acquireOutputLock(outDir, opts(222));
    expect(garbage.ok && garbage.tookOver?.reason).toBe('it is not a feedpipe lock (torn or garbage)');
    if (garbage.ok) await garbage.lock.release();
    await writeFile(path.join(outDir, LOCK_FILE), '{"owner":"someone"}');
    const nameless = await acquireOutputLock(outDir, opts(222));
    expect(nameless.ok && nameless.tookOver?.reason).toBe('it names no holder');
  });

  it('removes an empty folder where the lock file should be; refuses, and leaves alone, one with files in it', async () => {
    const { outDir } = await makeSite({});
    const file = path.join(outDir, LOCK_FILE);
    await mkdir(file, { recursive: true });
    const empty = await acquireOutputLock(outDir, opts(222));
    expect(empty.ok && empty.tookOver?.reason).toBe('it is a folder, not a lock file');
    expect((await stat(file)).isFile()).toBe(true);
    if (empty.ok) await empty.lock.release();
    await mkdir(file);
    await writeFile(path.join(file, 'keep.txt'), 'not ours');
    const full = await acquireOutputLock(outDir, opts(222));
    expect(full.ok).toBe(false);
    if (!full.ok) expect(full.message).toBe(`cannot take over the stale lock ${file} (it is a folder, not a lock file): it is a folder with files in it, which feedpipe never deletes; remove it by hand`);
    expect(await readFile(path.join(file, 'keep.txt'), 'utf8')).toBe('not ours');
  });

  it('takes over a lock it cannot read (chmod 000)', async (ctx) => {
    const { root, outDir } = await makeSite({});
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, LOCK_FILE);
    await writeFile(file, JSON.stringify({ pid: 111, hostname: 'newsroom-1', started: '2026-01-01T00:00:00.000Z', command: 'feedpipe start' }));
    await chmod(file, 0o000);
    if (!canRead(file)) {
      const r = await acquireOutputLock(outDir, opts(222));
      expect(r.ok && r.tookOver?.reason).toBe('it cannot be read (EACCES)');
      return;
    }
    // Root reads anything: a process of an unprivileged user is what meets this lock.
    const nobody = process.getuid?.() === 0 ? 65534 : undefined;
    if (nobody === undefined) return ctx.skip('this user can read a chmod 000 file and cannot run a process as another user');
    await chmod(root, 0o755);
    await chmod(outDir, 0o777);
    const child = await lockInChild(outDir, { uid: nobody, gid: nobody });
    if (!child.result) return ctx.skip(`cannot run a process as uid ${nobody}: ${child.stderr.trim()}`);
    expect(child.result).toMatchObject({ ok: true, tookOver: { file, reason: 'it cannot be read (EACCES)' } });
  });

  it('a process killed while holding the lock (SIGKILL): the next one takes it over at once', async () => {
    const { outDir } = await makeSite({});
    const holder = await lockInChild(outDir, { hold: true });
    expect(holder.result).toMatchObject({ ok: true });
    const pid = holder.child.pid!;
    expect(JSON.parse(await readFile(path.join(outDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid, command: 'feedpipe start' });
    // While it runs, it is refused at once.
    const refused = await acquireOutputLock(outDir, { command: 'feedpipe build' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toContain(`locked by feedpipe start (pid ${pid} on ${os.hostname()}`);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const started = Date.now();
    const r = await acquireOutputLock(outDir, { command: 'feedpipe build' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.ok && r.tookOver).toEqual({ file: path.join(outDir, LOCK_FILE), holder: expect.objectContaining({ pid }), reason: `process ${pid} no longer exists` });
  });

  it('many at once: exactly one gets the lock, it is whole, and no temp file is left', async () => {
    const { outDir } = await makeSite({});
    const pids = Array.from({ length: 12 }, (_, i) => 5000 + i);
    const results = await Promise.all(pids.map((pid) => acquireOutputLock(outDir, opts(pid, { isAlive: () => true }))));
    const winners = results.flatMap((r, i) => (r.ok ? [pids[i]] : []));
    expect(winners).toHaveLength(1);
    expect(JSON.parse(await readFile(path.join(outDir, LOCK_FILE), 'utf8')).pid).toBe(winners[0]);
    expect(await readdir(outDir)).toEqual([LOCK_FILE]);
  });

  it('checks a pid with signal 0', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 12345)).toBe(false);
  });
});

describe('a stale lock taken over says so in one line, naming the file and why', () => {
  const EMPTY = 'it is empty (a crash or a full disk while it was written)';

  it('feedpipe build', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Lock Times\n  url: https://lock.example/\n');
    await mkdir(s.outDir, { recursive: true });
    await writeFile(path.join(s.outDir, LOCK_FILE), '');
    let stderr = '';
    const code = await runCli(['build', '--now', '2026-06-01T00:00:00Z', '--quiet'], { stdout: () => undefined, stderr: (t) => (stderr += t), cwd: s.root });
    expect(code).toBe(0);
    expect(stderr).toBe(`feedpipe: took over the stale lock dist/${LOCK_FILE}: ${EMPTY}\n`);
    expect(await readFile(path.join(s.outDir, 'feed.xml'), 'utf8')).toContain('<title>A</title>');
    await expect(stat(path.join(s.outDir, LOCK_FILE))).rejects.toThrow(); // released
  });

  it('feedpipe start', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Lock Times\n  url: https://lock.example/\n');
    await mkdir(s.outDir, { recursive: true });
    await writeFile(path.join(s.outDir, LOCK_FILE), '{"pid":12');
    const p = launch(s.root);
    await p.until(() => p.runs().length > 0);
    await p.stop();
    expect(p.out.stderr.split('\n').filter((l) => l.includes('lock'))).toEqual([`feedpipe: took over the stale lock dist/${LOCK_FILE}: it is not a feedpipe lock (torn or garbage)`]);
  });
});
