import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { monotonicMs, RunningState } from './running.js';

export type TaskKind = 'parse' | 'render';

/** Why a worker stopped under its tasks: its time budget ran out, it hit its memory cap, or it died otherwise. */
export type Death = 'timeout' | 'memory' | 'crash';

/** A worker's answer to one message, or word that it died first (`head`: while running this message). */
export type Reply = { results?: unknown[]; result?: unknown; error?: string } | { died: Death; head: boolean };

interface Pending {
  seq: number;
  handle: (reply: Reply) => void;
  /** The message's time budget, from when the worker starts it. */
  budgetMs: number | undefined;
}

export interface Slot {
  worker: Worker;
  /** Messages at the worker, in the order it runs them (one at a time). */
  queue: Pending[];
  /** The worker has loaded the renderer (dispatch.ts prefers ready workers; a render's time starts after it). */
  ready: boolean;
  dead: boolean;
  /** What the worker is running, written by the worker itself (worker.ts): no message needed to know it. */
  running: RunningState;
  timer: NodeJS.Timeout | undefined;
  /** Why the current worker failed, from its 'error' event. */
  failure: Death | undefined;
}

export interface PoolOptions {
  /** Most workers at once; default one per core (at most 8). */
  size?: number;
  /** The old-generation heap of each worker, MiB (worker_threads resourceLimits); default V8's. */
  maxMemoryMb?: number;
}

export const defaultPoolSize = (): number => Math.max(1, Math.min(os.availableParallelism(), 8));

/**
 * Each worker's young generation, MiB. V8's default lets each heap's nursery grow to ~32 MiB; a
 * worker's garbage (micromark's events, the trees) dies young at any size, so with 16 a cold
 * 10 000-article build peaks ~45 MiB lower (two workers) in the same time.
 */
export const WORKER_YOUNG_MB = 16;

/**
 * Worker threads, started on demand up to `size`, that parse and render for a
 * build. Each runs one message at a time; a message may carry a time budget,
 * and a worker over it is terminated and replaced, as is one that ran out of
 * memory or died: the messages still queued at it are handed back, and the
 * one it was running is reported as its cause. Idle workers do not keep the
 * process alive, so a pool may outlive a build (a long-running publisher keeps
 * one) without holding the process open.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Numbers the messages, so a worker can say which it runs (RunningState). */
  private seq = 0;
  private closed = false;
  private failedStarts = 0;
  /**
   * Called each time a worker becomes ready or answers: dispatch.ts hands it work then. Every
   * runEach over the pool listens, so two at once (a render ahead and the render stage) both go on.
   */
  readonly onRoom = new Set<() => void>();

  private constructor(
    private readonly script: URL,
    readonly size: number,
    private readonly resourceLimits: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb: number },
  ) {}

  /** A pool, or undefined where workers cannot run (running from TypeScript sources; flags Node refuses in workers). */
  static create(options: PoolOptions = {}): WorkerPool | undefined {
    const script = new URL('./worker.js', import.meta.url);
    const size = options.size ?? defaultPoolSize();
    if (size < 1 || !existsSync(fileURLToPath(script))) return undefined;
    const pool = new WorkerPool(script, size, { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, ...(options.maxMemoryMb ? { maxOldGenerationSizeMb: options.maxMemoryMb } : {}) });
    try {
      pool.grow(1);
    } catch {
      // Node refuses some flags in workers (ERR_WORKER_INVALID_EXEC_ARGV): then the main thread does the work.
      return undefined;
    }
    return pool;
  }

  /** Starts workers until `n` of them (at most `size`) are alive. */
  grow(n: number): void {
    // Workers that die before they are ready would die again: after two, no more are started.
    while (!this.closed && this.failedStarts < 2 && this.live().length < Math.min(n, this.size)) {
      const slot = this.newSlot();
      this.start(slot);
      this.slots.push(slot);
    }
  }

  /** Live workers. */
  live(): Slot[] {
    return this.slots.filter((s) => !s.dead);
  }

  /** Sends `message` to `slot`'s worker; `handle` gets its reply, or word that the worker died first. */
  send(slot: Slot, message: object, handle: (reply: Reply) => void, budgetMs?: number): void {
    const seq = this.seq;
    this.seq = (seq + 1) % 2 ** 31;
    slot.queue.push({ seq, handle, budgetMs });
    if (slot.queue.length === 1) {
      slot.worker.ref();
      this.arm(slot);
    }
    slot.worker.postMessage({ ...message, seq });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.map((s) => {
      clearTimeout(s.timer);
      s.dead = true;
      s.queue = [];
      return s.worker;
    });
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private newSlot(): Slot {
    return { worker: undefined as unknown as Worker, queue: [], ready: false, dead: true, running: undefined as unknown as RunningState, timer: undefined, failure: undefined };
  }

  private start(slot: Slot): void {
    // Flags for an inline entry (`node --input-type=module -e …`) would stop a worker that starts from a file.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
    const running = RunningState.create();
    const worker = new Worker(this.script, { execArgv, resourceLimits: this.resourceLimits, workerData: { running: running.buffer } });
    Object.assign(slot, { worker, queue: [], ready: false, dead: false, running, failure: undefined, timer: undefined });
    worker.unref();
    worker.on('message', (m: { ready?: true; done?: { seq: number; reply: Reply }[] }) => {
      if (slot.worker !== worker) return;
      if (m.ready) {
        slot.ready = true;
        this.arm(slot);
        for (const listener of this.onRoom) listener();
        return;
      }
      // The worker answers in batches, in the order it got the messages.
      const done = (m.done ?? []).map(({ seq, reply }) => {
        const k = slot.queue.findIndex((p) => p.seq === seq);
        return k < 0 ? undefined : { pending: slot.queue.splice(k, 1)[0]!, reply };
      });
      if (slot.queue.length) this.arm(slot);
      else {
        clearTimeout(slot.timer);
        worker.unref();
      }
      for (const d of done) d?.pending.handle(d.reply);
      for (const listener of this.onRoom) listener();
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (slot.worker === worker) slot.failure = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
    });
    // A worker that dies (out of memory, killed) must not leave a build waiting forever.
    worker.on('exit', () => {
      if (slot.worker === worker && !slot.dead) this.lose(slot, slot.failure ?? 'crash');
    });
  }

  /**
   * Watches the time budget of the message `slot`'s worker runs: the timer fires when the one
   * running now would be over it, and looks again (the worker may have gone on to the next).
   */
  private arm(slot: Slot): void {
    clearTimeout(slot.timer);
    const shortest = Math.min(...slot.queue.map((p) => p.budgetMs ?? Infinity));
    if (!slot.ready || shortest === Infinity) return;
    const now = slot.running.read();
    const budget = now && slot.queue.find((p) => p.seq === now.seq)?.budgetMs;
    if (now && budget !== undefined) {
      const left = budget - (monotonicMs() - now.since);
      if (left <= 0) return this.lose(slot, 'timeout');
      slot.timer = setTimeout(() => this.arm(slot), left);
    } else {
      // Between two messages (or in one without a budget): look again within the shortest budget.
      slot.timer = setTimeout(() => this.arm(slot), Math.max(1, shortest));
    }
  }

  /** The worker of `slot` is gone or over budget: terminate it, replace it, tell the senders of what it held. */
  private lose(slot: Slot, why: Death): void {
    const { worker, queue, ready } = slot;
    // The message it was running is the cause; if it was between two, the oldest it had not answered.
    const culprit = slot.running.read()?.seq ?? queue[0]?.seq;
    clearTimeout(slot.timer);
    slot.queue = [];
    slot.dead = true;
    void worker.terminate();
    // One that dies before it is ready would die again: the pool gets smaller instead.
    if (ready && !this.closed) {
      try {
        this.start(slot);
      } catch {
        slot.dead = true;
      }
    } else if (!ready) this.failedStarts++;
    // Before it was ready it ran nothing: no message is its cause.
    queue.forEach((p) => p.handle({ died: why, head: ready && p.seq === culprit }));
    // Room at the other workers, for any run still waiting to hand work out.
    for (const listener of this.onRoom) listener();
  }
}

/** Work handed out at a time: big enough to amortise a message, small enough to keep the main thread responsive (~20 ms). */
const CHUNK: Record<TaskKind, number> = { parse: 250, render: 8 };
/** Messages queued at a worker, so it never waits for a busy main thread to hand it the next one. */
const AHEAD = 2;

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Sent with every chunk (a parse chunk's config). */
  extra?: object;
  /** Workers to use at most (the main thread works too). */
  workers?: number;
}

/**
 * `local` over `tasks`, in chunks, results in task order. With a pool, its
 * workers take chunks too; between its own chunks the main thread yields to
 * the event loop, so a server in the same process keeps answering and a stop
 * request gets in. A chunk a worker fails on (a crash, a thread that cannot
 * start) is done again on the main thread: workers only ever save time. For
 * what is cheap and bounded (parsing frontmatter); rendering goes to `runEach`.
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
    for (const slot of pool?.live().slice(0, options.workers ?? pool.size) ?? []) {
      while (!aborted && slot.queue.length < AHEAD && todo.length > 0) {
        const i = todo.shift()!;
        const p = new Promise<Reply>((resolve) => pool!.send(slot, { kind, tasks: slice(i), ...options.extra }, resolve)).then((r) => {
          pending.delete(p);
          if ('results' in r && r.results) {
            results[i] = r.results as R[];
            done += r.results.length;
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
    try {
      pool?.grow(options.workers ?? pool.size);
    } catch {
      // No more workers: those alive, and the main thread, do it.
    }
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
