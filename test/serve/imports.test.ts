/**
 * The server serves files: importing it must not load the content model, the
 * config schema or the build, nor zod or the YAML parser. Checked on the
 * compiled lib/ (which `npm test` builds first) in a fresh node process, whose
 * module resolve hook records every module it loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const lib = path.join(root, 'lib');

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;

/** Every module URL resolved while importing `entry` (a file under lib/), builtins included. */
function modulesLoadedBy(entry: string): string[] {
  if (!existsSync(path.join(lib, entry))) throw new Error(`lib/${entry} is missing: run \`npm test\`, which builds it first`);
  const script = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
const SENTINEL = 'data:text/javascript,export{}';
const done = new Promise((resolve) => port1.on('message', (url) => (url === SENTINEL ? resolve() : urls.push(url))));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), { data: { port: port2 }, transferList: [port2] });
await import(${JSON.stringify(pathToFileURL(path.join(lib, entry)).href)});
// Messages on one port arrive in order: once the sentinel's resolution is in, so is every earlier one.
await import(SENTINEL);
await done;
port1.close();
console.log(JSON.stringify(urls));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

const ours = (urls: string[]) => urls.filter((u) => u.startsWith(pathToFileURL(lib).href + '/')).map((u) => path.relative(lib, fileURLToPath(u)).split(path.sep).join('/'));
const packages = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/'));

describe('what importing the server loads', () => {
  it('only serve/, util/, diagnostics/ and the publish names; no package, so neither zod nor yaml', () => {
    const urls = modulesLoadedBy('serve/server.js');
    const modules = ours(urls);
    expect(modules).toContain('serve/server.js');
    expect(modules).toContain('publish/manifest.js');
    const allowed = /^(serve\/[^/]+|util\/[^/]+|diagnostics\/[^/]+|publish\/files|publish\/manifest)\.js$/;
    expect(modules.filter((m) => !allowed.test(m))).toEqual([]);
    expect(packages(urls)).toEqual([]);
  });

  it('the hook sees zod and yaml where they are loaded (so the check above can fail)', () => {
    const urls = packages(modulesLoadedBy('build/build.js'));
    expect(urls.some((u) => u.includes('/node_modules/zod/'))).toBe(true);
    expect(urls.some((u) => u.includes('/node_modules/yaml/'))).toBe(true);
  });
});
