/**
 * The exit codes the README documents, and the one shape of a usage error.
 * Only the CLI decides an exit code; the stages below it return reports.
 */
import type { CliIO } from './io.js';

export const EXIT_OK = 0;
/** Content or config errors, a locked output folder, a port already taken. */
export const EXIT_FAILED = 1;
/** The command line itself is wrong: nothing was read or written. */
export const EXIT_USAGE = 2;

/** A command line feedpipe cannot run; its message is one line in feedpipe's words. */
export class UsageError extends Error {}

export function reportUsage(io: CliIO, message: string): number {
  io.stderr(`feedpipe: ${message}\nRun "feedpipe --help" for usage.\n`);
  return EXIT_USAGE;
}
