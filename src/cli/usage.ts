/**
 * Command-line parsing shared by every command: node:util parseArgs in strict mode, with its
 * errors turned into UsageError (exit code 2) whose message names the command and says where
 * its help is.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidArgValueError, ShmkitError } from '../errors.js';
import { validateName } from '../validate.js';

/**
 * A command line the command cannot run: an unknown command or option, a missing or extra
 * argument, a value that is not a number. `shmkit` exits with 2 for these (1 for failures of
 * a command that ran), so scripts can tell a typo from, say, a section that is not there.
 */
export class UsageError extends InvalidArgValueError {
  constructor(message: string) {
    super(message);
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
};

/** parseArgs, strict, with its errors as UsageError naming `command`. */
export function parseCommandLine(command: string, args: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see 'shmkit ${command} --help')`);
  }
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ? `'${quoted}'` : ''}`.trimEnd();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // "Option '--pid <value>' argument missing", or a boolean given a value.
      if (/argument missing/.test(message) && quoted) return `option '${longForm(quoted)}' needs a value`;
      if (/does not take an argument/.test(message) && quoted) return `option '${longForm(quoted)}' takes no value`;
      return message;
    default:
      return message;
  }
}

/** '--pid' from parseArgs' "-p, --pid <value>". */
function longForm(quoted: string): string {
  const words = quoted.split(/[\s,]+/);
  return words.find((word) => word.startsWith('--')) ?? words[0]!;
}

/** The positional arguments, exactly `names.length` of them (NAME, ...). */
export function expectPositionals(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).join(' ')} (see 'shmkit ${command} --help')`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument '${positionals[names.length]}' (see 'shmkit ${command} --help')`);
  }
  return positionals;
}

/** A section name argument: InvalidNameError (a usage error) unless it is a valid name. */
export function sectionName(value: string): string {
  return validateName(value, 'NAME');
}

/** An integer option from `min` to `max`; undefined when absent. */
export function integerOption(command: string, values: Parsed['values'], option: string, min: number, max: number): number | undefined {
  const raw = values[option];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${option} must be an integer from ${min} to ${max}, got '${String(raw)}' (see 'shmkit ${command} --help')`);
  }
  return value;
}

/** A string option; undefined when absent. */
export function stringOption(values: Parsed['values'], option: string): string | undefined {
  const raw = values[option];
  return raw === undefined ? undefined : String(raw);
}

/** Errors raised while the command line is read are usage errors (exit 2), whatever their class. */
export function asUsageError(error: unknown): ShmkitError {
  if (error instanceof ShmkitError) return error;
  return new UsageError((error as Error).message ?? String(error));
}
