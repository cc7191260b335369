/**
 * The test hook that stops a publisher at one step (FEEDPIPE_TEST_PUBLISH_HOLD_AT), so that
 * test/e2e/crash.test.ts kills it exactly there: K operations done, none begun after them.
 */
import { describe, expect, it } from 'vitest';
import { holdAt } from '../../src/publish/steps.js';
import { mapLimit } from '../../src/util/map-limit.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

/** Runs `count` operations of `step` 16 at a time, as the publication does; records which ran and which returned. */
function batch(run: ReturnType<typeof holdAt>, step: Parameters<ReturnType<typeof holdAt>>[0], count: number) {
  const ran: number[] = [];
  const returned: number[] = [];
  const all = mapLimit(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      await run(step, async () => {
        await tick();
        ran.push(i);
      });
      returned.push(i);
    },
  );
  return { ran, returned, all };
}

describe('holdAt (FEEDPIPE_TEST_PUBLISH_HOLD_AT)', () => {
  it('unset, each step is its operation and its result', async () => {
    const run = holdAt(undefined, () => expect.unreachable('nothing is announced'));
    expect(await run('rename', async () => 42)).toBe(42);
    const { ran, all } = batch(run, 'stage', 20);
    await all;
    expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('STEP:K: exactly K operations of the step run, however many lanes, then it says so and holds', async () => {
    const lines: string[] = [];
    const run = holdAt('rename:3', (line) => lines.push(line));
    const { ran, returned } = batch(run, 'rename', 12);
    await tick();
    await tick();
    expect(ran.sort()).toEqual([0, 1, 2]);
    expect(lines).toEqual(['feedpipe test hold: rename:3\n']);
    expect(returned.length).toBeLessThan(3); // the lane that completed the third is held with the rest
    // Nothing of any step completes once it holds.
    let other = false;
    void run('manifest', async () => (other = true));
    void run('stage', async () => (other = true));
    await tick();
    expect(other).toBe(false);
  });

  it('STEP:0 holds before the first operation of the step; other steps run until then', async () => {
    const lines: string[] = [];
    const run = holdAt('manifest:0,stage:99', (line) => lines.push(line));
    const { ran, all } = batch(run, 'rename', 5);
    await all;
    expect(ran).toHaveLength(5);
    let renamed = false;
    void run('manifest', async () => (renamed = true));
    await tick();
    expect(renamed).toBe(false);
    expect(lines).toEqual(['feedpipe test hold: manifest:0\n']);
  });

  it('counts over the life of the process, across publications', async () => {
    const lines: string[] = [];
    const run = holdAt('rename:7', (line) => lines.push(line));
    const first = batch(run, 'rename', 5);
    await first.all;
    expect(lines).toEqual([]);
    const second = batch(run, 'rename', 5);
    await tick();
    await tick();
    expect(second.ran.sort()).toEqual([0, 1]);
    expect(lines).toEqual(['feedpipe test hold: rename:7\n']);
  });

  it('STEP:K:resume holds until SIGUSR2, then goes on', async () => {
    const lines: string[] = [];
    const run = holdAt('recovered:1:resume', (line) => lines.push(line));
    let after = false;
    const going = run('recovered', async () => 'done').then((v) => {
      after = true;
      return v;
    });
    await tick();
    expect(lines).toEqual(['feedpipe test hold: recovered:1\n']);
    expect(after).toBe(false);
    process.emit('SIGUSR2');
    expect(await going).toBe('done');
    expect(await run('rename', async () => 1)).toBe(1);
  });
});
