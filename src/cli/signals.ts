import type { CliIO } from './io.js';

/** io.signal, or one that SIGINT and SIGTERM abort, for the long-running commands. */
export function stopSignal(io: CliIO): { signal: AbortSignal; detach: () => void } {
  if (io.signal) return { signal: io.signal, detach: () => {} };
  // First signal: stop cleanly (the write in flight finishes). Another one a moment later: stop
  // now. (Under `npm start`, Ctrl-C reaches node twice at once, from the terminal and from npm.)
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = () => {
    if (!controller.signal.aborted) {
      firstAt = Date.now();
      controller.abort();
    } else if (Date.now() - firstAt > 500) {
      io.stderr('feedpipe: stopping at once\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const detach = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { signal: controller.signal, detach };
}

/** Resolves once `signal` is aborted (at once if it already is). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
