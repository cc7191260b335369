/**
 * The command line, parsed by commander from the command table. Commander's own texts never
 * reach the user: every error it raises becomes one line in feedpipe's words and exit code 2.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../util/version.js';
import { COMMANDS, findCommand, type CommandSpec } from './commands.js';
import { EXIT_OK, reportUsage, UsageError } from './exit.js';
import type { CliIO } from './io.js';
import { OPTIONS, optionOfFlag, type OptionName, type OptionValues } from './options.js';

const HELP_WIDTH = 80;

const ROOT_HELP_AFTER = `
Run "feedpipe <command> --help" or "feedpipe help <command>" for a command's
options and examples.

Examples:
  feedpipe build                      write the feeds into the output folder
  feedpipe start --serve --port 8080  publish on time and serve what is published

Exit codes: 0 ok, 1 content or config errors, 2 usage errors.
"feedpipe start" and "feedpipe serve" run until SIGINT (Ctrl-C) or SIGTERM, then exit 0.
`;

/** Parses argv, runs the command it names, and returns the exit code. */
export async function runProgram(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv.length === 0) return reportUsage(io, 'no command given');
  let code = EXIT_OK;
  const program = createProgram(io, argv, (c) => (code = c));
  try {
    await program.parseAsync(focus(argv), { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof UsageError) return reportUsage(io, e.message);
    if (e instanceof CommanderError && e.exitCode === 0) return EXIT_OK; // --help, --version
    throw e;
  }
}

/**
 * Commander answers `feedpipe biuld --help` with the global help, and `feedpipe help biuld` with
 * the global help on stderr; both should name the mistyped command. Parsing the word alone
 * makes commander raise its unknown-command error, with its suggestion.
 */
function focus(argv: readonly string[]): string[] {
  const [first, second] = argv;
  const isWord = (arg: string | undefined): arg is string => arg !== undefined && !arg.startsWith('-');
  if (isWord(first) && first !== 'help' && !findCommand(first)) return [first];
  if (first === 'help' && isWord(second) && !findCommand(second)) return [second];
  return [...argv];
}

function createProgram(io: CliIO, argv: readonly string[], setCode: (code: number) => void): Command {
  const program = new Command('feedpipe')
    .description('Publish Markdown articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1.')
    .version(version(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', "print a command's help")
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      // Commander writes to stderr only the help it shows beside an error (and the error itself):
      // runProgram prints the error instead, in feedpipe's words, on one line.
      writeErr: () => undefined,
      outputError: () => undefined,
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride(rethrow(undefined, argv.map(findCommand).find((c) => c !== undefined)))
    .addHelpText('after', ROOT_HELP_AFTER);
  for (const spec of COMMANDS) addCommand(program, spec, io, setCode);
  return program;
}

function addCommand(program: Command, spec: CommandSpec, io: CliIO, setCode: (code: number) => void): void {
  const command = program
    .command(spec.name)
    .summary(spec.summary)
    .description(spec.description)
    .helpOption('-h, --help', 'print this help')
    .allowExcessArguments(true) // the action names the first one, commander would only count them
    .exitOverride(rethrow(spec))
    .addHelpText('after', `\nExample${spec.examples.length > 1 ? 's' : ''}:\n${spec.examples.map((e) => `  ${e}\n`).join('')}`);
  for (const name of spec.options) command.option(OPTIONS[name].flags, spec.describe?.[name] ?? OPTIONS[name].description);
  command.action(async (values: OptionValues, self: Command) => {
    if (self.args.length) throw new UsageError(`unexpected argument "${self.args[0]}"; "feedpipe ${spec.name}" takes options only`);
    setCode(await spec.run(values, io));
  });
}

/**
 * Commander's exit, as an exception runProgram handles: help and version pass, errors become
 * usage errors. `spec` is the command that raised it; at the top level, `named` is the command
 * the line names further on (an option given before it is unknown to the top level).
 */
function rethrow(spec?: CommandSpec, named?: CommandSpec): (e: CommanderError) => never {
  return (e) => {
    if (e.exitCode === 0) throw e;
    throw new UsageError(explain(e, spec, named));
  };
}

/** Commander's message ("error: unknown option '--nwo'\n(Did you mean --now?)") in feedpipe's words, one line. */
export function explain(e: CommanderError, spec?: CommandSpec, named?: CommandSpec): string {
  const [first = '', ...rest] = e.message.replace(/^error: /, '').split('\n');
  const quoted = /'([^']*)'/.exec(first)?.[1] ?? '';
  const suggestion = didYouMean(rest.join(' '));
  switch (e.code) {
    case 'commander.unknownCommand':
      return `unknown command '${quoted}'.${suggestion || ` The commands are ${COMMANDS.map((c) => c.name).join(', ')}`}`;
    case 'commander.unknownOption':
      return unknownOption(quoted, suggestion, spec, named);
    case 'commander.optionMissingArgument': {
      const name = optionOfFlag(quoted.split(' ')[0]!);
      const sample = name && 'sample' in OPTIONS[name] ? `, e.g. ${quoted.split(' ')[0]} ${OPTIONS[name].sample}` : '';
      return `${quoted.split(' ')[0]} needs a value${sample}`;
    }
    case 'commander.help': // help shown for want of a command (`feedpipe --`)
      return 'no command given';
    default:
      return first;
  }
}

/** "(Did you mean one of build, check?)" as " Did you mean 'build' or 'check'?" */
function didYouMean(text: string): string {
  const m = /\(Did you mean (?:one of )?(.+)\?\)/.exec(text);
  if (!m) return '';
  const names = m[1]!.split(', ').map((n) => `'${n}'`);
  return ` Did you mean ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0]}?`;
}

function unknownOption(flag: string, suggestion: string, spec: CommandSpec | undefined, named: CommandSpec | undefined): string {
  const name = optionOfFlag(flag);
  const takers = name ? COMMANDS.filter((c) => c.options.includes(name)) : [];
  if (!name || !takers.length) return `unknown option '${flag}'${spec ? ` for "feedpipe ${spec.name}"` : ''}.${suggestion}`.replace(/\.$/, '');
  if (!spec && named && takers.includes(named)) return `${flag} goes after the command: "feedpipe ${named.name} ${OPTIONS[name].flags}"`;
  return spec?.refuses?.[name] ?? elsewhere(name, takers);
}

function elsewhere(name: OptionName, takers: readonly CommandSpec[]): string {
  const given = OPTIONS[name];
  if ('elsewhere' in given) return given.elsewhere;
  const names = takers.map((c) => `"feedpipe ${c.name}"`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  return `${given.flags.split(' ')[0]} is an option of ${list}`;
}
