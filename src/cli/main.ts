#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, check, resolveConfig, type BuildOptions, type BuildReport } from '../build/build.js';
import { formatDiagnostics } from '../diagnostics/diagnostics.js';
import { version } from '../util/version.js';
import { acquireOutputLock } from '../start/lock.js';
import type { LogFormat, StopOutcome } from '../start/start.js';
import { toDisplayPath } from '../util/paths.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
  /**
   * Stops `feedpipe start` and `feedpipe serve`. Without it, runCli stops them
   * on SIGINT and SIGTERM itself; tests pass their own so they never send signals.
   */
  signal?: AbortSignal;
  /** stderr is a terminal (progress display of long builds). */
  isTTY?: boolean;
}

const HELP = `feedpipe — publish Markdown articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1

Usage:
  feedpipe start [options]     publish continuously: build now, at the moment each
                               article falls due, and on the cron schedule (schedule.cron)
  feedpipe build [options]     validate content and write the feeds into the output folder
  feedpipe check [options]     validate everything and write nothing
  feedpipe schedule [options]  list the articles still to come, and the drafts
  feedpipe serve [options]     serve the output folder over HTTP, reloading after each build
  feedpipe --help | --version

Options:
  --config FILE        config file (default: feedpipe.config.yaml)
  --content DIR        content folder (overrides the config)
  --out DIR            output folder (overrides the config)
  --now ISO-8601       the clock for what is published, e.g. 2026-01-01T09:00:00Z
                       (default: now; build, check and schedule only)
  --quiet              print errors only (start: only runs that changed something)
  --watch              start: also rebuild when content or config files change
  --log-format FORMAT  start: human (default) or json, one object per line
  --no-cache           neither read nor write the build cache (.feedpipe-cache beside the config)
  --serve              start: also serve the output folder over HTTP, as "feedpipe serve" does
  --port N             serve, start --serve: port (default server.port, 8080; 0 picks a free one)
  --host HOST          serve, start --serve: address to listen on (default server.host, 127.0.0.1)

Exit codes: 0 ok, 1 content or config errors, 2 usage errors.
"feedpipe start" and "feedpipe serve" run until SIGINT (Ctrl-C) or SIGTERM, then exit 0.
`;

/** argv → command → exit code. The only place that prints; tests call it with their own argv and io. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        content: { type: 'string' },
        out: { type: 'string' },
        now: { type: 'string' },
        quiet: { type: 'boolean' },
        'no-cache': { type: 'boolean' },
        watch: { type: 'boolean' },
        'log-format': { type: 'string' },
        serve: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (values.version) {
    io.stdout(version() + '\n');
    return 0;
  }
  const [command, ...extra] = positionals;
  if (!command) return usage(io, 'no command given');
  if (!['build', 'check', 'start', 'schedule', 'serve'].includes(command)) return usage(io, `unknown command "${command}"`);
  if (extra.length) return usage(io, `unexpected argument "${extra[0]}"`);
  const serving = command === 'serve' || (command === 'start' && values.serve);
  if (values.serve && command !== 'start') return usage(io, '--serve is an option of "feedpipe start"');
  if (!serving && (values.port !== undefined || values.host !== undefined)) return usage(io, '--port and --host are options of "feedpipe serve" and "feedpipe start --serve"');
  const port = values.port === undefined ? undefined : /^\d{1,5}$/.test(values.port) && Number(values.port) <= 65535 ? Number(values.port) : NaN;
  if (Number.isNaN(port)) return usage(io, `--port "${values.port}" is not a port number (0 to 65535)`);
  const listen = { ...(port !== undefined ? { port } : {}), ...(values.host !== undefined ? { host: values.host } : {}) };
  if (command !== 'start') {
    if (values.watch) return usage(io, '--watch is an option of "feedpipe start"');
    if (values['log-format'] !== undefined) return usage(io, '--log-format is an option of "feedpipe start"');
  } else if (values.now !== undefined) {
    return usage(io, '"feedpipe start" publishes by the real clock; --now is for build, check and schedule');
  }
  const logFormat = values['log-format'] ?? 'human';
  if (logFormat !== 'human' && logFormat !== 'json') return usage(io, `--log-format "${logFormat}" is not human or json`);
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = parseInstant(values.now);
    if (!now) return usage(io, `--now "${values.now}" is not an ISO 8601 instant; write e.g. 2026-01-01T09:00:00Z`);
  }
  const options: BuildOptions = {
    ...(values.config ? { configPath: values.config } : {}),
    ...(values.content ? { contentDir: values.content } : {}),
    ...(values.out ? { outDir: values.out } : {}),
    ...(now ? { now } : {}),
    ...(io.cwd ? { cwd: io.cwd } : {}),
    ...(values['no-cache'] ? {} : { cacheDir: '.feedpipe-cache' }),
  };
  if (command === 'start') return start(options, io, logFormat, values.watch ?? false, values.quiet ?? false, values.serve ? listen : undefined);
  if (command === 'serve') return serve(options, listen, io);
  if (command === 'schedule') return schedule(options, io);
  const report = command === 'build' ? await buildLocked(options, io) : await check(options);
  if (!report) return 1;
  const shown = values.quiet ? report.diagnostics.filter((d) => d.severity === 'error') : report.diagnostics;
  if (shown.length) io.stderr(formatDiagnostics(shown));
  if (!report.ok) {
    io.stderr(command === 'build' ? 'feedpipe: nothing was published; the feeds in the output folder are unchanged.\n' : 'feedpipe: check failed.\n');
    return 1;
  }
  if (!values.quiet) io.stdout(summary(command, report, io.cwd ?? process.cwd()));
  // Commands load what only they use: a no-op build should not pay for the server or the publisher.
  // After the files are written, and never changing the exit code: a hub that is down is a warning.
  const { announcePublish } = await import('../start/websub.js');
  const results = await (await announcePublish(report, { log: (m) => io.stderr(m + '\n') })).pings;
  if (results.length && !values.quiet) io.stdout(`WebSub: ${results.filter((r) => r.ok).length} of ${results.length} hub pings accepted\n`);
  return 0;
}

/** A one-off build takes the output folder's lock too, so it never interleaves with a running publisher. */
async function buildLocked(options: BuildOptions, io: CliIO): Promise<BuildReport | undefined> {
  const resolved = await resolveConfig(options);
  if (!resolved.config) return build(options); // reports the config's errors; writes nothing
  const locked = await acquireOutputLock(resolved.outDir, { command: 'feedpipe build' });
  if (!locked.ok) {
    io.stderr(`feedpipe: nothing was published: ${locked.message}\n`);
    return undefined;
  }
  try {
    return await build({ ...options, reuseLastResult: true, keepFiles: false });
  } finally {
    await locked.lock.release();
  }
}

/** io.signal, or one that SIGINT and SIGTERM abort, for the long-running commands. */
function stopSignal(io: CliIO): { signal: AbortSignal; detach: () => void } {
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

async function start(options: BuildOptions, io: CliIO, logFormat: LogFormat, watch: boolean, quiet: boolean, serveOn?: { port?: number; host?: string }): Promise<number> {
  const { signal, detach } = stopSignal(io);
  try {
    const { runPublisher } = await import('../start/start.js');
    return exitCodeOf(await runPublisher({
      build: options,
      signal,
      out: { stdout: io.stdout, stderr: io.stderr, ...(io.isTTY ? { isTTY: true } : {}) },
      watch,
      quiet,
      logFormat,
      ...(serveOn ? { serve: serveOn } : {}),
    }));
  } finally {
    detach();
  }
}

/** README: 0 after a clean stop (SIGINT, SIGTERM); 1 when it could not start (config, lock, port) or its lock was taken. */
export function exitCodeOf(outcome: StopOutcome): number {
  return 'stopped' in outcome && outcome.stopped === 'signal' ? 0 : 1;
}

/** `feedpipe serve`: serves the output folder until stopped, reloading whenever a build replaces the manifest. */
async function serve(options: BuildOptions, listen: { port?: number; host?: string }, io: CliIO): Promise<number> {
  const resolved = await resolveConfig(options);
  if (resolved.diagnostics.length) io.stderr(formatDiagnostics(resolved.diagnostics));
  if (!resolved.config) return 1;
  const shown = toDisplayPath(resolved.outDir, io.cwd ?? process.cwd());
  let listening = false;
  const { createFeedServer } = await import('../serve/server.js');
  const server = createFeedServer({
    outDir: resolved.outDir,
    maxAge: resolved.config.server.maxAge,
    log: (m) => io.stderr(m + '\n'),
    onReload: (r) => {
      if (r.ok && r.changed && listening) io.stdout(`reloaded ${shown}: ${r.files} files, ${r.changed} changed (${Math.round(r.ms)} ms)\n`);
    },
  });
  // So that the folder can be watched from the start, even before the first build.
  await mkdir(resolved.outDir, { recursive: true }).catch(() => undefined);
  const loaded = await server.reload();
  if (!loaded.files) io.stderr(`feedpipe serve: nothing is published in ${shown} yet; run "feedpipe build" or "feedpipe start" (it is picked up without a restart)\n`);
  const stopWatching = server.watch();
  let address;
  try {
    address = await server.listen(listen.port ?? resolved.config.server.port, listen.host ?? resolved.config.server.host);
  } catch (e) {
    stopWatching();
    io.stderr(`feedpipe serve: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  listening = true;
  io.stdout(`serving ${shown} (${loaded.files} files) at ${address.url}\n`);
  const { signal, detach } = stopSignal(io);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  detach();
  stopWatching();
  await server.close();
  return 0;
}

async function schedule(options: BuildOptions, io: CliIO): Promise<number> {
  const report = await build({ ...options, write: false });
  if (report.diagnostics.length) io.stderr(formatDiagnostics(report.diagnostics));
  if (!report.config) return 1;
  const { formatAgenda } = await import('./agenda.js');
  io.stdout(formatAgenda(report, report.config.site.timezone));
  return report.ok ? 0 : 1;
}

function usage(io: CliIO, message: string): number {
  io.stderr(`feedpipe: ${message}\nRun "feedpipe --help" for usage.\n`);
  return 2;
}

/** An instant needs its offset: a bare local time would depend on the machine's zone. */
export function parseInstant(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function summary(command: string, r: BuildReport, cwd: string): string {
  const lines: string[] = [];
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `${count(r.counts.articles, 'article')}: ${r.counts.visible} public, ${r.counts.scheduled} scheduled, ${count(r.counts.drafts, 'draft')} (now: ${r.now.toISOString()})`,
  );
  if (r.nextDue) lines.push(`next due: ${r.nextDue.toISOString()} ${r.nextDueFile ?? ''}`.trimEnd());
  if (command === 'build' && r.write) {
    lines.push(
      `${count(r.feeds.length, 'feed')} in ${toDisplayPath(r.outDir!, cwd)}: ${r.write.written.length} written, ${r.write.unchanged.length} unchanged, ${r.write.removed.length} removed (${Math.round(r.durationMs)} ms)`,
    );
  } else {
    lines.push(`${count(r.feeds.length, 'feed')} would be published; nothing written (${Math.round(r.durationMs)} ms)`);
  }
  return lines.join('\n') + '\n';
}

function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
