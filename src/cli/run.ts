/**
 * The `shmkit` command line: picks the command, runs it, and turns what goes wrong into an
 * exit code scripts can use — 0 ok, 1 the command failed (a section not found, in use...),
 * 2 the command line was wrong — with `shmkit: <message>` on stderr (with --json, one JSON
 * line there holding the error's code and message).
 */
import fs from 'node:fs';
import { ShmkitError } from '../errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, HELP, type Command, type Io } from './command.js';
import { bridgeCommand } from './bridge.js';
import { gcCommand } from './gc.js';
import { inspectCommand } from './inspect.js';
import { lsCommand } from './ls.js';
import { rmCommand } from './rm.js';
import { asUsageError, UsageError } from './usage.js';
import { watchCommand } from './watch.js';

/** Every command, in the order the help lists them. */
export const COMMANDS: ReadonlyArray<Command<unknown>> = [lsCommand, inspectCommand, watchCommand, rmCommand, gcCommand, bridgeCommand];

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: shmkit <command> [options]

Named shared-memory sections on this machine: list, inspect, watch, remove.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  show the help of a command ('shmkit help ls')

Every command takes --json (machine-readable output) and --help.
Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong.
Run 'shmkit <command> --help' for a command's options.
`;
}

function version(): string {
  const file = new URL('../../package.json', import.meta.url);
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; resolves to the exit code. Never throws. */
export async function run(args: string[], io: Io): Promise<number> {
  const json = args.includes('--json');
  let command: Command<unknown> | undefined;
  let options: unknown;
  try {
    // `shmkit --json ls` means `shmkit ls --json`.
    const leading = args.findIndex((arg) => arg !== '--json');
    const [first, ...rest] = leading < 0 ? [] : [...args.slice(leading), ...args.slice(0, leading)];
    if (first === undefined) {
      io.err(topLevelHelp());
      return EXIT_USAGE;
    }
    if (first === '--help' || first === '-h') {
      io.out(topLevelHelp());
      return EXIT_OK;
    }
    if (first === '--version' || first === '-V') {
      io.out(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      if (rest.length === 0) {
        io.out(topLevelHelp());
        return EXIT_OK;
      }
      const named = find(rest[0]!);
      if (rest.length > 1) throw new UsageError(`unexpected argument '${rest[1]}' (see 'shmkit --help')`);
      io.out(named.help);
      return EXIT_OK;
    }
    command = find(first);
    options = command.parse(rest);
    if (options === HELP) {
      io.out(command.help);
      return EXIT_OK;
    }
  } catch (error) {
    report(asUsageError(error), io, json);
    return EXIT_USAGE;
  }
  try {
    return await command.run(options, io);
  } catch (error) {
    report(error, io, json);
    return EXIT_FAILURE;
  }
}

function find(name: string): Command<unknown> {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const hint = name.startsWith('-') ? `unknown option '${name}' before the command` : `unknown command '${name}'`;
  throw new UsageError(`${hint} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see 'shmkit --help')`);
}

/** `shmkit: <message>` on stderr; with --json, {"error": {"code", "message"}} instead. */
function report(error: unknown, io: Io, json: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ShmkitError ? error.code : ((error as { code?: unknown })?.code ?? 'ERR_SHMKIT_UNEXPECTED');
  if (json) {
    io.err(`${JSON.stringify({ error: { code, message: `shmkit: ${message}` } })}\n`);
  } else {
    io.err(`shmkit: ${message}\n`);
  }
}
