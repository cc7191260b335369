/**
 * What users run is the bundle (lib/bundle/cli.js: the `feedpipe` bin and `npm start`) and its
 * worker (lib/bundle/worker.js), made by scripts/bundle.mjs from lib/ (`npm test` builds both
 * first). They must do exactly what the modules in lib/ do.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, madeSites, makeSite, NOW } from '../helpers/site.js';

const root = path.resolve(import.meta.dirname, '../..');
const BUNDLE = path.join(root, 'lib', 'bundle');
const lib = async <T>(rel: string) => (await import(path.join(root, 'lib', rel))) as T;

beforeAll(() => {
  if (!existsSync(path.join(BUNDLE, 'cli.js'))) throw new Error('lib/bundle is missing: run `npm test`, which builds it first');
});

async function siteWith(n: number) {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    files[`${i % 7}/story-${i}.md`] =
      `---\ntitle: "Story ${i} & <more> — “quoted”"\ndate: 2026-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:30:00Z\nsection: ${['World', 'Business', 'Science'][i % 3]}\ntags: [Tag ${i % 11}, Tag ${(i * 5) % 11}]\n---\n` +
      `Story ${i} opens with [a link](../story-${i + 1}/) and ![a photo](img/${i}.jpg "Photo").\n\n## Then\n\n- one\n- two, with \`code\`\n\n> A quote: ü, 東京, 🙂.\n\n| a | b |\n|---|---|\n| ${i} | x |\n`;
  }
  const site = await makeSite(files);
  await writeFile(path.join(site.root, 'feedpipe.config.yaml'), `${JSON.stringify(baseConfig)}\n`);
  // Files written in the last 2 s are never trusted by their stat: backdated, an edit build can load only what changed.
  const old = new Date(Date.now() - 60_000);
  for (const rel of Object.keys(files)) await utimes(path.join(site.contentDir, rel), old, old);
  return site;
}

async function filesIn(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name !== '.feedpipe-manifest.json') {
      const full = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, full), await readFile(full));
    }
  }
  return out;
}

describe('the bundled CLI', () => {
  it('publishes byte-identical files to the library build, cold and after an edit (which loads only that file)', async () => {
    const site = await siteWith(150); // over the render threshold: the bundled CLI starts its bundled worker
    const { build } = await lib<typeof import('../../src/build/build.js')>('build/build.js');
    const run = () => promisify(execFile)(process.execPath, [path.join(BUNDLE, 'cli.js'), 'build', '--now', NOW.toISOString()], { cwd: site.root });
    const expectSame = async () => {
      const reference = path.join(site.root, 'reference');
      const report = await build({ config: baseConfig, contentDir: site.contentDir, outDir: reference, now: NOW });
      expect(report.diagnostics).toEqual([]);
      const [want, got] = await Promise.all([filesIn(reference), filesIn(site.outDir)]);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [rel, bytes] of want) expect(got.get(rel)!.equals(bytes), rel).toBe(true);
    };
    const cold = await run();
    expect(cold.stdout).toMatch(/150 articles: 150 public/);
    await expectSame();
    const edited = path.join(site.contentDir, '1/story-8.md'); // among the newest: in the site feed
    await writeFile(edited, (await readFile(edited, 'utf8')).replace('Story 8 opens', 'Story 8, corrected, opens').replace('title: "Story 8 ', 'title: "Story 8 (updated) '));
    const warm = await run();
    expect(warm.stdout).toMatch(/written/);
    expect((await readFile(path.join(site.outDir, 'feed.xml'), 'utf8')).includes('Story 8, corrected, opens')).toBe(true);
    expect(await readFile(path.join(site.outDir, 'atom.xml'), 'utf8')).toContain('Story 8 (updated)');
    await expectSame();
  }, 60_000);

  it('carries the record of the packages it was made from, for the cache key', async () => {
    const { dependencyVersions } = await lib<typeof import('../../src/util/version.js')>('util/version.js');
    const stamp = dependencyVersions();
    expect(stamp).toMatch(/^[0-9a-f]{16}$/);
    // In whichever of the bundle's files holds the cache key's code (it is split by what each command loads).
    const files = (await readdir(BUNDLE)).filter((f) => f.endsWith('.js'));
    const texts = await Promise.all(files.map((f) => readFile(path.join(BUNDLE, f), 'utf8')));
    expect(texts.some((t) => t.includes(JSON.stringify(stamp)))).toBe(true);
  });

  it('reports its package version (the cache key carries it)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(BUNDLE, 'cli.js'), '--version']);
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(stdout.trim()).toBe(pkg.version);
  });
});

describe('the bundle script', () => {
  it('bundles in a checkout whose path has a space', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe checkout '));
    madeSites.push(dir);
    for (const f of ['scripts', 'package.json']) await cp(path.join(root, f), path.join(dir, f), { recursive: true });
    await cp(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true, filter: (src) => src !== BUNDLE });
    await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await promisify(execFile)(process.execPath, ['scripts/bundle.mjs'], { cwd: dir });
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'lib', 'bundle', 'cli.js'), '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 30_000);
});

describe('the bundled worker', () => {
  it('parses and renders exactly as lib/build/work.js and render-task.js do on the main thread', async () => {
    const site = await siteWith(12);
    const { validateConfig } = await lib<typeof import('../../src/config/config.js')>('config/config.js');
    const { parseFile } = await lib<typeof import('../../src/build/work.js')>('build/work.js');
    const { renderFile } = await lib<typeof import('../../src/build/render-task.js')>('build/render-task.js');
    const { rootsOf } = await lib<typeof import('../../src/publish/items.js')>('publish/items.js');
    const config = (await validateConfig(baseConfig, '<config>')).config!;
    const refs = (await readdir(site.contentDir, { recursive: true }))
      .filter((f) => f.endsWith('.md'))
      .map((rel) => ({ absPath: path.join(site.contentDir, rel), relPath: rel, displayPath: `content/${rel}` }));
    // The pool's protocol (src/build/pool.ts, running.ts): the worker says it is ready, runs numbered
    // messages in order and answers them in batches, each answer under its message's number.
    const running = new SharedArrayBuffer(16);
    new Int32Array(running)[0] = -1;
    const worker = new Worker(path.join(BUNDLE, 'worker.js'), { workerData: { running } });
    type Answer = { results?: unknown[]; result?: unknown; error?: string };
    const waiting = new Map<number, (m: Answer) => void>();
    let codeCache: string | undefined;
    worker.on('message', (m: { ready?: true; codeCache?: string; done?: { seq: number; reply: Answer }[] }) => {
      if (m.ready) codeCache = m.codeCache;
      m.done?.forEach(({ seq, reply }) => waiting.get(seq)?.(reply));
    });
    let seq = 0;
    const ask = (message: object) =>
      new Promise<Answer>((resolve, reject) => {
        const n = seq++;
        waiting.set(n, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        worker.postMessage({ ...message, seq: n });
      });
    try {
      const parsed = refs.map((r) => parseFile(r, config));
      expect((await ask({ kind: 'parse', tasks: refs, config })).results).toEqual(parsed);
      const { build } = await lib<typeof import('../../src/build/build.js')>('build/build.js');
      const report = await build({ config: baseConfig, contentDir: site.contentDir, now: NOW, write: false });
      const { buildFeedModels } = await lib<typeof import('../../src/publish/model.js')>('publish/model.js');
      const roots = rootsOf(buildFeedModels(report.visible, config)[0]!);
      const tasks = refs.map((ref, i) => ({ ref, article: parsed[i]!.article!, hash: parsed[i]!.hash, roots }));
      const here = await Promise.all(tasks.map((t) => renderFile(t)));
      const there = await Promise.all(tasks.map(async (task) => (await ask({ kind: 'render', task })).result));
      expect(there).toEqual(here);
      expect((here[0] as { fragments: Record<string, unknown> }).fragments).toHaveProperty('atom');
      // It loaded the renderer with the compiled code `npm run build` saved for it (src/build/code-cache.ts).
      expect(codeCache).toBe('used');
    } finally {
      await worker.terminate();
    }
  }, 30_000);

  it('compiles its renderer as usual when the saved code is damaged or was made for another source, and renders the same', async () => {
    const site = await siteWith(3);
    const refs = (await readdir(site.contentDir, { recursive: true })).filter((f) => f.endsWith('.md')).map((rel) => ({ absPath: path.join(site.contentDir, rel), relPath: rel, displayPath: `content/${rel}` }));
    const { validateConfig } = await lib<typeof import('../../src/config/config.js')>('config/config.js');
    const { parseFile } = await lib<typeof import('../../src/build/work.js')>('build/work.js');
    const { renderFile } = await lib<typeof import('../../src/build/render-task.js')>('build/render-task.js');
    const config = (await validateConfig(baseConfig, '<config>')).config!;
    const parsed = parseFile(refs[0]!, config);
    const task = { ref: refs[0]!, article: parsed.article!, hash: parsed.hash };
    const damages: Record<string, (dir: string) => Promise<void>> = {
      // Bytes flipped in the middle of V8's data: V8 itself would take it (and could crash the process).
      'flipped bytes': async (dir) => {
        const file = path.join(dir, 'renderer.cjs.v8');
        const bytes = await readFile(file);
        const at = Math.floor(bytes.length / 2);
        for (let i = at; i < at + 64; i++) bytes[i] = bytes[i]! ^ 0xff;
        await writeFile(file, bytes);
      },
      // A renderer rebuilt beside an old cache, the same length: V8 itself would run the old code.
      'another source': async (dir) => {
        const file = path.join(dir, 'renderer.cjs');
        const source = await readFile(file, 'utf8');
        await writeFile(file, source.replace('"use strict"', '"use strixt"'));
      },
    };
    for (const [what, damage] of Object.entries(damages)) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-bundle-'));
      madeSites.push(dir);
      await cp(BUNDLE, dir, { recursive: true });
      await damage(dir);
      const running = new SharedArrayBuffer(16);
      new Int32Array(running)[0] = -1;
      const worker = new Worker(path.join(dir, 'worker.js'), { workerData: { running } });
      try {
        const ready = new Promise<{ codeCache?: string }>((resolve) => worker.on('message', (m: { ready?: true; codeCache?: string }) => m.ready && resolve(m)));
        const answer = new Promise<{ result?: unknown }>((resolve) => worker.on('message', (m: { done?: { reply: { result?: unknown } }[] }) => m.done && resolve(m.done[0]!.reply)));
        worker.postMessage({ kind: 'render', task, seq: 0 });
        expect((await ready).codeCache, what).toBe('refused');
        expect((await answer).result, what).toEqual(await renderFile(task));
      } finally {
        await worker.terminate();
      }
    }
  }, 30_000);
});
