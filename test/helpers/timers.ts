import type { Timers } from '../../src/start/publisher.js';

/** Timers driven by hand: `advance(ms)` fires, in order, what falls due (and what those arm meanwhile). */
export function manualTimers() {
  let now = 0;
  let next = 1;
  const armed = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => (armed.set(next, { at: now + ms, fn }), next++),
    clearTimeout: (h) => void armed.delete(h as number),
  };
  /** Fires the soonest timer due by `end`, if any. */
  const fireOne = (end: number) => {
    const due = [...armed].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
    if (!due) return false;
    armed.delete(due[0]);
    now = due[1].at;
    due[1].fn();
    return true;
  };
  const advance = (ms: number) => {
    const end = now + ms;
    while (fireOne(end));
    now = end;
  };
  /** The delays of what is armed, soonest first. */
  const waits = () => [...armed.values()].map((t) => t.at - now).sort((a, b) => a - b);
  return { timers, advance, armed: () => armed.size, waits, fireNext: () => fireOne(Infinity) };
}
