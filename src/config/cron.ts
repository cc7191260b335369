/**
 * Whether a cron expression is one node-cron accepts. node-cron is the scheduler of `feedpipe
 * start` only, so it is imported here lazily, when a config sets an expression other than the
 * default: a plain `feedpipe build` does not load it, and config/ does not import start/. The
 * rule stays node-cron's own (its validator), so the check and the scheduler cannot disagree.
 */
import { DEFAULT_CRON } from './defaults.js';

const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

/** Why `expression` is not a cron expression node-cron accepts, or undefined when it is. */
export async function cronExpressionProblem(expression: string): Promise<string | undefined> {
  if (expression === DEFAULT_CRON) return undefined;
  const { validateDetailed } = await import('node-cron');
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
