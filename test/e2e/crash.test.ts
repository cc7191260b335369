/**
 * Crash consistency, end to end. The real publisher (`node lib/bundle/cli.js start --watch`) on a
 * site whose content is edited before each start is SIGKILLed FEEDPIPE_CRASH_KILLS times (default
 * 200). Most kills are aimed (test/helpers/crash-plan.ts): the publisher is started with
 * FEEDPIPE_TEST_PUBLISH_HOLD_AT, which stops it at one step of a publication or of its recovery
 * (src/publish/steps.ts: K files staged, the journal cut short, K files renamed, the manifest
 * renamed, K stale files removed…), and is killed there; a seeded plan cycles through every step.
 * The rest (RANDOM_SHARE) are at a random moment of a process's life. After each kill the folder is
 * recovered as `feedpipe serve` does on start (the dead publisher's lock taken over, then
 * recoverOutput), by the serve command itself, or by the next `feedpipe start` (held at the end of
 * its recovery while the folder is checked, unless it is to be killed in that recovery); then:
 * every file the manifest lists is there with its SHA-256, no other feed is, a fresh server answers
 * 200 for every file, and no temp file and no journal remains. FEEDPIPE_CRASH_LANES sites (default
 * 2) are killed side by side, each with its own publisher and its share of the plan;
 * FEEDPIPE_CRASH_SEED replays the plan, edits and delays (not the machine's timing).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { PUBLISHER_LOCK } from '../../src/cli/serve-command.js';
import { ITEMS_FILE, JOURNAL, MANIFEST } from '../../src/publish/files.js';
import { recoverOutput, RECOVERING_COMMAND, type Recovery } from '../../src/publish/journal.js';
import { readManifest } from '../../src/publish/manifest.js';
import { createFeedServer } from '../../src/serve/server.js';
import { acquireOutputLock, LOCK_FILE } from '../../src/start/lock.js';
import { isTempName } from '../../src/util/atomic.js';
import { mapLimit } from '../../src/util/map-limit.js';
import { needsRemoval, phaseOf, planKills, random, RANDOM_SHARE, type Kill } from '../helpers/crash-plan.js';
import { article, makeSite } from '../helpers/site.js';

const KILLS = Number(process.env.FEEDPIPE_CRASH_KILLS ?? 200);
const SEED = Number(process.env.FEEDPIPE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const cli = fileURLToPath(new URL('../../lib/bundle/cli.js', import.meta.url));
const LANES = Number(process.env.FEEDPIPE_CRASH_LANES ?? 2);
const ARTICLES = 24;
/** The pause at the end of a start's recovery (SIGUSR2 resumes it), while the test checks the folder. */
const RECOVERED = 'recovered:1';
const RECOVERY_POINT = /^(recover-|stale-)/;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('lib/bundle is missing: run `npm test`, which builds it first');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function articleText(i: number, edit: number, flash: boolean): string {
  const tags = [`Topic ${i % 5}`, `Region ${i % 3}`, ...(flash ? ['Flash'] : [])];
  const day = String((i % 27) + 1).padStart(2, '0');
  return article({ title: `Story ${i}, version ${edit}`, date: `2026-01-${day}T08:00:00Z`, section: `Desk ${i % 2}`, tags }, `Body of story ${i}, edit ${edit}. `.repeat(20));
}

/** The publisher as a process, what it prints, the points it says it holds at, and its runs. */
function startPublisher(root: string, holdAt: string | undefined) {
  const env = { ...process.env, ...(holdAt ? { FEEDPIPE_TEST_PUBLISH_HOLD_AT: holdAt } : {}) };
  const child = spawn(process.execPath, [cli, 'start', '--watch'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve())); // 'close': its output read to the end
  const runs = () => out.stdout.split('\n').filter((l) => /^\d{4}-\S+Z /.test(l)).length;
  const holds = () => [...out.stderr.matchAll(/^feedpipe test hold: (\S+)$/gm)].map((m) => m[1]!);
  const alive = () => child.exitCode === null && child.signalCode === null;
  return { child, out, exited, runs, holds, alive, startedAt: Date.now() };
}
type Publisher = ReturnType<typeof startPublisher>;

/** Lets `p` run until its first run ends, then stops it; returns what it printed on stderr. */
async function untilFirstRun(p: Publisher): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (p.runs() < 1 && p.alive() && Date.now() < deadline) await sleep(5);
  expect(p.runs(), `stdout:\n${p.out.stdout}\nstderr:\n${p.out.stderr}`).toBe(1);
  p.child.kill('SIGTERM');
  await p.exited;
  return p.out.stderr;
}

/** What the folder must be at rest: the manifest's files, each with its digest, nothing else published, no temp, no journal. */
async function checkWhole(outDir: string): Promise<number> {
  const manifest = await readManifest(outDir);
  expect(manifest.files.length).toBeGreaterThan(0);
  const digests = await mapLimit(manifest.files, 8, async (rel) => [rel, createHash('sha256').update(await readFile(path.join(outDir, rel))).digest('hex')]);
  expect(Object.fromEntries(digests)).toEqual(Object.fromEntries(manifest.files.map((rel) => [rel, manifest.published[rel]?.sha256])));
  const onDisk = await filesIn(outDir);
  expect(onDisk.filter((f) => isTempName(path.basename(f)) || f === JOURNAL)).toEqual([]);
  expect(onDisk.filter((f) => ![LOCK_FILE, MANIFEST, ITEMS_FILE].includes(f)).sort()).toEqual(manifest.files);
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

async function filesIn(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir, { recursive: true, withFileTypes: true });
  return entries.filter((d) => d.isFile()).map((d) => path.relative(outDir, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
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

const tally = {
  kills: 0,
  /** Kills by the point the publisher held at ('random', 'missed': none). */
  byPoint: new Map<string, number>(),
  /** Aimed at a recovery point the recovery did not reach: held at the fallback instead. */
  fallbacks: 0,
  /** What the kill left: a journal (after the commit point, or in a recovery), or temp files only (staging). */
  journal: 0,
  staging: 0,
  forward: 0,
  back: 0,
  discarded: 0,
  tempsRemoved: 0,
  byStart: 0,
  /** Recoveries by a start checked while it was held at their end. */
  checkedAtStart: 0,
  byServeCommand: 0,
  asServe: 0,
};
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

function countRecovery(stderr: string): void {
  if (/finished a publication that was interrupted/.test(stderr)) tally.forward++;
  if (/undid a publication that was interrupted/.test(stderr)) tally.back++;
  if (/that feedpipe did not write whole/.test(stderr)) tally.discarded++;
  tally.tempsRemoved += Number(/removed (\d+) temp files?/.exec(stderr)?.[1] ?? 0);
}

function countRecovered({ recovery, staleTemps }: { recovery: Recovery; staleTemps: number }): void {
  if (recovery.action === 'forward') tally.forward++;
  if (recovery.action === 'back') tally.back++;
  if (recovery.action === 'discarded') tally.discarded++;
  tally.tempsRemoved += staleTemps;
}

/** One site, killed again and again: what the test knows of it. */
interface Lane {
  root: string;
  contentDir: string;
  outDir: string;
  rand: () => number;
  edits: number;
  /** The articles in the Flash tag (of the first three). */
  flash: Set<number>;
  /** Ms from a start to its first publication, as last seen: random kills fall within 1.3 times it. */
  toPublication: number;
}

/** One site and its publishers, killed `kills` times as its share of the plan says. */
async function runLane(index: number, kills: number): Promise<{ files: number }> {
  const rand = random(SEED + index * 1_000_003);
  const plan = planKills(kills, rand);
  const site = await makeSite({});
  const lane: Lane = { ...site, rand, edits: 0, flash: new Set(), toPublication: 600 };
  // The Flash tag's feeds go at once when it empties (no grace, publish/emptied.ts): the removal steps are killed too.
  await writeFile(path.join(site.root, 'feedpipe.config.yaml'), 'site:\n  title: Crash Times\n  url: https://crash.example.com/\nfeeds:\n  keepEmptyDays: 0\n');
  for (let i = 0; i < ARTICLES; i++) await writeFile(path.join(site.contentDir, `story-${i}.md`), articleText(i, 0, false));
  await mkdir(site.outDir, { recursive: true });
  // The first publication, undisturbed: each kill then finds (or is recovered to) a whole one.
  await untilFirstRun(startPublisher(site.root, undefined));
  await checkWhole(site.outDir);
  let previous: Kill | undefined;
  let recovering: (() => Promise<void>) | undefined;
  for (const kill of plan) {
    await edit(lane, needsRemoval(kill.hold));
    const byStart = previous?.recovery === 'start';
    const holdAt = [...(byStart ? [`${RECOVERED}:resume`] : []), ...(kill.hold ? [kill.hold] : []), ...(kill.fallback ? [kill.fallback] : [])];
    const p = startPublisher(site.root, holdAt.join(',') || undefined);
    await recovering?.(); // the last kill's, under the lock the publisher waits for
    const held = kill.hold ? await untilHeld(lane, p, kill) : await randomMoment(lane, p);
    expect(p.alive(), `it died before the kill:\n${p.out.stderr}`).toBe(true);
    p.child.kill('SIGKILL');
    await p.exited;
    tally.kills++;
    bump(tally.byPoint, held);
    if (kill.fallback && held === kill.fallback) tally.fallbacks++;
    if (byStart) countRecovery(p.out.stderr);
    recovering = await afterKill(lane, kill);
    previous = kill;
  }
  await recovering?.();
  // The next run, undisturbed: it recovers what the last kill left, publishes the last edit and leaves no temp file.
  countRecovery(await untilFirstRun(startPublisher(site.root, undefined)));
  const files = await checkWhole(site.outDir);
  expect(await readFile(path.join(site.outDir, 'feed.xml'), 'utf8')).toContain(`version ${lane.edits}`);
  return { files };
}

/**
 * Edits a few articles (titles, bodies) and flips the Flash tag, whose feeds then appear or go.
 * `removal`: takes every article out of it, or, if none is in it, puts one in (the next edit takes it out).
 */
async function edit(lane: Lane, removal = false): Promise<void> {
  const { rand, flash } = lane;
  const edits = ++lane.edits;
  const touched = new Set([Math.floor(rand() * ARTICLES), Math.floor(rand() * ARTICLES)]);
  if (removal || rand() < 0.4) {
    const i = Math.floor(rand() * 3);
    const next = removal ? (flash.size ? [] : [i]) : flash.has(i) ? [...flash].filter((x) => x !== i) : [...flash, i];
    for (const a of [...flash, i]) touched.add(a);
    lane.flash = new Set(next);
  }
  for (const i of touched) await writeFile(path.join(lane.contentDir, `story-${i}.md`), articleText(i, edits, lane.flash.has(i)));
}

/** While a start is held at the end of its recovery: the folder is whole; then it goes on. Returns the ms it took. */
async function checkRecovered(lane: Lane, p: Publisher): Promise<number> {
  const began = Date.now();
  await checkWhole(lane.outDir);
  tally.checkedAtStart++;
  p.child.kill('SIGUSR2');
  return Date.now() - began;
}

/** Waits until `p` holds at a point of `kill` (its recovery checked on the way) and returns the point; a run that ends first gets another edit, up to 3. */
async function untilHeld(lane: Lane, p: Publisher, kill: Kill): Promise<string> {
  let runs = 0;
  let checked = false;
  let checking = 0;
  const stop = () => p.holds().find((h) => h !== RECOVERED);
  const toCheck = () => !checked && p.holds().includes(RECOVERED);
  for (let edited = 0; ; ) {
    const deadline = Date.now() + 60_000;
    while (!stop() && !toCheck() && p.runs() === runs && p.alive() && Date.now() < deadline) await sleep(2);
    const held = stop();
    if (held) {
      if (!edited && !RECOVERY_POINT.test(held)) lane.toPublication = 0.8 * lane.toPublication + 0.2 * (Date.now() - p.startedAt - checking);
      return held;
    }
    if (toCheck()) {
      checked = true;
      checking = await checkRecovered(lane, p);
    } else if (p.runs() > runs && edited++ < 3) {
      runs = p.runs();
      await edit(lane, needsRemoval(kill.hold));
    } else return 'missed';
  }
}

/** Waits a random moment of `p`'s life, within 1.3 times a start's time to its first publication (a start's recovery checked on the way). */
async function randomMoment(lane: Lane, p: Publisher): Promise<'random'> {
  let until = p.startedAt + lane.rand() * 1.3 * lane.toPublication;
  let checked = false;
  while (Date.now() < until && p.alive()) {
    if (!checked && p.holds().includes(RECOVERED)) {
      checked = true;
      until += await checkRecovered(lane, p);
    }
    await sleep(Math.max(0, Math.min(2, until - Date.now())));
  }
  return 'random';
}

/**
 * What the kill left, counted; then recovered by the serve command, or left to the next start,
 * or recovered as `feedpipe serve` does: the dead publisher's lock taken over now, and the
 * recovery and the check (returned) run under it while the next publisher starts and waits for it.
 */
async function afterKill(lane: Lane, kill: Kill): Promise<(() => Promise<void>) | undefined> {
  const { root, outDir } = lane;
  const all = (await readdir(outDir, { recursive: true })).map(String);
  if (all.includes(JOURNAL)) tally.journal++;
  else if (all.some((f) => isTempName(path.basename(f)))) tally.staging++;
  if (kill.recovery === 'start') return void tally.byStart++;
  if (kill.recovery === 'serve-command') return void (await serveCommandRecovers(root, outDir));
  tally.asServe++;
  const locked = await acquireOutputLock(outDir, { command: RECOVERING_COMMAND });
  expect(locked.ok, 'the dead publisher’s lock is taken over').toBe(true);
  if (!locked.ok) return;
  return async () => {
    try {
      countRecovered(await recoverOutput(outDir));
      await checkWhole(outDir);
    } finally {
      await locked.lock.release();
    }
  };
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

/** The tally, a line per kind. */
function report(seconds: string, files: number[]): string {
  const points = [...tally.byPoint].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  const phases = new Map<string, number>();
  for (const [point, n] of points) {
    const phase = ['random', 'missed'].includes(point) ? point : phaseOf(point);
    phases.set(phase, (phases.get(phase) ?? 0) + n);
  }
  const mid = tally.journal + tally.staging;
  return [
    `crash test (seed ${SEED}): ${tally.kills} kills in ${seconds} s, ${LANES} sites side by side, ${Math.round(RANDOM_SHARE * 100)}% planned at a random moment`,
    `  kills by point: ${points.map(([p, n]) => `${p} ${n}`).join(', ')}`,
    `  by phase: ${[...phases].map(([p, n]) => `${p} ${n}`).join(', ')}; aimed at a recovery point and held at the fallback: ${tally.fallbacks}`,
    `  mid-publication: ${mid} of ${tally.kills} (${Math.round((100 * mid) / Math.max(1, tally.kills))}%) left something to recover: ${tally.journal} a journal (after the commit point, or in a recovery), ${tally.staging} temp files only (while staging, or removing stale temps)`,
    `  recovered: ${tally.forward} finished (roll-forward), ${tally.back} undone (roll-back), ${tally.discarded} journals cut short discarded, ${tally.tempsRemoved} stale temp files removed`,
    `  recovered by: the next start ${tally.byStart} (${tally.checkedAtStart} checked while it held at the end of its recovery), the serve command ${tally.byServeCommand}, as serve does (lock, then recoverOutput) ${tally.asServe}`,
    `  every check passed; after the last run: ${files.join(' and ')} files whole, each matching the manifest and served 200, no temp file`,
  ].join('\n');
}

describe('feedpipe start killed at every step of a publication', () => {
  it('serve looks for the lock file the publisher takes (named twice, so that serve loads nothing of start/)', () => {
    expect(PUBLISHER_LOCK).toBe(LOCK_FILE);
  });

  it(`stays whole through ${KILLS} kills (seed ${SEED})`, async () => {
    const started = Date.now();
    const shares = Array.from({ length: LANES }, (_, i) => Math.floor(KILLS / LANES) + (i < KILLS % LANES ? 1 : 0));
    const lanes = await Promise.all(shares.map((kills, i) => runLane(i, kills)));
    console.log(report(((Date.now() - started) / 1000).toFixed(1), lanes.map((l) => l.files)));
    expect(tally.byPoint.get('missed') ?? 0, 'every aimed kill held where it was aimed').toBe(0);
    // The kills land where they prove something: every aimed one (1 - RANDOM_SHARE of them), and some random ones.
    if (KILLS >= 50) expect(tally.journal + tally.staging).toBeGreaterThanOrEqual(0.8 * KILLS);
  }, 900_000);
});
