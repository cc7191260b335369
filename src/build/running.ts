/**
 * Shared with one worker: the sequence number of the message it is running (-1 between
 * messages) and when it started it (monotonicMs). The worker sends its
 * replies in batches, so the pool cannot tell from them what runs now: it reads it here.
 */
export class RunningState {
  private readonly seq: Int32Array;
  private readonly since: Float64Array;
  /** The view of `buffer`: the pool makes it (`RunningState.create()`), the worker gets it. */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.seq = new Int32Array(buffer, 0, 1);
    this.since = new Float64Array(buffer, 8, 1);
  }
  static create(): RunningState {
    const state = new RunningState(new SharedArrayBuffer(16));
    state.stop();
    return state;
  }
  /** The worker starts message `seq` (the time is written first: whoever reads the number reads a time no older). */
  start(seq: number): void {
    this.since[0] = monotonicMs();
    Atomics.store(this.seq, 0, seq);
  }
  stop(): void {
    Atomics.store(this.seq, 0, -1);
  }
  /** The message running and since when, or undefined between messages. */
  read(): { seq: number; since: number } | undefined {
    const seq = Atomics.load(this.seq, 0);
    return seq < 0 ? undefined : { seq, since: this.since[0]! };
  }
}

/**
 * A clock every thread of the process reads alike, in ms: the system's monotonic clock (each
 * thread's performance.now() has its own origin, and the wall clock may be stepped).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * A worker answers when this many replies wait, when the oldest waited REPLY_MS, or when it has
 * no message left: each answer wakes the main thread, which on two cores takes a core from a
 * worker, so one answer per article costs more than the article's message itself.
 */
export const REPLY_BATCH = 8;
export const REPLY_MS = 20;
