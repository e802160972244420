/**
 * Options of bridge.exportPool() and bridge.importPool(): typed, with defaults, each checked
 * with a message that names it.
 */
import { InvalidArgTypeError, InvalidArgValueError } from '../errors.js';

export interface PoolExportOptions {
  /** The pool's name across hosts (default: the local pool's name). Worker hosts import the same. */
  stream?: string;
  /** The most tasks taken by the bridge and not yet answered (default 64); the local workers take the rest. */
  window?: number;
  /** The consumer group of this host's results stream (default 'shmkit'). */
  group?: string;
  /** Ms one XREADGROUP for results waits (default 1000). */
  block?: number;
}

export interface PoolImportOptions {
  /** The pool's name across hosts (default: the local pool's name). */
  stream?: string;
  /** The most tasks run at once for other hosts (default 64). */
  concurrency?: number;
  /** The consumer group of the task stream (default 'shmkit'): worker hosts of one group share the tasks. */
  group?: string;
  /** This host's name in the group (default "<host>/pool/<stream>"): keep it stable, a restart then re-runs its own unanswered tasks at once. */
  consumer?: string;
  /** Ms a task stays with a dead worker host before another takes it over and runs it again (default 30000). */
  claimIdle?: number;
  /** Ms one XREADGROUP waits for tasks (default 1000). */
  block?: number;
  /** Ms to wait for the local pool to exist (default 0). */
  connectTimeout?: number;
}

function object<T>(value: unknown, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgTypeError(`${what} must be an object`);
  return value as T;
}

function knownKeys(value: object, keys: string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new InvalidArgValueError(`${what}: unknown option '${key}' (known: ${keys.join(', ')})`);
  }
}

function integer(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InvalidArgValueError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgTypeError(`${name} must be a non-empty string`);
  return value;
}

export function poolExportOptions(options: unknown): { stream: string | undefined; window: number; group: string; block: number } {
  const parsed = object<PoolExportOptions>(options, 'exportPool options');
  knownKeys(parsed, ['stream', 'window', 'group', 'block'], 'exportPool options');
  return {
    stream: optionalString(parsed.stream, 'options.stream'),
    window: integer(parsed.window, 'options.window', 64, 1),
    group: optionalString(parsed.group, 'options.group') ?? 'shmkit',
    block: integer(parsed.block, 'options.block', 1000, 1),
  };
}

export function poolImportOptions(options: unknown): {
  stream: string | undefined;
  concurrency: number;
  group: string;
  consumer: string | undefined;
  claimIdle: number;
  block: number;
  connectTimeout: number;
} {
  const parsed = object<PoolImportOptions>(options, 'importPool options');
  knownKeys(parsed, ['stream', 'concurrency', 'group', 'consumer', 'claimIdle', 'block', 'connectTimeout'], 'importPool options');
  return {
    stream: optionalString(parsed.stream, 'options.stream'),
    concurrency: integer(parsed.concurrency, 'options.concurrency', 64, 1),
    group: optionalString(parsed.group, 'options.group') ?? 'shmkit',
    consumer: optionalString(parsed.consumer, 'options.consumer'),
    claimIdle: integer(parsed.claimIdle, 'options.claimIdle', 30_000, 1),
    block: integer(parsed.block, 'options.block', 1000, 1),
    connectTimeout: integer(parsed.connectTimeout, 'options.connectTimeout', 0, 0),
  };
}
