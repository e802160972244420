/**
 * What every `shmkit` command is: a parser that turns its arguments into options (throwing
 * only usage errors) and a runner that does the work and returns the exit code.
 */

/** Where a command writes, and what it knows about the terminal. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (tables use its width; watch redraws in place). */
  readonly isTTY: boolean;
  /** Columns a table may use. */
  readonly columns: number;
  /** Aborted on Ctrl-C: long-running commands (watch) stop at the next tick. */
  readonly signal: AbortSignal;
}

export const HELP = Symbol('help');

export interface Command<O> {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The command's --help text. */
  readonly help: string;
  /** Reads the arguments after the command name; HELP for --help. Throws usage errors only. */
  parse(args: string[]): O | typeof HELP;
  /** Does the work; resolves to the exit code (0 ok, 1 operational failure). */
  run(options: O, io: Io): Promise<number> | number;
}

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** JSON for --json output: two-space indented, one document. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
