#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, check, resolveConfig, type BuildOptions, type BuildReport } from './build.js';
import { toDisplayPath } from './content/load.js';
import { formatDiagnostics } from './diagnostics.js';
import { createFeedServer } from './serve.js';
import { announcePublish } from './websub.js';
import { version } from './version.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
  /** Stops `feedpipe serve`. Without it, SIGINT or SIGTERM does; tests pass their own. */
  signal?: AbortSignal;
}

const HELP = `feedpipe — publish Markdown articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1

Usage:
  feedpipe build [options]   validate content and write the feeds into the output folder
  feedpipe check [options]   validate everything and write nothing
  feedpipe serve [options]   serve the output folder over HTTP, reloading after each build
  feedpipe --help | --version

Options:
  --config FILE   config file (default: feedpipe.config.yaml)
  --content DIR   content folder (overrides the config)
  --out DIR       output folder (overrides the config)
  --now ISO-8601  the clock for what is published, e.g. 2026-01-01T09:00:00Z (default: now)
  --quiet         print errors only
  --no-cache      neither read nor write the build cache (.feedpipe-cache beside the config)
  --port N        serve: port (default: server.port in the config, 8080; 0 picks a free one)
  --host HOST     serve: address to listen on (default: server.host, 127.0.0.1)

Exit codes: 0 ok, 1 content or config errors, 2 usage errors.
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
        port: { type: 'string' },
        host: { type: 'string' },
        'no-cache': { type: 'boolean' },
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
  if (command !== 'build' && command !== 'check' && command !== 'serve') return usage(io, `unknown command "${command}"`);
  if (extra.length) return usage(io, `unexpected argument "${extra[0]}"`);
  if (command !== 'serve' && (values.port !== undefined || values.host !== undefined)) return usage(io, '--port and --host are options of "feedpipe serve"');
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
  if (command === 'serve') return serve(options, { port: values.port, host: values.host }, io);
  const report = command === 'build' ? await build(options) : await check(options);
  const shown = values.quiet ? report.diagnostics.filter((d) => d.severity === 'error') : report.diagnostics;
  if (shown.length) io.stderr(formatDiagnostics(shown));
  if (!report.ok) {
    io.stderr(command === 'build' ? 'feedpipe: nothing was published; the feeds in the output folder are unchanged.\n' : 'feedpipe: check failed.\n');
    return 1;
  }
  if (!values.quiet) io.stdout(summary(command, report, io.cwd ?? process.cwd()));
  // After the files are written, and never changing the exit code: a hub that is down is a warning.
  const results = await (await announcePublish(report, { log: (m) => io.stderr(m + '\n') })).pings;
  if (results.length && !values.quiet) io.stdout(`WebSub: ${results.filter((r) => r.ok).length} of ${results.length} hub pings accepted\n`);
  return 0;
}

/** `feedpipe serve`: serves the output folder until io.signal aborts, reloading whenever a build replaces the manifest. */
async function serve(options: BuildOptions, flags: { port?: string | undefined; host?: string | undefined }, io: CliIO): Promise<number> {
  const port = flags.port === undefined ? undefined : /^\d{1,5}$/.test(flags.port) && Number(flags.port) <= 65535 ? Number(flags.port) : NaN;
  if (Number.isNaN(port)) return usage(io, `--port "${flags.port}" is not a port number (0 to 65535)`);
  const resolved = await resolveConfig(options);
  if (resolved.diagnostics.length) io.stderr(formatDiagnostics(resolved.diagnostics));
  if (!resolved.config) return 1;
  const cwd = io.cwd ?? process.cwd();
  const shown = toDisplayPath(resolved.outDir, cwd);
  const server = createFeedServer({
    outDir: resolved.outDir,
    maxAge: resolved.config.server.maxAge,
    log: (m) => io.stderr(m + '\n'),
    onReload: (r) => {
      if (r.ok && r.changed && listening) io.stdout(`reloaded ${shown}: ${r.files} files, ${r.changed} changed (${Math.round(r.ms)} ms)\n`);
    },
  });
  let listening = false;
  // So that the folder can be watched from the start, even before the first build.
  await mkdir(resolved.outDir, { recursive: true }).catch(() => undefined);
  const loaded = await server.reload();
  if (!loaded.files) io.stderr(`feedpipe serve: nothing is published in ${shown} yet; run "feedpipe build" (it is picked up without a restart)\n`);
  const stopWatching = server.watch();
  let address;
  try {
    address = await server.listen(port ?? resolved.config.server.port, flags.host ?? resolved.config.server.host);
  } catch (e) {
    stopWatching();
    io.stderr(`feedpipe serve: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  listening = true;
  io.stdout(`serving ${shown} (${loaded.files} files) at ${address.url}\n`);
  await stopped(io.signal);
  stopWatching();
  await server.close();
  return 0;
}

/** Resolves when `signal` aborts, or without one, on the first SIGINT or SIGTERM. */
function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
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
    `${count(r.articles.length, 'article')}: ${r.visible.length} public, ${r.scheduled.length} scheduled, ${count(r.drafts.length, 'draft')} (now: ${r.now.toISOString()})`,
  );
  if (r.nextDue) lines.push(`next due: ${r.nextDue.toISOString()} ${r.scheduled[0]?.source.displayPath ?? ''}`.trimEnd());
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
  });
  process.exitCode = code;
}
