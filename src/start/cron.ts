/**
 * The only node-cron import. Cron is a convenience here, never a correctness
 * mechanism: it makes `feedpipe start` pick up edits to content/ every so
 * often. What is public is decided by `date <= now` at every build, and the
 * moment an article falls due is caught by the publisher's own timer
 * (publisher.ts), so a cron tick that a DST change skips or repeats can
 * neither hold an article back nor publish it twice.
 */
import { createTask } from 'node-cron';

// The default lives with the other config defaults; the expression is checked when the config loads (config/cron.ts).
export { DEFAULT_CRON } from '../config/defaults.js';

export interface CronHandle {
  readonly expression: string;
  readonly timezone: string;
  stop(): void;
}

export interface CronLog {
  warn(message: string): void;
}

/**
 * Calls `onTick` on the schedule, in `timezone`. `onTick` must not throw and
 * returns at once (the publisher coalesces triggers), so node-cron's overlap
 * and missed-execution machinery has nothing to do: a tick missed while the
 * machine slept is simply gone, and the publisher's wall-clock check
 * publishes whatever fell due.
 */
export function startCron(expression: string, timezone: string, onTick: () => void, log: CronLog): CronHandle {
  const task = createTask(expression, () => onTick(), {
    timezone,
    name: 'feedpipe-rebuild',
    suppressMissedWarning: true,
    logger: {
      info: () => undefined,
      debug: () => undefined,
      warn: (m) => log.warn(`cron: ${m}`),
      error: (m, e) => log.warn(`cron: ${m instanceof Error ? m.message : m}${e ? `: ${e.message}` : ''}`),
    },
  });
  void task.start();
  return {
    expression,
    timezone,
    stop: () => void task.destroy(),
  };
}
