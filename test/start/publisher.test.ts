import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Publisher, type BuildOutcome, type PublisherOptions, type Trigger } from '../../src/start/publisher.js';
import { startCron } from '../../src/start/cron.js';

/**
 * A site in memory with the same rule as select.ts (public when `date <= now`)
 * that records when each article appeared, by the (fake) wall clock at the
 * moment the build finished — what a reader polling the feed would see.
 */
function fakeSite(articles: Record<string, string>, buildMs = 0) {
  const dates = new Map(Object.entries(articles).map(([id, d]) => [id, new Date(d).getTime()]));
  const published = new Set<string>();
  const appeared: Array<{ id: string; at: number }> = [];
  const disappeared: string[] = [];
  const builds: Array<{ triggers: Trigger[]; now: number; startedAt: number }> = [];
  let fail: 'content' | 'throw' | undefined;
  const runBuild = async (triggers: readonly Trigger[], now: Date): Promise<BuildOutcome> => {
    builds.push({ triggers: [...triggers], now: now.getTime(), startedAt: Date.now() });
    // Never build with a `now` ahead of the real clock: that would be publishing early.
    expect(now.getTime()).toBeLessThanOrEqual(Date.now());
    if (buildMs) await new Promise((r) => setTimeout(r, buildMs));
    if (fail === 'throw') throw new Error('disk on fire');
    const future = [...dates.values()].filter((t) => t > now.getTime()).sort((a, b) => a - b);
    const nextDue = future.length ? new Date(future[0]!) : undefined;
    if (fail === 'content') return { ok: false, nextDue };
    const visible = [...dates].filter(([, t]) => t <= now.getTime()).map(([id]) => id);
    for (const id of visible) {
      if (!published.has(id)) {
        published.add(id);
        appeared.push({ id, at: Date.now() });
      }
    }
    for (const id of [...published]) {
      if (!visible.includes(id)) {
        published.delete(id);
        disappeared.push(id);
      }
    }
    return { ok: true, nextDue };
  };
  return {
    dates,
    published,
    appeared,
    disappeared,
    builds,
    runBuild,
    setFail: (f: typeof fail) => (fail = f),
    /** Each article appeared exactly once, never before its date and within a second after it. */
    expectOnTime(ids: string[]) {
      for (const id of ids) {
        const times = appeared.filter((a) => a.id === id);
        expect(times, id).toHaveLength(1);
        const lateBy = times[0]!.at - dates.get(id)!;
        expect(lateBy, `${id} late by`).toBeGreaterThanOrEqual(0);
        expect(lateBy, `${id} late by`).toBeLessThan(1000);
      }
    },
  };
}

const T0 = new Date('2026-11-25T12:00:00Z').getTime();
const at = (ms: number) => new Date(T0 + ms).toISOString();

function publisher(site: ReturnType<typeof fakeSite>, options: Partial<PublisherOptions> = {}) {
  const errors: unknown[] = [];
  const p = new Publisher({ runBuild: site.runBuild, onError: (e) => errors.push(e), ...options });
  return { p, errors };
}

describe('Publisher', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds at start, catching up on everything already due', async () => {
    const site = fakeSite({ old: at(-86_400_000), justNow: at(-1), later: at(60_000) });
    const { p } = publisher(site);
    p.start();
    await p.idle();
    expect(site.builds).toEqual([{ triggers: ['start'], now: T0, startedAt: T0 }]);
    expect([...site.published].sort()).toEqual(['justNow', 'old']);
    expect(p.nextDue?.toISOString()).toBe(at(60_000));
    await p.stop();
  });

  it('publishes an article at its due time without waiting for any other trigger, and not a millisecond before', async () => {
    const site = fakeSite({ a: at(10_000), b: at(10_001), c: at(25_500) });
    const { p } = publisher(site);
    p.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(site.published.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect([...site.published]).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect([...site.published]).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(20_000);
    site.expectOnTime(['a', 'b', 'c']);
    expect(site.builds.map((b) => b.triggers.join('+'))).toEqual(['start', 'due', 'due', 'due']);
    expect(p.nextDue).toBeUndefined();
    await p.stop();
  });

  it('waits longer than setTimeout can (24.8 days) in chunks, re-reading the clock each time', async () => {
    const site = fakeSite({ far: at(40 * 86_400_000 + 123) });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const { p } = publisher(site, { wallCheckMs: 0 });
    p.start();
    await p.idle();
    await vi.advanceTimersByTimeAsync(40 * 86_400_000);
    expect(site.published.size).toBe(0);
    await vi.advanceTimersByTimeAsync(123);
    site.expectOnTime(['far']);
    expect(Math.max(...spy.mock.calls.map((c) => c[1] ?? 0))).toBeLessThanOrEqual(3_600_000);
    await p.stop();
  });

  it('after a suspend (the wall clock jumps, timers do not), publishes what fell due within a second of waking', async () => {
    const site = fakeSite({ a: at(30 * 60_000), b: at(45 * 60_000), c: at(5 * 3_600_000) });
    const { p } = publisher(site);
    p.start();
    await p.idle();
    // Asleep for two hours: the clock moves, no timer runs.
    vi.setSystemTime(T0 + 2 * 3_600_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect([...site.published]).toEqual(['a', 'b']);
    expect(site.builds.at(-1)).toMatchObject({ triggers: ['due'] });
    expect(site.builds.at(-1)!.now).toBeGreaterThanOrEqual(T0 + 2 * 3_600_000);
    expect(site.builds).toHaveLength(2); // one catch-up build for both
    await vi.advanceTimersByTimeAsync(3 * 3_600_000);
    expect(site.published.has('c')).toBe(true);
    await p.stop();
  });

  it('never builds early when the clock is set back while waiting', async () => {
    const site = fakeSite({ a: at(10_000) });
    const { p } = publisher(site, { wallCheckMs: 0 });
    p.start();
    await p.idle();
    vi.setSystemTime(T0 - 5_000); // e.g. NTP corrects a clock that ran fast
    await vi.advanceTimersByTimeAsync(10_000); // the 10 s timer fires; the wall clock says 5 s to go
    expect(site.published.size).toBe(0);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(site.published.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    site.expectOnTime(['a']);
    await p.stop();
  });

  it('runs one build at a time: triggers during a build coalesce into one follow-up build', async () => {
    const site = fakeSite({}, 500);
    const { p } = publisher(site);
    p.start();
    await vi.advanceTimersByTimeAsync(100);
    p.trigger('cron');
    p.trigger('watch');
    p.trigger('cron');
    await vi.advanceTimersByTimeAsync(100);
    p.trigger('watch');
    await vi.advanceTimersByTimeAsync(5000);
    expect(site.builds.map((b) => b.triggers)).toEqual([['start'], ['cron', 'watch']]);
    expect(site.builds[1]!.startedAt).toBe(T0 + 500);
    await p.stop();
  });

  it('an article that falls due during a long build goes out in the follow-up build', async () => {
    const site = fakeSite({ a: at(300) }, 1000);
    const { p } = publisher(site);
    p.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(site.published.size).toBe(0); // the start build read the clock at T0
    await vi.advanceTimersByTimeAsync(1000);
    expect(site.builds.map((b) => b.triggers)).toEqual([['start'], ['due']]);
    expect(site.builds[1]!.now).toBe(T0 + 1000);
    expect(site.appeared).toEqual([{ id: 'a', at: T0 + 2000 }]);
    await p.stop();
  });

  it('re-arms the due timer after every build: new, moved and removed dates', async () => {
    const site = fakeSite({ a: at(60_000) });
    const { p } = publisher(site);
    p.start();
    await p.idle();
    // An author moves the article earlier and adds another; a watch build picks it up.
    site.dates.set('a', T0 + 20_000);
    site.dates.set('b', T0 + 30_000);
    await vi.advanceTimersByTimeAsync(5_000);
    p.trigger('watch');
    await p.idle();
    expect(p.nextDue?.toISOString()).toBe(at(20_000));
    // …then withdraws b (back to draft): no build is needed at its old time.
    await vi.advanceTimersByTimeAsync(16_000);
    site.expectOnTime(['a']);
    site.dates.delete('b');
    p.trigger('watch');
    await p.idle();
    expect(p.nextDue).toBeUndefined();
    const before = site.builds.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(site.builds.length).toBe(before);
    await p.stop();
  });

  it('keeps running after a build with content errors and tries again at the next trigger', async () => {
    const site = fakeSite({ a: at(5_000) });
    const { p, errors } = publisher(site);
    site.setFail('content');
    p.start();
    await vi.advanceTimersByTimeAsync(6_000);
    // The due build ran and failed: nothing is published, and there is no retry loop.
    expect(site.builds.map((b) => b.triggers)).toEqual([['start'], ['due']]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(site.builds).toHaveLength(2);
    site.setFail(undefined);
    p.trigger('watch'); // the author fixes the file
    await p.idle();
    expect([...site.published]).toEqual(['a']);
    expect(errors).toEqual([]);
    await p.stop();
  });

  it('keeps running after an exception, logs it and retries with backoff', async () => {
    const site = fakeSite({ a: at(5_000) });
    const { p, errors } = publisher(site, { retryMs: { first: 1000, max: 4000 } });
    site.setFail('throw');
    p.start();
    await p.idle();
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000); // retry 1
    await vi.advanceTimersByTimeAsync(2000); // retry 2
    await vi.advanceTimersByTimeAsync(4000); // retry 3 (a fell due meanwhile; still failing)
    expect(site.builds.map((b) => b.triggers.join('+'))).toEqual(['start', 'retry', 'retry', 'retry']);
    site.setFail(undefined);
    await vi.advanceTimersByTimeAsync(3999);
    expect(site.published.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1); // backoff capped at 4 s
    expect([...site.published]).toEqual(['a']);
    const n = site.builds.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(site.builds.length).toBe(n); // success resets: no more retries
    await p.stop();
  });

  it('a due timer firing during a build that already read a later clock causes no extra build', async () => {
    const site = fakeSite({ a: at(1500) }, 1000);
    const { p } = publisher(site);
    setTimeout(() => p.trigger('cron'), 1500); // fires just before the due timer set for the same instant
    p.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(site.builds.map((b) => [b.triggers.join('+'), b.now - T0])).toEqual([['start', 0], ['cron', 1500]]);
    expect(site.appeared).toEqual([{ id: 'a', at: T0 + 2500 }]);
    await p.stop();
  });

  it('prepares each due time once, lead time ahead, in the build queue; the due build still runs at the due time', async () => {
    const site = fakeSite({ a: at(60_000), b: at(61_000) });
    const prepared: Array<[string, number]> = [];
    const { p } = publisher(site, {
      prepare: {
        leadMs: () => 10_000,
        run: async (due) => {
          prepared.push([due.toISOString(), Date.now() - T0]);
          await new Promise((r) => setTimeout(r, 3000)); // a slow build, writing nothing
        },
      },
    });
    p.start();
    await vi.advanceTimersByTimeAsync(49_999);
    expect(prepared).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prepared).toEqual([[at(60_000), 50_000]]);
    await vi.advanceTimersByTimeAsync(10_000);
    site.expectOnTime(['a']);
    // b is due a second later: within the lead time already, so it is prepared at once.
    expect(prepared).toEqual([[at(60_000), 50_000], [at(61_000), 60_000]]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(site.appeared.map((x) => [x.id, x.at - T0])).toEqual([['a', 60_000], ['b', 63_000]]); // waited for the prepare run
    expect(site.builds.map((b) => b.triggers.join('+'))).toEqual(['start', 'due', 'due']);
    await p.stop();
  });

  it('stop waits for the build in flight, cancels every timer and ignores later triggers', async () => {
    const site = fakeSite({ a: at(60_000) }, 800);
    const seen: AbortSignal[] = [];
    const { p } = publisher(site, {
      runBuild: (t, now, signal) => {
        seen.push(signal);
        return site.runBuild(t, now);
      },
    });
    p.start();
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    expect(seen[0]!.aborted).toBe(true); // the build is told to skip its write phase if it has not begun
    await vi.advanceTimersByTimeAsync(699);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    p.trigger('cron');
    expect(vi.getTimerCount()).toBe(0);
    expect(site.builds).toHaveLength(1);
  });
});

describe('Publisher with cron across daylight-saving changes (Europe/London)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function day(start: string, hours: number, cronExpr: string, articles: Record<string, string>) {
    vi.useFakeTimers({ now: new Date(start) });
    const site = fakeSite(articles, 40);
    const { p } = publisher(site, { wallCheckMs: 60_000 });
    const ticks: string[] = [];
    const cron = startCron(cronExpr, 'Europe/London', () => {
      ticks.push(new Date().toISOString());
      p.trigger('cron');
    }, { warn: () => undefined });
    p.start();
    await vi.advanceTimersByTimeAsync(hours * 3_600_000);
    cron.stop();
    const stopping = p.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;
    return { site, ticks };
  }

  it('spring forward (01:00 GMT → 02:00 BST): a skipped cron time neither holds back nor doubles an article', async () => {
    const { site, ticks } = await day('2027-03-27T23:00:00Z', 5, '30 1 * * *', {
      beforeJump: '2027-03-28T00:59:59.500Z', // 00:59:59 GMT
      atJump: '2027-03-28T01:00:00Z', // 02:00 BST, the first instant after the gap
      afterJump: '2027-03-28T01:30:00Z', // 02:30 BST
    });
    site.expectOnTime(['beforeJump', 'atJump', 'afterJump']);
    expect(site.disappeared).toEqual([]);
    // 01:30 local did not exist that night: whatever node-cron did, publishing did not depend on it.
    expect(ticks.length).toBeLessThanOrEqual(1);
  });

  it('fall back (02:00 BST → 01:00 GMT): an article in the repeated hour goes out once, at its instant', async () => {
    const { site, ticks } = await day('2027-10-30T23:00:00Z', 4, '30 1 * * *', {
      firstHalfPast: '2027-10-31T00:30:00Z', // 01:30 BST
      secondHalfPast: '2027-10-31T01:30:00Z', // 01:30 GMT, an hour later by the clock on the wall
    });
    site.expectOnTime(['firstHalfPast', 'secondHalfPast']);
    expect(site.disappeared).toEqual([]);
    // Once or twice at "01:30" (node-cron 4.6 runs only the second), it changes nothing.
    expect(ticks.length).toBeLessThanOrEqual(2);
  });

  it('a frequent cron across both changes publishes every article exactly once', async () => {
    for (const [start, articles] of [
      ['2027-03-28T00:00:00Z', { a: '2027-03-28T00:45:00Z', b: '2027-03-28T01:00:00.250Z', c: '2027-03-28T01:15:00Z' }],
      ['2027-10-31T00:00:00Z', { a: '2027-10-31T00:45:00Z', b: '2027-10-31T01:00:00.250Z', c: '2027-10-31T01:15:00Z' }],
    ] as const) {
      const { site, ticks } = await day(start, 2, '*/15 * * * *', articles);
      site.expectOnTime(['a', 'b', 'c']);
      expect(site.disappeared).toEqual([]);
      // node-cron 4.6 skips the first pass through the repeated hour (its ticks start at 01:15 GMT):
      // a cron-driven publisher would have held 'a' back by an hour.
      expect(ticks.length).toBeGreaterThanOrEqual(4);
      vi.useRealTimers();
    }
  });
});
