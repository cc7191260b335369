/**
 * Everything `feedpipe start` tells its operator, in one of two shapes: a
 * `feedpipe: …` line on stderr for a person, or one JSON object per line on
 * stdout for a machine. The other start modules only say what happened.
 */
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { formatDiagnostics, formatDiagnosticsJson } from '../diagnostics/format.js';
import type { Clock } from './publisher.js';
import { formatRunHuman, formatRunJson, type RunRecord } from './runlog.js';

export type LogFormat = 'human' | 'json';

export interface StartOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: show progress of long builds. */
  isTTY?: boolean;
}

/** An event: its name and fields for JSON, its sentence for a person. */
export type Say = (event: string, human: string, fields?: Record<string, unknown>) => void;

export interface PublisherLog {
  say: Say;
  /** A warning whose JSON form carries `message` (the human sentence when not given). */
  warn(human: string, message?: string): void;
  diagnostics(diagnostics: readonly Diagnostic[]): void;
  /** Prints the diagnostics only when they differ from the last build's. */
  diagnosticsIfChanged(diagnostics: readonly Diagnostic[]): void;
  run(record: RunRecord): void;
  /** A build threw: the stack, so the operator can report it. */
  unexpected(error: unknown): void;
  /** An exception escaped a build or a build ahead; the publisher carries on. */
  publisherError(error: unknown): void;
}

export interface PublisherLogOptions {
  format: LogFormat;
  clock: Clock;
  /** Print only runs that changed something or failed. */
  quiet?: boolean;
}

export function createPublisherLog(out: StartOutput, options: PublisherLogOptions): PublisherLog {
  const { format, clock } = options;
  const time = () => new Date(clock.now()).toISOString();
  const say: Say = (event, human, fields = {}) => {
    if (format === 'json') out.stdout(JSON.stringify({ time: time(), event, ...fields }) + '\n');
    else out.stderr(`feedpipe: ${human}\n`);
  };
  const diagnostics = (list: readonly Diagnostic[]) => {
    if (!list.length) return;
    out.stderr(format === 'json' ? formatDiagnosticsJson(list, new Date(clock.now())) : formatDiagnostics(list));
  };
  // The same warnings on every cron tick would drown the log.
  let lastDiagnostics = '';
  return {
    say,
    warn: (human, message = human) => say('warning', human, { message }),
    diagnostics,
    diagnosticsIfChanged: (list) => {
      const text = formatDiagnostics(list);
      if (text !== lastDiagnostics) diagnostics(list);
      lastDiagnostics = text;
    },
    run: (record) => {
      const quietable = record.ok && !record.changes.length && !record.written && !record.removed;
      if (options.quiet && quietable) return;
      out.stdout(format === 'json' ? formatRunJson(record) : formatRunHuman(record));
    },
    unexpected: (e) => {
      const err = e as Error;
      out.stderr(
        format === 'json'
          ? JSON.stringify({ time: time(), event: 'error', message: String(err?.message ?? e), stack: err?.stack }) + '\n'
          : `feedpipe: unexpected error in a build (the published feeds are unchanged; retrying):\n${err?.stack ?? String(e)}\n`,
      );
    },
    publisherError: (e) => out.stderr(`feedpipe: unexpected error (the publisher keeps running):\n${(e as Error)?.stack ?? String(e)}\n`),
  };
}
