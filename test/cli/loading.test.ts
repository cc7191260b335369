/**
 * Each command loads only what it runs: `feedpipe build` neither the HTTP server nor the
 * WebSub client nor node-cron; `feedpipe serve` none of the build's stages, nor zod or the YAML
 * parser (once a build has recorded what serve needs of the config). Proved on the compiled lib/ (`npm test` builds it first) by a real process whose every
 * resolved module URL a loader hook records.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { article, makeSite } from '../helpers/site.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(root, 'lib', 'cli', 'main.js');
const recorder = path.join(import.meta.dirname, 'record-loads.mjs');

/** Runs lib/cli/main.js with argv in cwd; `until` (given the stdout so far) says when to send SIGTERM. */
async function loadedBy(argv: string[], cwd: string, until?: (stdout: string) => boolean): Promise<{ code: number | null; urls: string[]; stdout: string; stderr: string }> {
  const log = path.join(cwd, `loads-${argv[0]}.txt`);
  await writeFile(log, '');
  const child = spawn(process.execPath, ['--import', recorder, cli, ...argv], { cwd, env: { ...process.env, FEEDPIPE_LOAD_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let stopping = false; // once: a second signal after the server stopped listening would kill it
  child.stdout.on('data', (d) => {
    stdout += d;
    if (until?.(stdout) && !stopping) stopping = child.kill('SIGTERM');
  });
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, urls: (await readFile(log, 'utf8')).split('\n').filter(Boolean), stdout, stderr };
}

const lib = `${pathToFileURL(path.join(root, 'lib')).href}/`;
/** Our compiled modules in `folder` (as 'serve/server.js'), each once. */
const ours = (urls: string[], folder: string) => [...new Set(urls.filter((u) => u.startsWith(`${lib}${folder}/`)).map((u) => u.slice(lib.length)))].sort();
const packages = (urls: string[]) => [...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();

let build: Awaited<ReturnType<typeof loadedBy>>;
let serve: Awaited<ReturnType<typeof loadedBy>>;
let edited: Awaited<ReturnType<typeof loadedBy>>;
let again: Awaited<ReturnType<typeof loadedBy>>;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('lib/ is missing: run `npm test`, which builds it first');
  const s = await makeSite({ 'a.md': article({ title: 'Loaded', date: '2026-01-01' }) });
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Loading Times\n  url: https://loading.example.com/\n');
  build = await loadedBy(['build', '--now', '2026-06-01T00:00:00Z'], s.root);
  const serving = (out: string) => out.includes('serving ');
  serve = await loadedBy(['serve', '--port', '0'], s.root, serving);
  // An edited config is loaded in full (and recorded again): its new output folder is served.
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Loading Times\n  url: https://loading.example.com/\noutput: public\n');
  edited = await loadedBy(['serve', '--port', '0'], s.root, serving);
  again = await loadedBy(['serve', '--port', '0'], s.root, serving);
}, 60_000);

describe('what each command loads', () => {
  it('build ran, and the recorder saw its modules', () => {
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('1 article: 1 public');
    expect(ours(build.urls, 'build')).toContain('build/build.js');
    expect(packages(build.urls)).toEqual(expect.arrayContaining(['remark', 'zod', 'yaml']));
  });

  it('build loads neither the HTTP server nor the WebSub client nor the publisher', () => {
    expect(ours(build.urls, 'serve')).toEqual([]);
    expect(ours(build.urls, 'start').filter((m) => m !== 'start/lock.js')).toEqual([]);
  });

  it('build does not load node-cron (the config checks a cron expression other than the default lazily)', () => {
    expect(packages(build.urls)).not.toContain('node-cron');
    expect(ours(build.urls, 'start')).toEqual(['start/lock.js']);
  });

  it('serve ran until SIGTERM, and the recorder saw its modules', () => {
    expect(serve.code, serve.stderr).toBe(0);
    expect(ours(serve.urls, 'serve')).toContain('serve/server.js');
  });

  it('serve loads none of the build: no content, no publishing, no build stage, no markdown or feed package', () => {
    for (const folder of ['content', 'incremental', 'start', 'build']) expect(ours(serve.urls, folder)).toEqual([]);
    expect(ours(serve.urls, 'publish')).toEqual(['publish/files.js', 'publish/manifest.js']);
    expect(packages(serve.urls).filter((p) => ['remark', 'feed', 'saxes', 'hast-util-sanitize', 'remark-html', 'remark-gfm'].includes(p))).toEqual([]);
  });

  it('serve after a build loads neither zod nor the YAML parser nor node-cron: the build recorded what it needs of the config', () => {
    expect(packages(serve.urls)).toEqual(['commander']);
    expect(ours(serve.urls, 'config')).toEqual(['config/defaults.js', 'config/recorded.js']);
    expect(ours(serve.urls, 'build')).toEqual([]);
    expect(serve.stdout).toMatch(/serving dist \(\d+ files\)/);
  });

  it('an edited config is read in full, so its new values hold; the next serve reads the record again', () => {
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/serving public \(0 files\)/);
    expect(packages(edited.urls)).toEqual(expect.arrayContaining(['yaml', 'zod']));
    expect(ours(edited.urls, 'config')).toContain('config/load.js');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/serving public \(0 files\)/);
    expect(packages(again.urls)).toEqual(['commander']);
  });
});
