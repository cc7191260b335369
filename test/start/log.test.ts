import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostics.js';
import { createPublisherLog, type LogFormat } from '../../src/start/log.js';
import { progressDisplay } from '../../src/start/progress.js';
import type { RunRecord } from '../../src/start/runlog.js';

const T = Date.parse('2026-11-25T12:00:01.004Z');

function capture(format: LogFormat, quiet = false) {
  const out = { stdout: '', stderr: '' };
  const log = createPublisherLog({ stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) }, { format, clock: { now: () => T }, quiet });
  return { log, out };
}

const run = (fields: Partial<RunRecord>): RunRecord => ({ time: new Date(T), triggers: ['cron'], ok: true, changes: [], written: 0, unchanged: 5, removed: 0, errors: 0, warnings: 0, durationMs: 7, ...fields });
const diag: Diagnostic = { code: 'raw-html-removed', severity: 'warning', file: 'content/a.md', line: 3, column: 1, message: 'raw HTML' };

describe('the publisher log', () => {
  it('says an event as a feedpipe: line on stderr for people, as one JSON object on stdout for machines', () => {
    const human = capture('human');
    human.log.say('serve', 'serving dist at http://127.0.0.1:8080/', { url: 'http://127.0.0.1:8080/' });
    human.log.warn('stopped watching content: EPERM', 'EPERM');
    expect(human.out).toEqual({ stdout: '', stderr: 'feedpipe: serving dist at http://127.0.0.1:8080/\nfeedpipe: stopped watching content: EPERM\n' });
    const json = capture('json');
    json.log.say('stop', 'stopped', { exitCode: 0 });
    json.log.warn('stopped watching content: EPERM', 'EPERM');
    json.log.warn('cron: missed');
    expect(json.out.stdout).toBe(
      '{"time":"2026-11-25T12:00:01.004Z","event":"stop","exitCode":0}\n' +
        '{"time":"2026-11-25T12:00:01.004Z","event":"warning","message":"EPERM"}\n' +
        '{"time":"2026-11-25T12:00:01.004Z","event":"warning","message":"cron: missed"}\n',
    );
    expect(json.out.stderr).toBe('');
  });

  it('--quiet leaves out only runs that changed nothing and did not fail', () => {
    const { log, out } = capture('human', true);
    log.run(run({}));
    expect(out.stdout).toBe('');
    log.run(run({ written: 1 }));
    log.run(run({ ok: false, errors: 1 }));
    log.run(run({ removed: 1 }));
    expect(out.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    const loud = capture('json');
    loud.log.run(run({}));
    expect(JSON.parse(loud.out.stdout)).toMatchObject({ event: 'run', trigger: 'cron', files: { written: 0, unchanged: 5, removed: 0 } });
  });

  it('prints diagnostics again only when they changed; as JSON events in JSON mode', () => {
    const { log, out } = capture('json');
    log.diagnosticsIfChanged([diag]);
    log.diagnosticsIfChanged([diag]);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(out.stderr)).toMatchObject({ event: 'diagnostic', code: 'raw-html-removed', file: 'content/a.md' });
    log.diagnosticsIfChanged([]);
    log.diagnosticsIfChanged([diag]);
    expect(out.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('an unexpected error carries its stack', () => {
    const human = capture('human');
    human.log.unexpected(new Error('disk on fire'));
    expect(human.out.stderr).toMatch(/^feedpipe: unexpected error in a build \(the published feeds are unchanged; retrying\):\nError: disk on fire\n\s+at /);
    const json = capture('json');
    json.log.unexpected(new Error('disk on fire'));
    expect(JSON.parse(json.out.stderr)).toMatchObject({ event: 'error', message: 'disk on fire', stack: expect.stringContaining('Error: disk on fire') });
  });
});

describe('the progress display', () => {
  it('shows nothing for the first half second, then at most every 100 ms, and clears its line when done', () => {
    let t = 0;
    let shown = '';
    const p = progressDisplay({ stdout: () => undefined, stderr: (s) => (shown += s) }, true, () => t);
    p.update({ stage: 'load', done: 1, total: 10 });
    t = 499;
    p.update({ stage: 'load', done: 2, total: 10 });
    expect(shown).toBe('');
    t = 600;
    p.update({ stage: 'load', done: 3, total: 10 });
    t = 650;
    p.update({ stage: 'render', done: 1, total: 4 });
    t = 700;
    p.update({ stage: 'render', done: 2, total: 4 });
    expect(shown).toBe('\r\x1b[Kloading 3/10 files…\r\x1b[Krendering 2/4 articles…');
    p.done();
    expect(shown.endsWith('articles…\r\x1b[K')).toBe(true);
  });

  it('shows nothing off a terminal, and clears nothing it did not show', () => {
    let t = 0;
    let shown = '';
    const p = progressDisplay({ stdout: () => undefined, stderr: (s) => (shown += s) }, false, () => t);
    t = 10_000;
    p.update({ stage: 'load', done: 3, total: 10 });
    p.done();
    expect(shown).toBe('');
  });
});
