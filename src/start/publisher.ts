/**
 * The scheduling logic of `feedpipe start`, free of the process: the clock,
 * the timers and the build are parameters, so tests drive it with fake
 * timers and an injected clock. Cron, file watching, logging and the lock
 * live at the edge (start.ts) and only call `trigger`.
 *
 * What is public is always decided by the build from `date <= now`, with
 * `now` read from the clock when the build starts. The publisher only decides
 * *when* to build: at start (catching up on everything that fell due while it
 * was down), on every trigger, and at the moment the next article falls due.
 */

export type Trigger = 'start' | 'cron' | 'due' | 'watch' | 'retry';

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

// Looked up at call time, so vitest's fake timers and clock apply to the defaults too.
export const systemClock: Clock = { now: () => Date.now() };
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface BuildOutcome {
  ok: boolean;
  /** The earliest non-draft article date after the build's `now`, if any. */
  nextDue?: Date | undefined;
  /** A failure that may go away by itself (I/O, an exception): retry with backoff instead of waiting for the next trigger. */
  transient?: boolean;
}

export interface PublisherOptions {
  /**
   * One build at `now`. `triggers` are all the triggers this build answers
   * (several when they arrived during the previous build). Must write nothing
   * when `signal` is aborted before its write phase.
   */
  runBuild(triggers: readonly Trigger[], now: Date, signal: AbortSignal): Promise<BuildOutcome>;
  /** An exception escaped `runBuild`; the publisher carries on. */
  onError(error: unknown, triggers: readonly Trigger[]): void;
  clock?: Clock;
  timers?: Timers;
  /**
   * Longest single timer. setTimeout fires at once for delays over 2^31-1 ms
   * (24.8 days), and a timer does not count time the machine spends
   * suspended, so a long wait is a chain of short timers, each re-reading the
   * wall clock. Default one hour.
   */
  maxTimerMs?: number;
  /**
   * Every this often, compare the wall clock with the next due time: after a
   * suspend or a clock jump, whatever fell due goes out within this interval
   * instead of when the current timer would have fired. 0 disables. Default 1 s.
   */
  wallCheckMs?: number;
  /** Backoff of retries after a transient failure: first delay, doubling up to max. Default 2 s to 5 min. */
  retryMs?: { first: number; max: number };
  /**
   * For sites whose build takes longer than the publishing window: `leadMs()`
   * before each due time, `run(due)` builds with `now = due` and writes
   * nothing, so the due build can write that result at once if the content has
   * not changed meanwhile (start.ts checks). It runs in the same queue as the
   * builds, after any waiting build.
   */
  prepare?: { leadMs(): number; run(due: Date, signal: AbortSignal): Promise<void> };
}

type TimerKind = 'due' | 'wall' | 'retry' | 'prepare';

export class Publisher {
  readonly #runBuild: PublisherOptions['runBuild'];
  readonly #onError: PublisherOptions['onError'];
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #maxTimerMs: number;
  readonly #wallCheckMs: number;
  readonly #retry: { first: number; max: number };
  readonly #prepare: PublisherOptions['prepare'];
  readonly #abort = new AbortController();

  #pending: Trigger[] = [];
  /** A due time to prepare for, waiting in the queue. */
  #prepareFor: Date | undefined;
  /** The due time last prepared for, so each is prepared once. */
  #preparedFor: number | undefined;
  /** The `now` of the build in flight, if any. */
  #buildingAt: number | undefined;
  #loop: Promise<void> | undefined;
  #started = false;
  #stopped = false;
  #nextDue: Date | undefined;
  #retryDelay: number;
  /** At most one timer of each kind is armed. */
  readonly #armed = new Map<TimerKind, unknown>();

  constructor(options: PublisherOptions) {
    this.#runBuild = options.runBuild;
    this.#onError = options.onError;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#maxTimerMs = Math.min(options.maxTimerMs ?? 3_600_000, 2 ** 31 - 1);
    this.#wallCheckMs = options.wallCheckMs ?? 1000;
    this.#retry = options.retryMs ?? { first: 2000, max: 300_000 };
    this.#retryDelay = this.#retry.first;
    this.#prepare = options.prepare;
  }

  /** Builds at once (the catch-up build), then keeps the due timer and the wall-clock check armed. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.trigger('start');
    this.#armWallCheck();
  }

  /** Asks for a build. During a build, triggers coalesce into one follow-up build. */
  trigger(trigger: Trigger): void {
    if (this.#stopped) return;
    if (!this.#pending.includes(trigger)) this.#pending.push(trigger);
    this.#kick();
  }

  /** When the next article falls due, as the last build saw it. */
  get nextDue(): Date | undefined {
    return this.#nextDue;
  }

  get building(): boolean {
    return this.#loop !== undefined;
  }

  /** Resolves once no build is running or waiting. */
  async idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  /**
   * Stops every timer, drops waiting triggers, tells the build in flight to
   * stop before its write phase (a write already under way finishes: each file
   * is an atomic rename) and resolves when it has returned.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = [];
    this.#prepareFor = undefined;
    for (const kind of [...this.#armed.keys()]) this.#clear(kind);
    this.#abort.abort();
    await this.idle();
  }

  #kick(): void {
    if (this.#loop || this.#stopped || (this.#pending.length === 0 && !this.#prepareFor)) return;
    this.#loop = this.#drain().finally(() => {
      this.#loop = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while ((this.#pending.length || this.#prepareFor) && !this.#stopped) {
      if (!this.#pending.length) {
        await this.#runPrepare();
        continue;
      }
      const triggers = this.#pending;
      this.#pending = [];
      this.#clear('retry');
      const now = new Date(this.#clock.now());
      this.#buildingAt = now.getTime();
      let outcome: BuildOutcome;
      try {
        outcome = await this.#runBuild(triggers, now, this.#abort.signal);
      } catch (e) {
        try {
          this.#onError(e, triggers);
        } catch {
          // A failing logger must not take the publisher down either.
        }
        outcome = { ok: false, transient: true };
      } finally {
        this.#buildingAt = undefined;
      }
      if (this.#stopped) return;
      this.#settle(outcome, now);
    }
  }

  async #runPrepare(): Promise<void> {
    const due = this.#prepareFor!;
    this.#prepareFor = undefined;
    // Only worth it while the due time is still ahead and still the next one.
    if (due.getTime() <= this.#clock.now() || due.getTime() !== this.#nextDue?.getTime()) return;
    this.#preparedFor = due.getTime();
    try {
      await this.#prepare!.run(due, this.#abort.signal);
    } catch (e) {
      try {
        this.#onError(e, ['due']);
      } catch {
        // as in #drain
      }
    }
  }

  #settle(outcome: BuildOutcome, buildNow: Date): void {
    // A due time at or before the build's own `now` was already handled by it;
    // accepting one would rebuild in a loop.
    const future = (d: Date | undefined) => (d && d.getTime() > buildNow.getTime() ? d : undefined);
    if (outcome.ok) {
      this.#nextDue = future(outcome.nextDue);
      this.#retryDelay = this.#retry.first;
    } else {
      // A failed build may not know (a broken config): keep the last known due time.
      this.#nextDue = future(outcome.nextDue) ?? future(this.#nextDue);
      if (outcome.transient) {
        const delay = this.#retryDelay;
        this.#retryDelay = Math.min(this.#retryDelay * 2, this.#retry.max);
        this.#arm('retry', delay, () => this.trigger('retry'));
      }
    }
    this.#armDue();
  }

  /**
   * Fires at the next due time, never before it by the wall clock: each timer
   * re-reads the clock and, if it woke early (a long wait in chunks, a clock
   * set back, a timer rounding), arms again for what is left. The build then
   * reads the clock itself, so its `now` is at or after the due time.
   */
  #armDue(): void {
    this.#clear('due');
    const due = this.#nextDue;
    if (!due || this.#stopped) return;
    const wait = due.getTime() - this.#clock.now();
    if (wait <= 0) {
      this.#fellDue(due);
      return;
    }
    this.#arm('due', Math.min(wait, this.#maxTimerMs), () => this.#armDue());
    this.#armPrepare(due);
  }

  #armPrepare(due: Date): void {
    this.#clear('prepare');
    if (!this.#prepare || this.#stopped || this.#preparedFor === due.getTime() || due.getTime() !== this.#nextDue?.getTime()) return;
    const wait = due.getTime() - this.#prepare.leadMs() - this.#clock.now();
    if (wait > 0) {
      this.#arm('prepare', Math.min(wait, this.#maxTimerMs), () => this.#armPrepare(due));
      return;
    }
    this.#prepareFor = due;
    this.#kick();
  }

  /** A build already under way with a `now` at or after `due` publishes it; it re-arms when it settles. */
  #fellDue(due: Date): void {
    if (this.#buildingAt !== undefined && this.#buildingAt >= due.getTime()) return;
    this.trigger('due');
  }

  #armWallCheck(): void {
    if (this.#wallCheckMs <= 0 || this.#stopped) return;
    this.#arm('wall', this.#wallCheckMs, () => {
      const due = this.#nextDue;
      if (due && this.#clock.now() >= due.getTime()) this.#fellDue(due);
      this.#armWallCheck();
    });
  }

  #arm(which: TimerKind, ms: number, fn: () => void): void {
    this.#clear(which);
    this.#armed.set(
      which,
      this.#timers.setTimeout(() => {
        this.#armed.delete(which);
        fn();
      }, ms),
    );
  }

  #clear(which: TimerKind): void {
    if (this.#armed.has(which)) this.#timers.clearTimeout(this.#armed.get(which));
    this.#armed.delete(which);
  }
}
