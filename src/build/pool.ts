import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.js';

export type TaskKind = 'parse' | 'render';

/** Work handed out at a time: big enough to amortise a message, small enough to keep the main thread responsive (~20 ms). */
const CHUNK: Record<TaskKind, number> = { parse: 250, render: 8 };
/** Chunks queued at a worker, so it never waits for a busy main thread to hand it the next one. */
const AHEAD = 2;

export interface Slot {
  worker: Worker;
  inflight: Set<number>;
  dead: boolean;
}

/**
 * Worker threads that share a batch with the main thread. A worker costs
 * ~0.25 s and a heap of its own to start (it imports zod, yaml and remark), so
 * on the 2 cores this is built for, one worker plus the main thread beats two
 * workers and an idle main thread: the main thread starts at once, while the
 * worker boots, and there is one heap fewer.
 */
export class WorkerPool {
  private next = 0;
  private readonly handlers = new Map<number, (m: { results?: unknown[]; error?: string }) => void>();
  private readonly slots: Slot[];

  private constructor(workers: Worker[]) {
    this.slots = workers.map((worker) => ({ worker, inflight: new Set<number>(), dead: false }));
    for (const slot of this.slots) {
      slot.worker.on('message', (m: { id: number; results?: unknown[]; error?: string }) => {
        const handle = this.handlers.get(m.id);
        this.handlers.delete(m.id);
        handle?.(m);
      });
      const fail = (e: Error) => {
        slot.dead = true;
        for (const id of slot.inflight) {
          const handle = this.handlers.get(id);
          this.handlers.delete(id);
          handle?.({ error: e.message });
        }
      };
      slot.worker.on('error', fail);
      // A worker that dies (out of memory, killed) must not leave a build waiting forever.
      slot.worker.on('exit', (code) => fail(new Error(`worker thread exited with code ${code}`)));
    }
  }

  /** A pool, or undefined where workers cannot run (a single core; running from TypeScript sources). */
  static create(config: Config, size = Math.max(0, Math.min(os.availableParallelism(), 8) - 1)): WorkerPool | undefined {
    const script = new URL('./worker.js', import.meta.url);
    if (size < 1 || !existsSync(fileURLToPath(script))) return undefined;
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

  get size(): number {
    return this.slots.length;
  }

  /** Sends one chunk to a worker; resolves with its results, or undefined if the worker failed. */
  post<T>(slot: Slot, kind: TaskKind, tasks: readonly T[]): Promise<unknown[] | undefined> {
    const id = this.next++;
    slot.inflight.add(id);
    return new Promise((resolve) => {
      this.handlers.set(id, (m) => {
        slot.inflight.delete(id);
        if (m.error !== undefined) slot.dead = true;
        resolve(m.error !== undefined ? undefined : m.results);
      });
      slot.worker.postMessage({ id, kind, tasks });
    });
  }

  /** Live workers. */
  live(): Slot[] {
    return this.slots.filter((s) => !s.dead);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * `local` over `tasks`, in chunks, results in task order. With a pool, its
 * workers take chunks too; between its own chunks the main thread yields to
 * the event loop, so a server in the same process keeps answering and a stop
 * request gets in. A chunk a worker fails on (a crash, a thread that cannot
 * start) is done again on the main thread: workers only ever save time.
 * Returns undefined, at once, if `signal` aborted the run.
 */
export async function runChunked<T, R>(kind: TaskKind, tasks: readonly T[], local: (task: T) => R | Promise<R>, pool?: WorkerPool, options: RunOptions = {}): Promise<R[] | undefined> {
  const size = CHUNK[kind];
  const count = Math.ceil(tasks.length / size);
  const results: R[][] = new Array(count);
  const todo: number[] = Array.from({ length: count }, (_, i) => i);
  const slice = (i: number) => tasks.slice(i * size, (i + 1) * size);
  let done = 0;
  let aborted = false;
  const pending = new Set<Promise<void>>();
  const feed = () => {
    for (const slot of pool?.live() ?? []) {
      while (!aborted && slot.inflight.size < AHEAD && todo.length > 0) {
        const i = todo.shift()!;
        const p = pool!.post(slot, kind, slice(i)).then((r) => {
          pending.delete(p);
          if (r) {
            results[i] = r as R[];
            done += r.length;
            options.onProgress?.(done, tasks.length);
            feed();
          } else todo.unshift(i); // the main thread does it
        });
        pending.add(p);
      }
    }
  };
  // Waiting on the workers also ends when the run is aborted.
  let onAbort: (() => void) | undefined;
  const abortedWhileWaiting = new Promise<void>((resolve) => (onAbort = resolve));
  options.signal?.addEventListener('abort', onAbort!, { once: true });
  try {
    return await drive();
  } finally {
    options.signal?.removeEventListener('abort', onAbort!);
  }

  async function drive(): Promise<R[] | undefined> {
    feed();
    while (todo.length > 0 || pending.size > 0) {
      if (options.signal?.aborted) {
        // Chunks still at a worker are dropped: closing the pool (the caller's job) stops them.
        aborted = true;
        return undefined;
      }
      const i = todo.pop();
      if (i === undefined) {
        // Everything is handed out: wait for a worker to finish (or fail and give its chunk back), or an abort.
        await Promise.race([...pending, abortedWhileWaiting]);
        continue;
      }
      const out: R[] = [];
      for (const t of slice(i)) {
        const r = local(t);
        out.push(r instanceof Promise ? await r : r);
      }
      results[i] = out;
      done += out.length;
      options.onProgress?.(done, tasks.length);
      await new Promise(setImmediate);
      feed();
    }
    return results.flat();
  }
}
