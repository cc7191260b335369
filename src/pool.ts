import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from './config.js';

/**
 * A small pool of worker threads for the cold path (thousands of files to
 * parse, hundreds to render). A worker costs ~0.2 s to start (it imports zod,
 * yaml and remark), so builds below the thresholds stay on the main thread.
 */
export class WorkerPool {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: unknown[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: { id: number; results?: unknown[]; error?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.results!);
      });
      const failAll = (e: Error) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      };
      w.on('error', failAll);
      // A worker that dies (out of memory, killed) must not leave a build waiting forever.
      w.on('exit', (code) => failAll(new Error(`worker thread exited with code ${code}`)));
    }
  }

  /** A pool, or undefined where workers cannot run (a single core; running from TypeScript sources). */
  static create(config: Config, size = Math.min(2, os.availableParallelism())): WorkerPool | undefined {
    const script = new URL('./worker.js', import.meta.url);
    if (size < 2 || !existsSync(fileURLToPath(script))) return undefined;
    // Flags for an inline entry (`node --input-type=module -e …`) would stop a worker that starts from a file.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < size; i++) workers.push(new Worker(script, { workerData: { config }, execArgv }));
    } catch {
      // Node refuses some flags in workers (ERR_WORKER_INVALID_EXEC_ARGV): then the main thread does the work.
      for (const w of workers) void w.terminate();
      return undefined;
    }
    return new WorkerPool(workers);
  }

  /** Runs `tasks` in chunks spread over the workers; results keep the order of the tasks. */
  async run<T, R>(kind: 'parse' | 'render', tasks: readonly T[], chunk = kind === 'parse' ? 500 : 32): Promise<R[]> {
    const chunks: Promise<unknown[]>[] = [];
    for (let i = 0; i < tasks.length; i += chunk) {
      const id = this.next++;
      const worker = this.workers[(i / chunk) % this.workers.length]!;
      chunks.push(new Promise((resolve, reject) => this.pending.set(id, { resolve, reject })));
      worker.postMessage({ id, kind, tasks: tasks.slice(i, i + chunk) });
    }
    return (await Promise.all(chunks)).flat() as R[];
  }

  get size(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
