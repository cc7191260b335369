/** `feedpipe start`: the publisher, until SIGINT or SIGTERM (or io.signal). */
import type { BuildOptions } from '../build/build.js';
import type { LogFormat, StopOutcome } from '../start/start.js';
import type { CliIO } from './io.js';
import type { Listen } from './options.js';
import { stopSignal } from './signals.js';

export interface StartRequest {
  build: BuildOptions;
  logFormat: LogFormat;
  watch: boolean;
  quiet: boolean;
  /** Also serve the output folder (start --serve). */
  serve?: Listen;
}

export async function runStart(request: StartRequest, io: CliIO): Promise<number> {
  const { signal, detach } = stopSignal(io);
  try {
    return await publishUntil(signal, request, io);
  } finally {
    detach();
  }
}

/** The one call into the publisher: where its outcome becomes an exit code. */
async function publishUntil(signal: AbortSignal, request: StartRequest, io: CliIO): Promise<number> {
  const { runPublisher } = await import('../start/start.js');
  return exitCodeOf(await runPublisher({
    build: request.build,
    signal,
    out: { stdout: io.stdout, stderr: io.stderr, ...(io.isTTY ? { isTTY: true } : {}) },
    watch: request.watch,
    quiet: request.quiet,
    logFormat: request.logFormat,
    ...(request.serve ? { serve: request.serve } : {}),
  }));
}

/** README: 0 after a clean stop (SIGINT, SIGTERM); 1 when it could not start (config, lock, port) or its lock was taken. */
export function exitCodeOf(outcome: StopOutcome): number {
  return 'stopped' in outcome && outcome.stopped === 'signal' ? 0 : 1;
}
