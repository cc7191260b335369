import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildOptions, BuildReport } from '../../src/build/build.js';
import type { Config } from '../../src/config/config.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostics.js';
import { createPublisherLog } from '../../src/start/log.js';
import type { SiteMemory } from '../../src/start/memory.js';
import type { Preparer } from '../../src/start/prepare.js';
import { createRun, type RunOptions } from '../../src/start/run.js';
import { snapshotOfFiles } from '../../src/start/runlog.js';
import { makeSite } from '../helpers/site.js';

const NOW = new Date('2026-11-25T12:00:01Z');
const NEXT = new Date('2031-06-01T09:00:00Z');
const CONFIG = { site: { title: 'T' } } as unknown as Config;
const feed = (...items: Array<[string, string]>) => JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', items: items.map(([id, title]) => ({ id, title })) });

/** The fields of a build report a run reads; the rest does not matter to it. */
function report(fields: Partial<BuildReport>): BuildReport {
  return { ok: true, diagnostics: [], feeds: [], files: new Map(), updated: new Map(), durationMs: 42, now: NOW, config: CONFIG, ...fields } as BuildReport;
}

const warning = (message: string): Diagnostic => ({ code: 'raw-html-removed', severity: 'warning', file: 'content/a.md', message });

function setup(builds: Array<BuildReport | Error>, overrides: Partial<RunOptions> = {}) {
  const out = { stdout: '', stderr: '' };
  const events: string[] = [];
  const memory = {
    optionsFor: () => ({}),
    withCache: () => ({}),
    remember: () => events.push('remember'),
    changed: () => undefined,
    forgetChanges: () => events.push('forget'),
  } satisfies SiteMemory;
  const preparer: Preparer = { leadMs: () => 5000, run: async () => undefined, takeFor: async () => undefined, noteBuild: (ms) => void events.push(`noteBuild ${ms}`) };
  const log = createPublisherLog(
    { stdout: (t) => ((out.stdout += t), events.push('line')), stderr: (t) => (out.stderr += t) },
    { format: 'human', clock: { now: () => NOW.getTime() } },
  );
  const built: BuildOptions[] = [];
  const run = createRun({
    runOneBuild: async (o = {}) => {
      built.push(o);
      const next = builds.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
    memory,
    preparer,
    log,
    progress: () => ({ update: () => undefined, done: () => undefined }),
    published: snapshotOfFiles(new Map([['feed.json', feed(['a', 'A'])]])),
    outDir: '/nowhere',
    cwd: '/',
    reconcile: () => void events.push('reconcile'),
    announce: async () => void events.push('announce'),
    nextDue: () => NEXT,
    ...overrides,
  });
  return { run, out, events, built, signal: new AbortController().signal };
}

describe('one publisher run', () => {
  it('logs the run line from the build report: changes against what was published, files, next due, duration', async () => {
    const files = new Map([['feed.json', feed(['a', 'A, corrected'], ['b', 'B'])]]);
    const written = report({ files, feeds: [{ key: 'main', items: 2, updated: NOW, files: ['feed.json'] }], write: { written: ['feed.json', 'feed.xml'], unchanged: ['index.html'], removed: [] }, nextDue: NEXT });
    const again = report({ files, write: { written: [], unchanged: ['feed.json', 'feed.xml', 'index.html'], removed: [] }, durationMs: 3 });
    const r = setup([written, again]);
    expect(await r.run(['due'], NOW, r.signal)).toEqual({ ok: true, nextDue: NEXT, transient: false });
    expect(await r.run(['cron', 'watch'], NOW, r.signal)).toEqual({ ok: true, nextDue: undefined, transient: false });
    expect(r.out.stdout).toBe(
      '2026-11-25T12:00:01Z due    main +1 ~1 -0 · 2 written, 1 unchanged · next due 2031-06-01T09:00:00Z · 42 ms\n' +
        '2026-11-25T12:00:01Z cron+watch no changes · 0 written, 3 unchanged · nothing scheduled · 3 ms\n',
    );
    expect(r.built.map((o) => o.now)).toEqual([NOW, NOW]);
  });

  it('a failed build keeps the published snapshot: its line says FAILED and the next diff is against the last good run', async () => {
    const r = setup([
      report({ ok: false, diagnostics: [{ code: 'invalid-date', severity: 'error', file: 'content/b.md', message: 'bad' }] }),
      report({ files: new Map([['feed.json', feed(['a', 'A'])]]), write: { written: [], unchanged: ['feed.json'], removed: [] } }),
    ]);
    expect(await r.run(['watch'], NOW, r.signal)).toMatchObject({ ok: false, transient: false });
    await r.run(['watch'], NOW, r.signal);
    expect(r.out.stdout.split('\n')[0]).toBe('2026-11-25T12:00:01Z watch  FAILED: 1 error, 0 warnings; the published feeds are unchanged · nothing scheduled · 42 ms');
    expect(r.out.stdout.split('\n')[1]).toMatch(/ watch  no changes · 0 written, 1 unchanged · /);
  });

  it('a build that throws: the stack on stderr, a FAILED line with the known next due, a transient outcome, and the next build looks at everything', async () => {
    const r = setup([new Error('disk on fire')]);
    expect(await r.run(['start'], NOW, r.signal)).toEqual({ ok: false, transient: true });
    expect(r.out.stderr).toMatch(/^feedpipe: unexpected error in a build \(the published feeds are unchanged; retrying\):\nError: disk on fire\n\s+at /);
    expect(r.out.stdout).toBe('2026-11-25T12:00:01Z start  FAILED: unexpected error: disk on fire; the published feeds are unchanged · next due 2031-06-01T09:00:00Z · 0 ms\n');
    expect(r.events).toEqual(['forget', 'line']);
  });

  it('an aborted build logs nothing, reconciles nothing, announces nothing', async () => {
    const r = setup([report({ ok: false, diagnostics: [{ code: 'build-aborted', severity: 'error', file: '', message: 'stopped' }] })]);
    expect(await r.run(['cron'], NOW, r.signal)).toEqual({ ok: false });
    expect(r.out).toEqual({ stdout: '', stderr: '' });
    expect(r.events).toEqual(['remember', 'noteBuild 42']);
  });

  it('prints diagnostics only when they differ from the last run', async () => {
    const r = setup([report({ diagnostics: [warning('one')] }), report({ diagnostics: [warning('one')] }), report({ diagnostics: [warning('two')] })]);
    for (let i = 0; i < 3; i++) await r.run(['cron'], NOW, r.signal);
    expect(r.out.stderr.match(/one/g)).toHaveLength(1);
    expect(r.out.stderr.match(/two/g)).toHaveLength(1);
    expect(r.out.stdout).toContain(', 1 warning ·');
  });

  it('logs the line, then reconciles with the config, then announces; a failed write is transient', async () => {
    const r = setup([report({ ok: false, diagnostics: [{ code: 'write-failed', severity: 'error', file: 'dist', message: 'ENOSPC' }] })]);
    expect(await r.run(['due'], NOW, r.signal)).toMatchObject({ ok: false, transient: true });
    expect(r.events).toEqual(['remember', 'noteBuild 42', 'line', 'reconcile', 'announce']);
  });

  it('writes what was built ahead without building, and says so', async () => {
    const { outDir } = await makeSite({});
    const files = new Map([['feed.json', feed(['a', 'A'], ['b', 'B'])]]);
    const ahead = report({ files, updated: new Map([['feed.json', NOW]]), feeds: [{ key: 'main', items: 2, updated: NOW, files: ['feed.json'] }] });
    const preparer: Preparer = { leadMs: () => 5000, run: async () => undefined, takeFor: async (now) => (now === NOW ? ahead : undefined), noteBuild: () => undefined };
    const r = setup([], { preparer, outDir, cwd: path.dirname(outDir) });
    expect(await r.run(['due'], NOW, r.signal)).toMatchObject({ ok: true });
    expect(r.built).toEqual([]);
    expect(await readFile(path.join(outDir, 'feed.json'), 'utf8')).toBe(files.get('feed.json'));
    expect(r.out.stdout).toMatch(/^2026-11-25T12:00:01Z due    main \+1 ~0 -0 · 1 written, 0 unchanged · nothing scheduled · \d+ ms \(built ahead\)\n$/);
  });
});
