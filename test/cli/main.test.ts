import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { acquireOutputLock } from '../../src/start/lock.js';
import { article, makeSite } from '../helpers/site.js';

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd });
  return { code, stdout, stderr };
}

const CONFIG = 'site:\n  title: CLI Times\n  url: https://cli.example.com/\n';

async function cliSite(files: Record<string, string>) {
  const s = await makeSite(files);
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG);
  return s;
}

describe('feedpipe CLI', () => {
  it('prints help and version, exit 0', async () => {
    const s = await cliSite({});
    expect(await run(['--help'], s.root)).toMatchObject({ code: 0, stdout: expect.stringContaining('feedpipe build') });
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await run(['--version'], s.root)).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it.each([[[]], [['publish']], [['build', '--bogus']], [['build', 'extra']], [['build', '--now', 'tomorrow']], [['build', '--now', '2026-01-01T09:00']], [['build', '--watch']], [['check', '--log-format', 'json']], [['start', '--now', '2026-01-01T09:00:00Z']], [['start', '--log-format', 'xml']], [['schedule', 'extra']]])('exits 2 on usage error %j', async (argv) => {
    const s = await cliSite({});
    const r = await run(argv, s.root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^feedpipe: .+\nRun "feedpipe --help" for usage\.\n$/);
  });

  it('builds into the output folder and reports what it did', async () => {
    const s = await cliSite({ 'a.md': article({ title: 'Hello', date: '2026-01-01' }), 'b.md': article({ title: 'Later', date: '2030-01-01' }) });
    const r = await run(['build', '--now', '2026-11-25T12:00:00Z'], s.root);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('2 articles: 1 public, 1 scheduled, 0 drafts');
    expect(r.stdout).toContain('next due: 2030-01-01T00:00:00.000Z content/b.md');
    expect(r.stdout).toContain("1 feed in dist: 5 written, 0 unchanged, 0 removed");
    expect(await readFile(path.join(s.root, 'dist', 'feed.xml'), 'utf8')).toContain('<title>Hello</title>');
  });

  it('says apart the archive pages and the feeds kept empty, and when the first of those leaves', async () => {
    const s = await cliSite({});
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG + 'feeds:\n  limit: 1\n  authors: false\n');
    await writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'A', date: '2026-01-01', tags: ['Gone'] }));
    await writeFile(path.join(s.contentDir, 'b.md'), article({ title: 'B', date: '2026-01-02' }));
    expect((await run(['build', '--now', '2026-11-25T12:00:00Z'], s.root)).stdout).toContain('2 feeds and 3 archive pages in dist:');
    await writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'A', date: '2026-01-01' }));
    const r = await run(['build', '--now', '2026-11-26T12:00:00Z'], s.root);
    expect(r.stdout).toContain('2 feeds (1 kept empty) and 2 archive pages in dist:');
    expect(r.stdout).toContain('next due: 2026-12-26T12:00:00.000Z dist/tags/gone/ (an empty feed that leaves then)');
  });

  it('honours --content and --out', async () => {
    const s = await cliSite({});
    const other = await makeSite({ 'x.md': article({ title: 'Elsewhere', date: '2026-01-01' }) });
    const r = await run(['build', '--content', other.contentDir, '--out', 'public'], s.root);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(s.root, 'public', 'feed.json'), 'utf8')).toContain('Elsewhere');
  });

  it('exits 1 with compiler-style diagnostics and writes nothing on content errors', async () => {
    const s = await cliSite({ 'a.md': '---\ntitle: A\ndate: 2025-02-30\n---\n', 'b.md': '---\ntitel: B\ndate: 2025-01-01\n---\n' });
    const r = await run(['build'], s.root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('content/a.md:3:7  error  date: "2025-02-30" is not a real date: February 2025 has 28 days  (invalid-date)');
    expect(r.stderr).toContain('content/b.md:2:1  error  titel: unknown field "titel"  (unknown-field)\n    hint: did you mean "title"?');
    expect(r.stderr).toContain('3 errors in 2 files, 0 warnings');
    expect(r.stderr).toContain('nothing was published');
    await expect(readFile(path.join(s.root, 'dist', 'feed.xml'))).rejects.toThrow();
  });

  it('check validates and writes nothing', async () => {
    const s = await cliSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }, '[x](javascript:alert(1))') });
    const r = await run(['check'], s.root);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning  link "javascript:alert(1)" is removed');
    expect(r.stdout).toContain('nothing written');
    await expect(readFile(path.join(s.root, 'dist', 'feed.xml'))).rejects.toThrow();
  });

  it('exits 1 when the config is missing', async () => {
    const s = await makeSite({});
    const r = await run(['check'], s.root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('feedpipe.config.yaml:1:1  error  config file not found  (config-missing)');
  });

  it('schedule lists what is still to come, in the site zone and UTC, and the drafts; it writes nothing', async () => {
    const s = await makeSite({
      'a.md': article({ title: 'Out already', date: '2026-01-01' }),
      'later.md': article({ title: 'Clocks change', date: '2027-03-28T02:30' }),
      'soon.md': article({ title: 'Soon', date: '2026-11-25T14:30:00Z' }),
      'd.md': article({ title: 'Half written', date: '2026-12-01', draft: true }),
    });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), CONFIG.replace('url:', 'timezone: Europe/London\n  url:'));
    const r = await run(['schedule', '--now', '2026-11-25T12:00:00Z'], s.root);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'Scheduled: 2 articles, soonest first (times in Europe/London and UTC; now is 2026-11-25 12:00 +00:00)',
        '  2026-11-25 14:30 +00:00   2026-11-25 14:30 UTC   in 2 h 30 min   Soon            content/soon.md',
        '  2027-03-28 02:30 +01:00   2027-03-28 01:30 UTC   in 122 days     Clocks change   content/later.md',
        'Drafts: 1 article (never published while "draft: true")',
        '  2026-12-01 00:00 +00:00   2026-12-01 00:00 UTC   Half written   content/d.md',
        'This list is for your eyes only: nothing in it is in any feed yet. Scheduled articles go out at their time; drafts never.',
        '',
      ].join('\n'),
    );
    await expect(readFile(path.join(s.root, 'dist', 'feed.xml'))).rejects.toThrow();
  });

  it('build refuses to write while a publisher holds the output folder', async () => {
    const s = await cliSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    const held = await acquireOutputLock(s.outDir, { command: 'feedpipe start', pid: 1, hostname: 'elsewhere' });
    const r = await run(['build'], s.root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^feedpipe: nothing was published: the output folder is locked by feedpipe start \(pid 1 on elsewhere, /);
    if (held.ok) await held.lock.release();
    expect((await run(['build'], s.root)).code).toBe(0);
  });

  it('start runs until its signal aborts, then exits 0', async () => {
    const s = await cliSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    const controller = new AbortController();
    let stdout = '';
    let stderr = '';
    const running = runCli(['start', '--log-format', 'json'], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: s.root, signal: controller.signal });
    while (!stdout.includes('"event":"run"')) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect(await running).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['start', 'run', 'stop']);
  });
});
