/**
 * The only node-cron import. Cron is a convenience here, never a correctness
 * mechanism: it makes `feedpipe start` pick up edits to content/ every so
 * often. What is public is decided by `date <= now` at every build, and the
 * moment an article falls due is caught by the publisher's own timer
 * (publisher.ts), so a cron tick that a DST change skips or repeats can
 * neither hold an article back nor publish it twice.
 */
import { createTask, validateDetailed } from 'node-cron';

/** Every 15 minutes: often enough for edits, cheap for an unchanged site (nothing is rewritten). */
export const DEFAULT_CRON = '*/15 * * * *';

const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

/** Why `expression` is not a cron expression node-cron accepts, or undefined when it is. */
export function cronExpressionProblem(expression: string): string | undefined {
  let result;
  try {
    result = validateDetailed(expression);
  } catch (e) {
    return (e as Error).message;
  }
  if (result.valid) return undefined;
  return result.errors
    .map((e) => {
      if (e.field === 'expression') return e.message;
      if (/impossible/.test(e.message)) return `day ${e.value} never occurs in the month given`;
      return `the ${FIELD_NAMES[e.field] ?? e.field} field "${e.value ?? ''}" is out of range or malformed`;
    })
    .join('; ');
}

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
