/**
 * Rendering, off the main thread: each task goes to a worker on its own, with
 * a time budget. A worker over its budget or its memory cap is terminated and
 * replaced (src/build/pool.ts); the task it was running gets `failed`'s
 * result, the tasks queued behind it go to another worker. So the thread that
 * keeps the publisher's timers and answers the server's requests only ever
 * posts messages and receives results, whatever the Markdown.
 */
import type { Death, Reply, Slot, WorkerPool } from './pool.js';
import { REPLY_BATCH } from './running.js';

/** Tasks queued at a worker: it answers in batches, and has the next batch to run meanwhile. */
const AHEAD = 2 * REPLY_BATCH;

export interface EachOptions<T, R> {
  /** Each task's time budget, ms, from when its worker starts it; none if undefined. */
  budgetMs: number | undefined;
  /** The message that asks a worker for `task` (default: `{ kind, task }`), and its result in the worker's reply. */
  message?: (task: T) => object;
  result?: (reply: { results?: unknown[]; result?: unknown }) => R;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The result of a task its worker could not finish: over time, over memory, or died under it twice. */
  failed: (task: T, why: Death) => R;
  /** Only where no worker can run at all (none would start): the task on this thread. */
  local: (task: T) => Promise<R>;
}

/** `tasks` through the pool's workers, results in task order; undefined, at once, if `signal` aborted. */
export function runEach<T, R>(pool: WorkerPool, kind: 'render' | 'parse', tasks: readonly T[], options: EachOptions<T, R>): Promise<R[] | undefined> {
  const message = options.message ?? ((task: T) => ({ kind, task }));
  const result = options.result ?? ((reply) => reply.result as R);
  return new Promise((resolve) => {
    const results: R[] = new Array(tasks.length);
    const todo = tasks.map((_, i) => i);
    const crashed = new Set<number>();
    let left = tasks.length;
    let over = false;
    let local = false;
    let localRunning = false;
    const end = (value: R[] | undefined) => {
      if (over) return;
      over = true;
      pool.onRoom.delete(feed);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => end(undefined);
    const settle = (i: number, r: R) => {
      results[i] = r;
      left--;
      options.onProgress?.(tasks.length - left, tasks.length);
      if (left === 0) end(results);
    };
    const onReply = (i: number, reply: Reply) => {
      if (over) return;
      if ('died' in reply) {
        // Queued behind the culprit, or at a worker that never started: not this task's doing.
        if (!reply.head) todo.unshift(i);
        // A worker can die for reasons of its own once; twice on the same task is the task's.
        else if (reply.died === 'crash' && !crashed.has(i)) {
          crashed.add(i);
          todo.unshift(i);
        } else settle(i, options.failed(tasks[i]!, reply.died));
      } else if (reply.error !== undefined) settle(i, options.failed(tasks[i]!, 'crash'));
      else settle(i, result(reply));
      // More is handed out when the pool says there is room (pool.onRoom), after this answer.
    };
    const feed = () => {
      if (over) return;
      if (local) return void runLocally();
      try {
        pool.grow(left);
      } catch {
        // No more workers: those alive go on.
      }
      const live = pool.live();
      if (!live.length) {
        local = true;
        return void runLocally();
      }
      // A worker still starting (a replacement, ~0.3 s) gets work only if none is ready: a task
      // waits less behind another at a ready worker. It is fed once ready (pool.onRoom).
      const ready = live.filter((s) => s.ready);
      const slots = ready.length ? ready : live;
      // Each task to the worker with the fewest queued: two tasks go to two idle workers, not one.
      for (let slot = fewest(slots); slot.queue.length < AHEAD && todo.length; slot = fewest(slots)) {
        const i = todo.shift()!;
        pool.send(slot, message(tasks[i]!), (reply) => onReply(i, reply), options.budgetMs);
      }
    };
    const runLocally = async () => {
      if (localRunning) return;
      localRunning = true;
      while (todo.length && !over) {
        const i = todo.shift()!;
        settle(i, await options.local(tasks[i]!));
        await new Promise(setImmediate);
      }
      localRunning = false;
    };
    if (options.signal?.aborted) return end(undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (!tasks.length) return end([]);
    pool.onRoom.add(feed);
    feed();
  });
}

function fewest(slots: readonly Slot[]): Slot {
  return slots.reduce((a, b) => (b.queue.length < a.queue.length ? b : a));
}
