import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireOutputLock, keepLockFresh, LOCK_FILE, processExists, type OutputLock } from '../../src/start/lock.js';
import { makeSite } from '../helpers/site.js';

const alive = new Set([111, 222]);
const opts = (pid: number, extra: Partial<Parameters<typeof acquireOutputLock>[1]> = {}) => ({
  command: 'feedpipe start',
  pid,
  hostname: 'newsroom-1',
  isAlive: (p: number) => alive.has(p),
  ...extra,
});

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

  it('an unreadable lock is held until it is old', async () => {
    const { outDir } = await makeSite({});
    const held = await acquireOutputLock(outDir, opts(111));
    if (held.ok) await held.lock.release();
    await writeFile(path.join(outDir, LOCK_FILE), '');
    expect((await acquireOutputLock(outDir, opts(222))).ok).toBe(false);
    expect((await acquireOutputLock(outDir, opts(222, { now: () => Date.now() + 10 * 60_000 }))).ok).toBe(true);
  });

  it('checks a pid with signal 0', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 12345)).toBe(false);
  });
});
