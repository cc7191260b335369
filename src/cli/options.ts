/**
 * Every option feedpipe takes, declared once (the command table picks from it),
 * and the parsers that turn their text into values or a usage error.
 */
import type { BuildOptions } from '../build/build.js';
import type { LogFormat } from '../start/start.js';
import { parseDate } from '../util/dates.js';
import { UsageError } from './exit.js';
import type { CliIO } from './io.js';

export interface OptionSpec {
  /** As commander reads them: the long flag, and `<value>` when it takes one. */
  flags: string;
  description: string;
  /** A value to show in "needs a value" errors. */
  sample?: string;
  /** Said when the option is given to a command that does not take it (default: which commands do). */
  elsewhere?: string;
}

const LISTEN_ELSEWHERE = '--port and --host are options of "feedpipe serve" and "feedpipe start --serve"';

/** Keyed by commander's name for each (`--log-format` is logFormat, `--no-cache` is cache). */
export const OPTIONS = {
  config: { flags: '--config <file>', description: 'config file (default: feedpipe.config.yaml)', sample: 'site.yaml' },
  content: { flags: '--content <dir>', description: 'content folder (overrides the config)', sample: 'content' },
  out: { flags: '--out <dir>', description: 'output folder (overrides the config)', sample: 'public' },
  now: {
    flags: '--now <instant>',
    description: 'the clock for what is published: an RFC 3339 instant with Z or an offset, e.g. 2026-01-01T09:00:00Z (default: now)',
    sample: '2026-01-01T09:00:00Z',
  },
  quiet: { flags: '--quiet', description: 'print errors only' },
  keepGoing: {
    flags: '--keep-going',
    description: 'publish even if some files have errors, as "feedpipe start" does: each such file keeps its last published version, or stays out (still exits 1)',
  },
  cache: { flags: '--no-cache', description: 'neither read nor write the build cache (.feedpipe-cache beside the config)' },
  watch: { flags: '--watch', description: 'also rebuild when content or config files change' },
  logFormat: { flags: '--log-format <format>', description: 'human (default) or json, one object per line', sample: 'json' },
  serve: { flags: '--serve', description: 'also serve the output folder over HTTP, as "feedpipe serve" does' },
  port: { flags: '--port <port>', description: 'port (default server.port, 8080; 0 picks a free one)', sample: '8080', elsewhere: LISTEN_ELSEWHERE },
  host: { flags: '--host <host>', description: 'address to listen on (default server.host, 127.0.0.1)', sample: '127.0.0.1', elsewhere: LISTEN_ELSEWHERE },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** What commander hands a command: each option's text, or true/false for a flag. */
export interface OptionValues {
  config?: string;
  content?: string;
  out?: string;
  now?: string;
  quiet?: boolean;
  keepGoing?: boolean;
  cache?: boolean;
  watch?: boolean;
  logFormat?: string;
  serve?: boolean;
  port?: string;
  host?: string;
}

/** The option a command line flag names (`--no-cache` names cache, `--port=80` port), if feedpipe has it. */
export function optionOfFlag(flag: string): OptionName | undefined {
  const long = flag.replace(/=.*$/s, '');
  return (Object.keys(OPTIONS) as OptionName[]).find((name) => OPTIONS[name].flags.split(' ')[0] === long);
}

/** The folder of the persistent build cache, beside the config. */
const CACHE_DIR = '.feedpipe-cache';

/** What build, check, schedule, start and serve are to read and write. */
export function buildOptionsOf(values: OptionValues, io: CliIO): BuildOptions {
  const now = values.now === undefined ? undefined : parseNow(values.now);
  return {
    ...(values.config ? { configPath: values.config } : {}),
    ...(values.content ? { contentDir: values.content } : {}),
    ...(values.out ? { outDir: values.out } : {}),
    ...(now ? { now } : {}),
    ...(io.cwd ? { cwd: io.cwd } : {}),
    ...(values.cache === false ? {} : { cacheDir: CACHE_DIR }),
    ...(values.keepGoing ? { keepGoing: true } : {}),
  };
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * `--now`: an instant needs its offset (a bare local time would depend on the machine's zone),
 * and must be a real one: JavaScript's Date would roll 2026-02-30 over to March 2 and publish
 * what is embargoed until then.
 */
export function parseNow(text: string): Date {
  if (!INSTANT.test(text)) throw new UsageError(`--now "${text}" is not an RFC 3339 instant; write e.g. 2026-01-01T09:00:00Z or 2026-01-01T10:00:00+01:00`);
  const parsed = parseDate(text, 'UTC'); // the offset is given, so the zone is never used
  if (!parsed.ok) throw new UsageError(`--now ${parsed.message}`);
  return parsed.date;
}

export function parseLogFormat(text: string | undefined): LogFormat {
  const format = text ?? 'human';
  if (format !== 'human' && format !== 'json') throw new UsageError(`--log-format "${format}" is not human or json`);
  return format;
}

export interface Listen {
  port?: number;
  host?: string;
}

export function parseListen(values: OptionValues): Listen {
  const { port, host } = values;
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) throw new UsageError(`--port "${port}" is not a port number (0 to 65535)`);
  return { ...(port !== undefined ? { port: Number(port) } : {}), ...(host !== undefined ? { host } : {}) };
}

/** `start` listens only with --serve. */
export function parseStartListen(values: OptionValues): Listen | undefined {
  if (!values.serve) {
    if (values.port !== undefined || values.host !== undefined) throw new UsageError(LISTEN_ELSEWHERE);
    return undefined;
  }
  return parseListen(values);
}
