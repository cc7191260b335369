#!/usr/bin/env node
/** The feedpipe command: runCli takes argv and an io object (tests call it in-process) and returns the exit code. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliIO } from './io.js';
import { runProgram } from './program.js';

export type { CliIO } from './io.js';

/** argv → command → exit code. The only place that prints; tests call it with their own argv and io. */
export function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  return runProgram(argv, io);
}

function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // A reader that stops early (`feedpipe --help | head`) is not a failure of ours: what it
  // did not read is dropped, and the command goes on to its own exit code.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
export { exitCodeOf } from './start-command.js';
