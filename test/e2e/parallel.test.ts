import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSite } from '../helpers/site.js';

// Worker threads run compiled code: this test uses lib/, which `npm test` compiles first.
const LIB = new URL('../../lib/build/build.js', import.meta.url);

describe('worker threads', () => {
  it('give byte-identical feeds to a single-threaded build', async () => {
    expect(existsSync(LIB), 'lib/ is missing: run `npm test` (it compiles lib/ first)').toBe(true);
    const { build } = (await import(LIB.href)) as typeof import('../../src/build/build.js');
    const site = await makeSite({});
    // Enough files to cross the threshold of parsing in workers (5000), small enough to stay quick.
    const tags = Array.from({ length: 12 }, (_, i) => `Tag ${i}`);
    for (let i = 0; i < 5000; i++) {
      const dir = path.join(site.contentDir, String(i % 20));
      if (i < 20) await mkdir(dir, { recursive: true });
      const day = String(1 + (i % 28)).padStart(2, '0');
      await writeFile(
        path.join(dir, `a${i}.md`),
        `---\ntitle: "Story ${i} & <more>"\ndate: 2025-${String(1 + (i % 12)).padStart(2, '0')}-${day}T${String(i % 24).padStart(2, '0')}:00\ntags: [${tags[i % 12]}, "${tags[(i * 7) % 12]}"]\nsection: S${i % 5}\n${i % 97 === 0 ? 'draft: true\n' : ''}---\nBody of [story ${i}](../a${i + 1}/) with **bold** text.\n\n| a | b |\n|---|---|\n| ${i} | x |\n`,
      );
    }
    const options = { config: { site: { title: 'T', url: 'https://t.example/', timezone: 'Europe/London' } }, contentDir: site.contentDir, now: new Date('2026-01-01T00:00:00Z'), write: false };
    const parallel = await build({ ...options, parallel: true });
    const serial = await build({ ...options, parallel: false });
    expect(parallel.diagnostics).toEqual([]);
    // One worker per core: they render, and parse with the main thread.
    expect(parallel.stats).toEqual({ ...serial.stats, workers: Math.min(os.availableParallelism(), 8) });
    expect(serial.stats.workers).toBe(0);
    expect(parallel.stats.rendered).toBeGreaterThanOrEqual(100);
    expect([...parallel.files.keys()].sort()).toEqual([...serial.files.keys()].sort());
    for (const [rel, text] of serial.files) expect(parallel.files.get(rel), rel).toBe(text);
  }, 60_000);

  it('do again on the main thread a chunk a worker failed on', async () => {
    const { WorkerPool, runChunked } = (await import(new URL('../../lib/build/pool.js', import.meta.url).href)) as typeof import('../../src/build/pool.js');
    const pool = WorkerPool.create({ size: 1 })!;
    try {
      // A task the worker cannot run (no file reference): it reports an error instead of results.
      const tasks = Array.from({ length: 40 }, (_, i) => ({ n: i }));
      const results = await runChunked('render', tasks, (t) => `main ${t.n}`, pool);
      expect(results).toEqual(tasks.map((t) => `main ${t.n}`));
    } finally {
      await pool.close();
    }
  });

  it('report progress for every chunk, and stop at once when aborted', async () => {
    const { WorkerPool, runChunked } = (await import(new URL('../../lib/build/pool.js', import.meta.url).href)) as typeof import('../../src/build/pool.js');
    const { parseFile } = (await import(new URL('../../lib/build/work.js', import.meta.url).href)) as typeof import('../../src/build/work.js');
    const { configSchema } = await import('../../src/config/config.js');
    const config = configSchema.parse({ site: { title: 'T', url: 'https://t.example/' } });
    const site = await makeSite({});
    const refs = [];
    for (let i = 0; i < 3000; i++) {
      const file = path.join(site.contentDir, `a${i}.md`);
      await writeFile(file, `---\ntitle: A${i}\ndate: 2025-01-01\n---\nBody.\n`);
      refs.push({ absPath: file, relPath: `a${i}.md`, displayPath: `content/a${i}.md` });
    }
    const pool = WorkerPool.create({ size: 1 })!;
    try {
      const progress: number[] = [];
      const all = await runChunked('parse', refs, (ref) => parseFile(ref, config), pool, { onProgress: (done) => progress.push(done), extra: { config } });
      expect(all!.map((r) => r.diagnostics)).toEqual(refs.map(() => []));
      expect(progress.at(-1)).toBe(refs.length);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const controller = new AbortController();
      let chunks = 0;
      const aborted = await runChunked('parse', refs, (ref) => parseFile(ref, config), pool, {
        signal: controller.signal,
        extra: { config },
        onProgress: () => ++chunks === 2 && controller.abort(),
      });
      expect(aborted).toBeUndefined();
      expect(chunks).toBeLessThan(refs.length / 250);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
