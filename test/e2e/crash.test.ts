/**
 * Crash consistency, end to end. The real publisher (`node lib/bundle/cli.js start --watch`) on a
 * site whose content is edited between kills is SIGKILLed FEEDPIPE_CRASH_KILLS times (default
 * 200), mostly a random moment after its publication began staging files (seen in dist/), some at
 * any moment of its life (start, recovery, build). Half the processes run with
 * FEEDPIPE_TEST_PUBLISH_STEP_MS (a pause after each step of a publication) so kills land in every
 * step. After each kill the folder is recovered as `feedpipe serve` does on start (the dead
 * publisher's lock taken over, then recoverOutput; every tenth through the serve command itself)
 * or, one time in four, left to the next `feedpipe start`; then: every file the manifest lists
 * is there with its SHA-256, no other feed is, a fresh server answers 200 for every file, and no
 * temp file and no journal remains. FEEDPIPE_CRASH_LANES sites (default 2) are killed side by
 * side, each with its own publisher, to keep the wall time down; FEEDPIPE_CRASH_SEED replays the
 * edits and delays (not the machine's timing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { existsSync, watch } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { PUBLISHER_LOCK } from '../../src/cli/serve-command.js';
import { JOURNAL, MANIFEST } from '../../src/publish/files.js';
import { recoverOutput, RECOVERING_COMMAND } from '../../src/publish/journal.js';
import { readManifest } from '../../src/publish/manifest.js';
import { createFeedServer } from '../../src/serve/server.js';
import { acquireOutputLock, LOCK_FILE } from '../../src/start/lock.js';
import { isTempName } from '../../src/util/atomic.js';
import { mapLimit } from '../../src/util/map-limit.js';
import { article, makeSite } from '../helpers/site.js';

const KILLS = Number(process.env.FEEDPIPE_CRASH_KILLS ?? 200);
const SEED = Number(process.env.FEEDPIPE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const cli = fileURLToPath(new URL('../../lib/bundle/cli.js', import.meta.url));
const LANES = Number(process.env.FEEDPIPE_CRASH_LANES ?? 2);
const ARTICLES = 24;
/** The pause after each step of a publication, for half the processes (FEEDPIPE_TEST_PUBLISH_STEP_MS). */
const STEP_MS = 12;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('lib/bundle is missing: run `npm test`, which builds it first');
});

/** mulberry32: the same seed, the same kills and edits. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(SEED);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function articleText(i: number, edit: number, flash: boolean): string {
  const tags = [`Topic ${i % 5}`, `Region ${i % 3}`, ...(flash ? ['Flash'] : [])];
  const day = String((i % 27) + 1).padStart(2, '0');
  return article({ title: `Story ${i}, version ${edit}`, date: `2026-01-${day}T08:00:00Z`, section: `Desk ${i % 2}`, tags }, `Body of story ${i}, edit ${edit}. `.repeat(20));
}

/** The publisher as a process, what it prints, and when its first run ended. */
function startPublisher(root: string, stepMs: number) {
  const env = { ...process.env, ...(stepMs ? { FEEDPIPE_TEST_PUBLISH_STEP_MS: String(stepMs) } : {}) };
  const child = spawn(process.execPath, [cli, 'start', '--watch'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve())); // 'close': its output read to the end
  const runs = () => out.stdout.split('\n').filter((l) => /^\d{4}-\S+Z /.test(l)).length;
  return { child, out, exited, runs, startedAt: Date.now() };
}
type Publisher = ReturnType<typeof startPublisher>;

const killNow = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');

/** What the folder must be at rest: the manifest's files, each with its digest, nothing else published, no temp, no journal. */
async function checkWhole(outDir: string): Promise<number> {
  const manifest = await readManifest(outDir);
  expect(manifest.files.length).toBeGreaterThan(0);
  const digests = await mapLimit(manifest.files, 8, async (rel) => [rel, createHash('sha256').update(await readFile(path.join(outDir, rel))).digest('hex')]);
  expect(Object.fromEntries(digests)).toEqual(Object.fromEntries(manifest.files.map((rel) => [rel, manifest.published[rel]?.sha256])));
  const onDisk = (await readdir(outDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => path.relative(outDir, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
  expect(onDisk.filter((f) => isTempName(path.basename(f)) || f === JOURNAL)).toEqual([]);
  expect(onDisk.filter((f) => !['.feedpipe.lock', MANIFEST].includes(f)).sort()).toEqual(manifest.files);
  // A fresh server verifies every file against the manifest and serves each one.
  const server = createFeedServer({ outDir, brotliQuality: 1 });
  try {
    const loaded = await server.reload();
    expect(loaded.ok, loaded.error).toBe(true);
    expect(loaded.files).toBe(manifest.files.length);
    const { port } = await server.listen(0, '127.0.0.1');
    expect(await notServed(port, manifest.files)).toEqual([]);
  } finally {
    await server.close();
  }
  return manifest.files.length;
}

/** The files among `files` that the server on `port` does not answer 200 for (GET, over kept-alive loopback connections). */
async function notServed(port: number, files: readonly string[]): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const status = (rel: string) =>
    new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/${rel}`, agent }, (res) => res.resume().on('end', () => resolve(res.statusCode!))).on('error', reject);
    });
  try {
    const statuses = await Promise.all(files.map(async (rel) => [rel, await status(rel)] as const));
    return statuses.filter(([, s]) => s !== 200).map(([rel, s]) => `${rel}: ${s}`);
  } finally {
    agent.destroy();
  }
}

interface Tally {
  kills: number;
  /** Killed after the commit point: the journal was there. */
  journal: number;
  /** Killed while staging: its temp files there, no journal. */
  staging: number;
  forward: number;
  back: number;
  /** A journal cut short by the kill (it does not parse): nothing had been renamed on its strength. */
  discarded: number;
  tempsRemoved: number;
  byStart: number;
  byServeCommand: number;
  withStepPause: number;
}

/** Kills the lanes have begun: each lane claims one before its next publisher. */
let claimed = 0;
const tally: Tally = { kills: 0, journal: 0, staging: 0, forward: 0, back: 0, discarded: 0, tempsRemoved: 0, byStart: 0, byServeCommand: 0, withStepPause: 0 };

function countRecovery(stderr: string): void {
  if (/finished a publication that was interrupted/.test(stderr)) tally.forward++;
  if (/undid a publication that was interrupted/.test(stderr)) tally.back++;
  if (/that feedpipe did not write whole/.test(stderr)) tally.discarded++;
  tally.tempsRemoved += Number(/removed (\d+) temp files?/.exec(stderr)?.[1] ?? 0);
}

/** One site and its publishers, killed one after another until the tally has KILLS kills. */
async function lane(): Promise<{ files: number }> {
  const site = await makeSite({});
  await writeFile(path.join(site.root, 'feedpipe.config.yaml'), 'site:\n  title: Crash Times\n  url: https://crash.example.com/\n');
  for (let i = 0; i < ARTICLES; i++) await writeFile(path.join(site.contentDir, `story-${i}.md`), articleText(i, 0, false));
  await mkdir(site.outDir, { recursive: true });
  let edits = 0;
  let flash = new Set<number>();
  /** When the current publisher's publication began staging (its first temp in dist/), and its journal's events. */
  let staged: { pid: number; stepMs: number; at?: number; startedAt?: number; journalEvents: number } = { pid: 0, stepMs: 0, journalEvents: 0 };
  /** Ms from the first staged file to the journal's removal, as last seen, by step pause; and from a start to its staging. */
  const span = new Map<number, number>([
    [0, 40],
    [STEP_MS, 40 + 4 * STEP_MS],
  ]);
  let toStaging = 300;
  // Temp names carry the writer's pid: the first one of the current publisher marks its staging.
  const watcher = watch(site.outDir, (_event, name) => {
    const n = String(name ?? '');
    if (!staged.at && isTempName(n) && n.includes(`.${staged.pid}.`)) {
      staged.at = Date.now();
      if (staged.startedAt) toStaging = 0.7 * toStaging + 0.3 * (staged.at - staged.startedAt);
    }
    if (n === JOURNAL && staged.at && ++staged.journalEvents === 2) span.set(staged.stepMs, 0.7 * span.get(staged.stepMs)! + 0.3 * (Date.now() - staged.at));
  });

  /** Edits a few articles (titles, bodies) and flips the Flash tag, whose feeds then appear or go. */
  const edit = async () => {
    edits++;
    const touched = new Set([Math.floor(rand() * ARTICLES), Math.floor(rand() * ARTICLES)]);
    if (rand() < 0.4) {
      const i = Math.floor(rand() * 3);
      flash = new Set(flash.has(i) ? [...flash].filter((x) => x !== i) : [...flash, i]);
      touched.add(i);
    }
    for (const i of touched) await writeFile(path.join(site.contentDir, `story-${i}.md`), articleText(i, edits, flash.has(i)));
  };

  /** Kills `p` a random moment after its publication began staging, or at any moment so far of its life. */
  const killSomewhere = async (p: Publisher, anyMoment: boolean) => {
    const deadline = Date.now() + 30_000;
    const publishing = span.get(staged.stepMs)!;
    if (anyMoment) await sleep(rand() * (toStaging + publishing));
    else {
      while (staged.at === undefined && Date.now() < deadline && p.child.exitCode === null) await sleep(1);
      const until = (staged.at ?? Date.now()) + rand() * publishing * 1.3;
      while (Date.now() < until) await sleep(Math.min(2, until - Date.now()));
    }
    killNow(p.child);
    await p.exited;
    tally.kills++;
  };

  /** What the kill left, counted; then recovered as `feedpipe serve` does (or by the serve command), unless the next start is to. */
  const afterKill = async (byStart: boolean) => {
    const all = (await readdir(site.outDir, { recursive: true })).map(String);
    if (all.includes(JOURNAL)) tally.journal++;
    else if (all.some((f) => isTempName(path.basename(f)) && path.basename(f).includes(`.${staged.pid}.`))) tally.staging++;
    if (byStart) return void tally.byStart++;
    if (tally.kills % 10 === 0) return serveCommandRecovers(site.root, site.outDir);
    const locked = await acquireOutputLock(site.outDir, { command: RECOVERING_COMMAND });
    expect(locked.ok, 'the dead publisher’s lock is taken over').toBe(true);
    if (!locked.ok) return;
    try {
      const { recovery, staleTemps } = await recoverOutput(site.outDir);
      if (recovery.action === 'forward') tally.forward++;
      if (recovery.action === 'back') tally.back++;
      if (recovery.action === 'discarded') tally.discarded++;
      tally.tempsRemoved += staleTemps;
    } finally {
      await locked.lock.release();
    }
    await checkWhole(site.outDir);
  };

  try {
    let recoverByStart = true; // the first publisher starts on an empty folder
    for (let first = true; claimed++ < KILLS; first = false) {
      const stepMs = rand() < 0.5 ? STEP_MS : 0;
      if (stepMs) tally.withStepPause++;
      if (!recoverByStart) await edit();
      const p = startPublisher(site.root, stepMs);
      staged = { pid: p.child.pid!, stepMs, startedAt: p.startedAt, journalEvents: 0 };
      if (recoverByStart && (first || rand() < 0.8)) {
        // It recovers what the last kill left and publishes; at rest, the folder is whole. Then an edit, and a kill in its republication.
        const deadline = Date.now() + 60_000;
        while (p.runs() < 1 && Date.now() < deadline && p.child.exitCode === null) await sleep(5);
        expect(p.runs(), `stdout:\n${p.out.stdout}\nstderr:\n${p.out.stderr}`).toBe(1);
        countRecovery(p.out.stderr);
        await checkWhole(site.outDir);
        staged = { pid: p.child.pid!, stepMs, journalEvents: 0 };
        await edit();
        await killSomewhere(p, false);
      } else {
        // Perhaps in the middle of its own recovery of what the last kill left.
        await killSomewhere(p, rand() < 0.2 || recoverByStart);
        if (recoverByStart) countRecovery(p.out.stderr);
      }
      recoverByStart = rand() < 0.25;
      await afterKill(recoverByStart);
    }
    // The next run, undisturbed: it publishes the last edit and leaves no temp file.
    const last = startPublisher(site.root, 0);
    while (last.runs() < 1 && last.child.exitCode === null) await sleep(5);
    countRecovery(last.out.stderr);
    last.child.kill('SIGTERM');
    await last.exited;
    const files = await checkWhole(site.outDir);
    expect(await readFile(path.join(site.outDir, 'feed.xml'), 'utf8')).toContain(`version ${edits}`);
    return { files };
  } finally {
    watcher.close();
  }
}

/** `feedpipe serve` itself, in this process: it recovers, then answers 200 for every file. */
async function serveCommandRecovers(root: string, outDir: string): Promise<void> {
  tally.byServeCommand++;
  const out = { stdout: '', stderr: '' };
  const stop = new AbortController();
  const done = runCli(['serve', '--port', '0'], { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), cwd: root, signal: stop.signal });
  let port: number | undefined;
  for (let i = 0; i < 3000 && !port; i++) {
    port = Number(/at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stdout)?.[1]) || undefined;
    if (!port) await sleep(10);
  }
  try {
    expect(port, out.stderr).toBeDefined();
    countRecovery(out.stderr);
    expect(await notServed(port!, (await readManifest(outDir)).files)).toEqual([]);
  } finally {
    stop.abort();
    await done;
  }
  await checkWhole(outDir);
}

describe('feedpipe start killed at random points', () => {
  it('serve looks for the lock file the publisher takes (named twice, so that serve loads nothing of start/)', () => {
    expect(PUBLISHER_LOCK).toBe(LOCK_FILE);
  });

  it(`stays whole through ${KILLS} kills (seed ${SEED})`, async () => {
    const started = Date.now();
    const lanes = await Promise.all(Array.from({ length: LANES }, lane));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `crash test (seed ${SEED}): ${tally.kills} kills in ${seconds} s, ${LANES} sites side by side (${tally.withStepPause} processes with a ${STEP_MS} ms pause after each publication step); ` +
        `mid-publication: ${tally.journal} with the journal there (after the commit point), ${tally.staging} while staging (before it); ` +
        `recovered: ${tally.forward} finished (roll-forward), ${tally.back} undone (roll-back), ${tally.discarded} journals cut short discarded, ${tally.tempsRemoved} stale temp files removed; ` +
        `recovered by the next start: ${tally.byStart}, by the serve command: ${tally.byServeCommand}, the rest as serve does (lock, then recoverOutput); ` +
        `every check passed; after the last run: ${lanes.map((l) => l.files).join(' and ')} files whole, each matching the manifest and served 200, no temp file`,
    );
    if (KILLS >= 50) expect(tally.journal).toBeGreaterThan(0); // the test can land kills after the commit point
  }, 900_000);
});
