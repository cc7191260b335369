/**
 * The worker pool that renders (src/build/pool.ts, dispatch.ts): a time budget per task, a heap
 * cap per worker, a worker over either terminated and replaced, the rest of the work done. Worker
 * threads run compiled code: this uses lib/, which `npm test` compiles first.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.js';
import { makeSite } from '../helpers/site.js';

const lib = (rel: string) => new URL(`../../lib/${rel}`, import.meta.url);
type Pool = typeof import('../../src/build/pool.js');
type Dispatch = typeof import('../../src/build/dispatch.js');
type Work = typeof import('../../src/build/work.js');
let pool: Pool, dispatch: Dispatch, work: Work;

beforeAll(async () => {
  expect(existsSync(lib('build/pool.js')), 'lib/ is missing: run `npm test` (it compiles lib/ first)').toBe(true);
  [pool, dispatch, work] = await Promise.all([import(lib('build/pool.js').href), import(lib('build/dispatch.js').href), import(lib('build/work.js').href)]);
});

const config = configSchema.parse({ site: { title: 'T', url: 'https://t.example/' } });

/** Render tasks for files with these bodies, as the build makes them (parsed, so within every Markdown bound). */
async function tasksFor(bodies: Record<string, string>) {
  const site = await makeSite({});
  const tasks = [];
  for (const [name, body] of Object.entries(bodies)) {
    const absPath = path.join(site.contentDir, `${name}.md`);
    await writeFile(absPath, `---\ntitle: ${name}\ndate: 2025-01-01\n---\n${body}\n`);
    const ref = { absPath, relPath: `${name}.md`, displayPath: `content/${name}.md` };
    const parsed = work.parseFile(ref, config);
    expect(parsed.diagnostics).toEqual([]);
    tasks.push({ ref, article: parsed.article!, hash: parsed.hash });
  }
  return tasks;
}

/** Seconds of rendering on any machine: plain paragraphs, within every bound. */
const slowBody = 'Plain words in a paragraph that goes on and on.\n\n'.repeat(40_000);
/** Resolves once `ok()` holds (checked every 10 ms). */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
}

const fine = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `Story *${i}* with [a link](../x/).`]));

describe('runEach', () => {
  it('stops a task over its time budget, replaces its worker, and renders every other task', async () => {
    const tasks = await tasksFor({ ...fine(3, 'before'), slow: slowBody, ...fine(4, 'after') });
    const workers = pool.WorkerPool.create({ size: 2 })!;
    try {
      const started = performance.now();
      const results = await dispatch.runEach(workers, 'render', tasks, {
        budgetMs: 300,
        failed: (task, why) => ({ failed: why, file: task.ref.relPath }),
        local: () => Promise.reject(new Error('rendered on the main thread')),
      });
      expect(results!.map((r) => ('failed' in r ? r : 'html' in r ? 'rendered' : r))).toEqual([...Array(3).fill('rendered'), { failed: 'timeout', file: 'slow.md' }, ...Array(4).fill('rendered')]);
      // Stopped at its budget, not after seconds of rendering (the rest is start-up, on a busy machine).
      expect(performance.now() - started).toBeLessThan(8000);
      expect(workers.live()).toHaveLength(2);
      // The replacement works.
      const again = await dispatch.runEach(workers, 'render', tasks.slice(0, 2), { budgetMs: 5000, failed: () => 'failed', local: () => Promise.reject(new Error('main')) });
      expect(again!.every((r) => typeof r === 'object' && 'html' in r)).toBe(true);
    } finally {
      await workers.close();
    }
  }, 30_000);

  it('times each task from its own start, though a worker answers in batches', async () => {
    const medium = 'Plain words in a paragraph that goes on and on.\n\n'.repeat(1000);
    const workers = pool.WorkerPool.create({ size: 1 })!;
    try {
      // One task's time here, then a budget of five of them and enough tasks to run three budgets' worth.
      const [one] = await tasksFor({ m: medium });
      const opts = { failed: (_: unknown, why: string) => why, local: () => Promise.reject(new Error('main')) };
      await dispatch.runEach(workers, 'render', [one!], { budgetMs: undefined, ...opts });
      const t0 = performance.now();
      await dispatch.runEach(workers, 'render', [one!], { budgetMs: undefined, ...opts });
      const each = performance.now() - t0;
      const budgetMs = Math.max(300, 5 * each);
      const tasks = Array.from({ length: Math.min(60, Math.ceil((3 * budgetMs) / each)) }, () => one!);
      const started = performance.now();
      const results = await dispatch.runEach(workers, 'render', tasks, { budgetMs, ...opts });
      expect(results!.filter((r) => typeof r === 'string')).toEqual([]);
      // The premise: one worker ran them one after another for longer than a budget.
      expect(performance.now() - started).toBeGreaterThan(budgetMs);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('blames the task its worker was running, not one it finished and had not answered yet', async () => {
    const tasks = await tasksFor({ ...fine(5, 'before'), slow: slowBody, ...fine(2, 'after') });
    const workers = pool.WorkerPool.create({ size: 1 })!;
    try {
      const results = await dispatch.runEach(workers, 'render', tasks, { budgetMs: 300, failed: (_, why) => why, local: () => Promise.reject(new Error('main')) });
      expect(results!.map((r) => (typeof r === 'string' ? r : 'rendered'))).toEqual([...Array(5).fill('rendered'), 'timeout', 'rendered', 'rendered']);
    } finally {
      await workers.close();
    }
  }, 30_000);

  it('stops a task over the heap cap of its worker and reports it as such', async () => {
    const tasks = await tasksFor({ ok: 'Fine.', big: slowBody });
    const workers = pool.WorkerPool.create({ size: 1, maxMemoryMb: 64 })!;
    try {
      const results = await dispatch.runEach(workers, 'render', tasks, { budgetMs: 60_000, failed: (_, why) => why, local: () => Promise.reject(new Error('main')) });
      expect(results![0]).toMatchObject({ html: expect.stringContaining('Fine.') });
      expect(results![1]).toBe('memory');
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('hands two tasks to two idle workers, not both to one', async () => {
    const tasks = await tasksFor(fine(2, 'edit'));
    const workers = pool.WorkerPool.create({ size: 2 })!;
    try {
      workers.grow(2);
      await until(() => workers.live().every((s) => s.ready));
      const running = dispatch.runEach(workers, 'render', tasks, { budgetMs: 5000, failed: () => 'failed', local: () => Promise.reject(new Error('main')) });
      expect(workers.live().map((s) => s.queue.length)).toEqual([1, 1]);
      expect((await running)!.every((r) => typeof r === 'object' && 'html' in r)).toBe(true);
    } finally {
      await workers.close();
    }
  }, 30_000);

  it('finishes two runs over one pool at once, though the first fills its worker', async () => {
    const tasks = await tasksFor(fine(20, 'many'));
    const workers = pool.WorkerPool.create({ size: 1 })!;
    try {
      await until(() => workers.live().every((s) => s.ready));
      const opts = { budgetMs: 5000, failed: () => 'failed', local: () => Promise.reject(new Error('main')) };
      const first = dispatch.runEach(workers, 'render', tasks, opts);
      // The first run's tasks fill the worker's queue: the second waits for room, then gets it.
      const second = dispatch.runEach(workers, 'render', tasks.slice(0, 1), opts);
      const [a, b] = await Promise.all([first, second]);
      expect(a!.every((r) => typeof r === 'object' && 'html' in r)).toBe(true);
      expect(b).toEqual([expect.objectContaining({ html: expect.stringContaining('Story') })]);
    } finally {
      await workers.close();
    }
  }, 30_000);

  it('stops waiting at once when aborted', async () => {
    const tasks = await tasksFor({ slow: slowBody });
    const workers = pool.WorkerPool.create({ size: 1 })!;
    try {
      const controller = new AbortController();
      const running = dispatch.runEach(workers, 'render', tasks, { budgetMs: 60_000, signal: controller.signal, failed: () => 'failed', local: () => Promise.reject(new Error('main')) });
      setTimeout(() => controller.abort(), 50);
      expect(await running).toBeUndefined();
    } finally {
      await workers.close();
    }
  });
});
