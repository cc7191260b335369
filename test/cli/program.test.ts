/**
 * The command line as a user meets it: help per command, did-you-mean, one-line usage errors
 * with exit code 2 (README, "CLI"). All in-process through runCli with argv and io as parameters.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { article, makeSite } from '../helpers/site.js';

async function run(argv: string[], cwd?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), ...(cwd ? { cwd } : {}) });
  return { code, stdout, stderr };
}

/** The one line a usage error says, after checking it is exactly that line and the pointer to the help. */
function usageLine(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const m = /^feedpipe: (.+)\nRun "feedpipe --help" for usage\.\n$/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  return m![1]!;
}

describe('help', () => {
  it.each([
    ['build', ['--now <instant>', '--no-cache', '--quiet'], ['--port', '--watch'], 'feedpipe build --now 2026-01-01T09:00:00Z'],
    ['serve', ['--port <port>', '--host <host>'], ['--now', '--quiet', '--content'], 'feedpipe serve --port 0'],
    ['start', ['--watch', '--log-format <format>', '--serve'], ['--now'], 'feedpipe start --watch'],
    ['schedule', ['--now <instant>'], ['--port', '--quiet'], 'feedpipe schedule --now'],
    ['check', ['--quiet', '--now <instant>'], ['--serve'], 'feedpipe check'],
  ])('"%s --help" and "help %s" print that command\'s own options and an example', async (name, has, hasNot, example) => {
    const byFlag = await run([name, '--help']);
    const byCommand = await run(['help', name]);
    expect(byFlag).toMatchObject({ code: 0, stderr: '' });
    expect(byCommand).toEqual(byFlag);
    expect(byFlag.stdout).toMatch(new RegExp(`^Usage: feedpipe ${name} \\[options\\]\n`));
    for (const flag of has) expect(byFlag.stdout).toContain(flag);
    for (const flag of hasNot) expect(byFlag.stdout).not.toContain(flag);
    expect(byFlag.stdout).toMatch(/\nExamples?:\n/);
    expect(byFlag.stdout).toContain(example);
    expect(byFlag.stdout).not.toContain('Commands:'); // not the global help
  });

  it('the global help lists every command and the exit codes; -h is --help', async () => {
    const r = await run(['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const name of ['start', 'build', 'check', 'schedule', 'serve', 'help']) expect(r.stdout).toMatch(new RegExp(`\n  ${name} \\[`));
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 content or config errors, 2 usage errors.');
    expect(await run(['-h'])).toEqual(r);
    expect(await run(['help'])).toEqual(r);
  });
});

describe('usage errors: one line in feedpipe\'s words, exit 2', () => {
  it.each([
    [['biuld'], "unknown command 'biuld'. Did you mean 'build'?"],
    [['sever'], "unknown command 'sever'. Did you mean 'serve'?"],
    [['help', 'chek'], "unknown command 'chek'. Did you mean 'check'?"],
    [['biuld', '--help'], "unknown command 'biuld'. Did you mean 'build'?"],
    [['publish'], "unknown command 'publish'. The commands are start, build, check, schedule, serve"],
    [['build', '--nwo', '2026-01-01T00:00:00Z'], 'unknown option \'--nwo\' for "feedpipe build". Did you mean \'--now\'?'],
    [['serve', '--prot', '80'], 'unknown option \'--prot\' for "feedpipe serve". Did you mean \'--port\'?'],
    [['build', '--bogus'], 'unknown option \'--bogus\' for "feedpipe build"'],
    [['build', '--now'], '--now needs a value, e.g. --now 2026-01-01T09:00:00Z'],
    [['serve', '--port'], '--port needs a value, e.g. --port 8080'],
    [['build', 'extra'], 'unexpected argument "extra"; "feedpipe build" takes options only'],
    [['build', '--watch'], '--watch is an option of "feedpipe start"'],
    [['serve', '--now', '2026-01-01T00:00:00Z'], '--now is an option of "feedpipe build", "feedpipe check" and "feedpipe schedule"'],
    [['start', '--now', '2026-01-01T00:00:00Z'], '"feedpipe start" publishes by the real clock; --now is for build, check and schedule'],
    [['--quiet', 'build'], '--quiet goes after the command: "feedpipe build --quiet"'],
    [['start', '--log-format', 'xml'], '--log-format "xml" is not human or json'],
    [[], 'no command given'],
    [['--'], 'no command given'],
  ])('%j', async (argv, message) => {
    expect(usageLine(await run(argv))).toBe(message);
  });

  it('never passes on the parser\'s own text', async () => {
    for (const argv of [['build', '--bogus'], ['biuld'], ['build', '--now'], ['build', 'x'], ['serve', '-x']]) {
      const line = usageLine(await run(argv));
      expect(line).not.toMatch(/^error:|\(Did you mean|too many arguments|argument missing|ERR_PARSE_ARGS/);
    }
  });
});

describe('--now is a real instant or a usage error', () => {
  it.each([
    ['2026-02-30T00:00:00Z', '--now "2026-02-30T00:00:00Z" is not a real date: February 2026 has 28 days'],
    ['2026-13-01T00:00:00Z', '--now "2026-13-01T00:00:00Z" is not a real date: month 13 does not exist'],
    ['2026-01-01T24:30:00+01:00', '--now "2026-01-01T24:30:00+01:00" is not a real date: the time of day is out of range'],
    ['2026-01-01T09:00:00+24:00', '--now "2026-01-01T09:00:00+24:00" is not a real date: offset +24:00 is out of range'],
    ['2026-01-01T09:00', '--now "2026-01-01T09:00" is not an RFC 3339 instant; write e.g. 2026-01-01T09:00:00Z or 2026-01-01T10:00:00+01:00'],
    ['2026-01-01', '--now "2026-01-01" is not an RFC 3339 instant; write e.g. 2026-01-01T09:00:00Z or 2026-01-01T10:00:00+01:00'],
  ])('build --now %s: exit 2, and nothing is written', async (now, message) => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-01-01' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
    expect(usageLine(await run(['build', '--now', now], s.root))).toBe(message);
    expect(existsSync(s.outDir)).toBe(false);
    expect(existsSync(path.join(s.root, '.feedpipe-cache'))).toBe(false);
  });

  it('an offset is honoured: the same instant as in UTC', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-03-01T08:30:00Z' }) });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
    const r = await run(['check', '--now', '2026-03-01T10:00:00.5+01:30'], s.root);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('1 public, 0 scheduled, 0 drafts (now: 2026-03-01T08:30:00.500Z)');
  });
});
