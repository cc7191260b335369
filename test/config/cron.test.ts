import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/config.js';
import { cronExpressionProblem } from '../../src/config/cron.js';
import { DEFAULT_CRON } from '../../src/config/defaults.js';
import { formatDiagnostics } from '../../src/diagnostics/diagnostics.js';
import { baseConfig, makeSite } from '../helpers/site.js';

// Counts how often config/ asks for node-cron: a plain build must not load the scheduler.
const cronLoads = vi.hoisted(() => ({ count: 0 }));
vi.mock('node-cron', async (importOriginal) => {
  cronLoads.count++;
  return importOriginal();
});
beforeEach(() => {
  cronLoads.count = 0;
  vi.resetModules();
});

describe('schedule.cron in the config', () => {
  it('defaults to every 15 minutes, without loading node-cron', async () => {
    expect((await validateConfig(baseConfig, 'x')).config?.schedule).toEqual({ cron: DEFAULT_CRON });
    expect((await validateConfig({ ...baseConfig, schedule: { cron: DEFAULT_CRON } }, 'x')).diagnostics).toEqual([]);
    expect(DEFAULT_CRON).toBe('*/15 * * * *');
    expect(cronLoads.count).toBe(0);
  });

  it('loads node-cron only to check an expression other than the default', async () => {
    expect((await validateConfig({ ...baseConfig, schedule: { cron: '0 6 * * *' } }, 'x')).diagnostics).toEqual([]);
    expect(cronLoads.count).toBe(1);
  });

  it.each(['*/15 * * * *', '0 6-22 * * MON-FRI', '@hourly', '30 */2 * * *', '*/30 * * * * *'])('accepts %s', async (cron) => {
    expect(await cronExpressionProblem(cron)).toBeUndefined();
    expect((await validateConfig({ ...baseConfig, schedule: { cron } }, 'x')).diagnostics).toEqual([]);
  });

  it.each([
    ['61 * * * *', 'the minute field "61" is out of range or malformed'],
    ['* * *', 'expected 5 or 6 fields but got 3'],
    ['every hour', 'expected 5 or 6 fields but got 2'],
    ['0 0 30 2 *', 'day 30 never occurs in the month given'],
    ['*/0 * * * *', 'the minute field "*/0" is out of range or malformed'],
  ])('refuses %s: %s', async (cron, why) => {
    expect(await cronExpressionProblem(cron)).toContain(why);
  });

  it('reports an invalid expression with its line and column, like every config error', async () => {
    const s = await makeSite({});
    const file = path.join(s.root, 'feedpipe.config.yaml');
    await writeFile(file, 'site:\n  title: T\n  url: https://t.example.com/\nschedule:\n  cron: "0 25 * * *"\n  cronn: x\n');
    const { diagnostics } = await loadConfig(file, 'feedpipe.config.yaml');
    expect(formatDiagnostics(diagnostics)).toBe(
      [
        'feedpipe.config.yaml:5:9  error  schedule.cron: "0 25 * * *" is not a cron expression: the hour field "25" is out of range or malformed  (invalid-cron)',
        '    hint: write five fields, minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" for every 15 minutes; this is schedule.cron in feedpipe.config.yaml',
        'feedpipe.config.yaml:6:3  error  schedule.cronn: unknown key "cronn" under schedule; accepted keys: cron  (unknown-field)',
        '    hint: did you mean "cron"? Rename the key in feedpipe.config.yaml',
        '2 errors in 1 file, 0 warnings',
        '',
      ].join('\n'),
    );
  });

  it('the cron runs in the site timezone, which is validated already', async () => {
    const { diagnostics } = await validateConfig({ ...baseConfig, site: { ...baseConfig.site, timezone: 'Europe/Londn' } }, 'x');
    expect(diagnostics.map((d) => `${d.field}: ${d.message} (${d.code})`)).toEqual(['site.timezone: is not an IANA timezone (invalid-timezone)']);
  });
});
