import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCAN_EVERY_MS, startSweep } from '../../src/start/sweep.js';
import { makeSite } from '../helpers/site.js';
import { manualTimers } from '../helpers/timers.js';

async function sweepOver(count: number, clock?: () => number) {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`${String(i % 10)}/a${i}.md`] = `article ${i}`;
  const s = await makeSite(files);
  const t = manualTimers();
  const found: (string | undefined)[] = [];
  const sweep = startSweep({ contentDir: s.contentDir, configFile: undefined, timers: t.timers, everyMs: SCAN_EVERY_MS, onFound: (f) => found.push(f), ...(clock ? { now: clock } : {}) });
  return { ...t, found, sweep, at: (rel: string) => path.join(s.contentDir, rel) };
}

describe('startSweep', () => {
  it('stats a large folder in slices, a timer turn between them, so nothing else waits long for it', async () => {
    const w = await sweepOver(1001, () => 0);
    await writeFile(w.at('9/a999.md'), 'edited'); // in the last slice of the listing
    w.fireNext();
    expect(w.found).toEqual([]); // the first slice of 500 files is done; the next waits for its turn
    expect(w.waits()).toEqual([0]);
    w.fireNext();
    expect(w.found).toEqual([]);
    expect(w.waits()).toEqual([0]);
    w.fireNext();
    expect(w.found).toEqual([w.at('9/a999.md')]);
    expect(w.waits()).toEqual([SCAN_EVERY_MS]);
    w.sweep.stop();
    expect(w.armed()).toBe(0);
  });

  it('waits 50 times as long as the last scan took before the next, when that is longer than the period: at most ~2 % of the time', async () => {
    let step = 1;
    let clock = 0;
    const w = await sweepOver(10, () => (clock += step)); // each slice takes `step` ms
    w.advance(SCAN_EVERY_MS);
    expect(w.waits()).toEqual([SCAN_EVERY_MS]); // 50 × 1 ms is less than the period
    step = 100;
    w.advance(SCAN_EVERY_MS);
    expect(w.waits()).toEqual([5000]); // 50 × 100 ms
    w.sweep.stop();
  });
});
