#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, check, type BuildOptions, type BuildReport } from './build.js';
import { toDisplayPath } from './content/load.js';
import { formatDiagnostics } from './diagnostics.js';
import { version } from './version.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
}

const HELP = `feedpipe — publish Markdown articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1

Usage:
  feedpipe build [options]   validate content and write the feeds into the output folder
  feedpipe check [options]   validate everything and write nothing
  feedpipe --help | --version

Options:
  --config FILE   config file (default: feedpipe.config.yaml)
  --content DIR   content folder (overrides the config)
  --out DIR       output folder (overrides the config)
  --now ISO-8601  the clock for what is published, e.g. 2026-01-01T09:00:00Z (default: now)
  --quiet         print errors only
  --no-cache      neither read nor write the build cache (.feedpipe-cache beside the config)

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
  if (command !== 'build' && command !== 'check') return usage(io, `unknown command "${command}"`);
  if (extra.length) return usage(io, `unexpected argument "${extra[0]}"`);
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
  const report = command === 'build' ? await build(options) : await check(options);
  const shown = values.quiet ? report.diagnostics.filter((d) => d.severity === 'error') : report.diagnostics;
  if (shown.length) io.stderr(formatDiagnostics(shown));
  if (!report.ok) {
    io.stderr(command === 'build' ? 'feedpipe: nothing was published; the feeds in the output folder are unchanged.\n' : 'feedpipe: check failed.\n');
    return 1;
  }
  if (!values.quiet) io.stdout(summary(command, report, io.cwd ?? process.cwd()));
  return 0;
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
