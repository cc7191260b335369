/**
 * The command table: each command once, with its options, help and example, and a handler that
 * parses its option values and then loads only the modules that command runs (a usage error
 * loads none of them; `feedpipe build` never loads the server, `feedpipe serve` never the build).
 */
import type { CliIO } from './io.js';
import { buildOptionsOf, parseListen, parseLogFormat, parseStartListen, type OptionName, type OptionValues } from './options.js';

export interface CommandSpec {
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** The command's own help, above its options. */
  description: string;
  options: readonly OptionName[];
  /** An option's description where this command reads it differently. */
  describe?: Partial<Record<OptionName, string>>;
  /** Why this command refuses an option another one takes, where that needs saying. */
  refuses?: Partial<Record<OptionName, string>>;
  examples: readonly string[];
  run(values: OptionValues, io: CliIO): Promise<number>;
}

const WHERE = ['config', 'content', 'out'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start',
    summary: 'publish on time: now, as each article falls due, and on cron',
    description:
      'Publish continuously: build now, at the moment each article falls due, and on the cron schedule (schedule.cron).\n' +
      'Runs until SIGINT (Ctrl-C) or SIGTERM, then exits 0.',
    options: [...WHERE, 'quiet', 'watch', 'logFormat', 'cache', 'serve', 'port', 'host'],
    describe: {
      quiet: 'print only runs that changed something or failed',
      port: 'with --serve: port (default server.port, 8080; 0 picks a free one)',
      host: 'with --serve: address to listen on (default server.host, 127.0.0.1)',
    },
    refuses: { now: '"feedpipe start" publishes by the real clock; --now is for build, check and schedule' },
    examples: ['feedpipe start --watch', 'feedpipe start --serve --port 8080 --log-format json'],
    run: async (values, io) => {
      const request = { build: buildOptionsOf(values, io), logFormat: parseLogFormat(values.logFormat), watch: !!values.watch, quiet: !!values.quiet };
      const serve = parseStartListen(values);
      return (await import('./start-command.js')).runStart({ ...request, ...(serve ? { serve } : {}) }, io);
    },
  },
  {
    name: 'build',
    summary: 'validate content and write the feeds to the output folder',
    description:
      'Validate the content and write the feeds into the output folder. With any error, nothing is written;\n' +
      'with --keep-going, the files with errors are held back (each keeps its last published version) and the rest is published.',
    options: [...WHERE, 'now', 'quiet', 'cache', 'keepGoing'],
    examples: ['feedpipe build', 'feedpipe build --now 2026-01-01T09:00:00Z --out public', 'feedpipe build --keep-going'],
    run: async (values, io) => {
      const options = buildOptionsOf(values, io);
      return (await import('./build-command.js')).runBuild(options, !!values.quiet, io);
    },
  },
  {
    name: 'check',
    summary: 'validate everything and write nothing',
    description: 'Validate everything, render every article (to report every warning), and write nothing.',
    options: [...WHERE, 'now', 'quiet', 'cache'],
    examples: ['feedpipe check', 'feedpipe check --quiet --config site/feedpipe.config.yaml'],
    run: async (values, io) => {
      const options = buildOptionsOf(values, io);
      return (await import('./build-command.js')).runCheck(options, !!values.quiet, io);
    },
  },
  {
    name: 'schedule',
    summary: 'list the articles still to come, and the drafts',
    description: 'List the articles still to come (soonest first, in the site timezone and UTC) and the drafts. Writes nothing.',
    options: [...WHERE, 'now', 'cache'],
    examples: ['feedpipe schedule', 'feedpipe schedule --now 2026-06-01T08:00:00+02:00'],
    run: async (values, io) => {
      const options = buildOptionsOf(values, io);
      return (await import('./schedule-command.js')).runSchedule(options, io);
    },
  },
  {
    name: 'serve',
    summary: 'serve the output folder over HTTP, reloaded after builds',
    description: 'Serve the output folder over HTTP, reloading after each build.\nRuns until SIGINT (Ctrl-C) or SIGTERM, then exits 0.',
    options: ['config', 'out', 'port', 'host'],
    examples: ['feedpipe serve', 'feedpipe serve --port 0 --host 0.0.0.0'],
    run: async (values, io) => {
      const listen = parseListen(values);
      const source = buildOptionsOf(values, io);
      return (await import('./serve-command.js')).runServe(source, listen, io);
    },
  },
];

export function findCommand(name: string | undefined): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
