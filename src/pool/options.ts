/**
 * Pool options: the typed options, their defaults, and checks that name the option.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgTypeError, InvalidArgValueError } from '../errors.js';
import { validateInteger, validateKnownKeys, validateName, validateObject, validateString, validateTimeout } from '../validate.js';

/** The codecs a pool can use: its workers must make the same codec by name. */
export type PoolCodec = 'msgpack' | '@msgpack/msgpack' | 'raw';

/** Options of `new Pool(...)`. */
export interface PoolOptions {
  /** The worker module: a path or file: URL of an .mjs / .js / .cjs (or .ts / .mts where Node strips types) file. */
  filename: string | URL;
  /** 'thread' (worker_threads, the default) or 'process' (child_process.fork). */
  mode?: 'thread' | 'process';
  /** The pool's namespace name (default: unique per pool); Pool.connect(name) finds it. */
  name?: string;
  /** Workers kept running (default: maxWorkers). */
  minWorkers?: number;
  /** Most workers at once (default: the machine's available parallelism), 1 to 1024. */
  maxWorkers?: number;
  /** Most tasks waiting in the queue (default: unbounded); run() past it is QueueFullError or waits ({ wait: true }). */
  maxQueue?: number;
  /** Ms an idle worker above minWorkers lives (default 10,000). */
  idleTimeout?: number;
  /** Ms a task may take from run() on before TaskTimeoutError (default: none); per run: `timeout`. */
  taskTimeout?: number;
  /** Thread mode: worker_threads resource limits (an out-of-memory worker fails its task and is replaced). */
  resourceLimits?: ResourceLimits;
  /** Environment of the workers (process mode: the process's; thread mode: process.env in the thread). */
  env?: Record<string, string>;
  /** Node options of the workers (e.g. ['--import', 'tsx']). */
  execArgv?: string[];
  /** How tasks and results are encoded (default 'msgpack'). */
  codec?: PoolCodec;
}

/** Options of one pool.run(). */
export interface RunOptions {
  /** A named export of the worker module to run instead of the default export. */
  name?: string;
  /** Drops the task while queued; aborts it cooperatively (ctx.signal) while it runs. */
  signal?: AbortSignal;
  /** Ms from run() to TaskTimeoutError (overrides the pool's taskTimeout); above 2^30 (about 12 days) it is none. */
  timeout?: number;
  /** With maxQueue full: wait for room (true; bounded by timeout / signal) rather than QueueFullError. */
  wait?: boolean;
}

export interface ParsedPoolOptions {
  filename: string;
  mode: 'thread' | 'process';
  name: string | undefined;
  minWorkers: number;
  maxWorkers: number;
  maxQueue: number;
  idleTimeout: number;
  taskTimeout: number;
  resourceLimits: ResourceLimits | undefined;
  env: Record<string, string> | undefined;
  execArgv: string[] | undefined;
  codec: PoolCodec;
}

const KEYS = ['filename', 'mode', 'name', 'minWorkers', 'maxWorkers', 'maxQueue', 'idleTimeout', 'taskTimeout', 'resourceLimits', 'env', 'execArgv', 'codec'];
export const MAX_WORKERS = 1024;
const CODECS: readonly string[] = ['msgpack', '@msgpack/msgpack', 'raw'];
/** Largest timeout a 32-bit ms deadline word holds comfortably (about 12 days). */
const MAX_TIMEOUT_MS = 2 ** 30;

export function parsePoolOptions(options: unknown): ParsedPoolOptions {
  if (options === undefined) throw new InvalidArgTypeError('new Pool(options): options.filename is required');
  const parsed = validateObject<PoolOptions>(options, 'options');
  validateKnownKeys(parsed, KEYS, 'options');
  const filename = parseFilename(parsed.filename);
  const mode = parsed.mode ?? 'thread';
  if (mode !== 'thread' && mode !== 'process') throw new InvalidArgValueError(`options.mode must be 'thread' or 'process', got ${String(mode)}`);
  const name = parsed.name === undefined ? undefined : validateName(parsed.name, 'options.name');
  const maxWorkers = parsed.maxWorkers === undefined ? Math.max(1, os.availableParallelism?.() ?? os.cpus().length) : validateInteger(parsed.maxWorkers, 'options.maxWorkers', 1, MAX_WORKERS);
  const minWorkers = parsed.minWorkers === undefined ? maxWorkers : validateInteger(parsed.minWorkers, 'options.minWorkers', 0, maxWorkers);
  const maxQueue = parsed.maxQueue === undefined || parsed.maxQueue === Infinity ? 0 : validateInteger(parsed.maxQueue, 'options.maxQueue', 1, 2 ** 31 - 1);
  const idleTimeout = Math.min(validateTimeout(parsed.idleTimeout, 'options.idleTimeout', 10_000), MAX_TIMEOUT_MS);
  const taskTimeout = parsed.taskTimeout === undefined || parsed.taskTimeout === Infinity ? 0 : Math.max(1, Math.ceil(validateTimeout(parsed.taskTimeout, 'options.taskTimeout')));
  if (taskTimeout > MAX_TIMEOUT_MS) throw new InvalidArgValueError(`options.taskTimeout must be at most ${MAX_TIMEOUT_MS} ms (or Infinity)`);
  const resourceLimits = parsed.resourceLimits === undefined ? undefined : validateObject<ResourceLimits>(parsed.resourceLimits, 'options.resourceLimits');
  if (resourceLimits && mode === 'process') throw new InvalidArgValueError("options.resourceLimits applies to mode 'thread'; in mode 'process' pass execArgv: ['--max-old-space-size=MB']");
  const env = parsed.env === undefined ? undefined : parseEnv(parsed.env);
  const execArgv = parsed.execArgv === undefined ? undefined : parseExecArgv(parsed.execArgv);
  const codec = parsed.codec ?? 'msgpack';
  if (!CODECS.includes(codec as string)) {
    throw new InvalidArgValueError(
      "options.codec must be 'msgpack', '@msgpack/msgpack' or 'raw': the workers make the same codec by name (a custom codec object cannot be sent to them)",
    );
  }
  return { filename, mode, name, minWorkers, maxWorkers, maxQueue, idleTimeout, taskTimeout, resourceLimits, env, execArgv, codec };
}

export function codecNumber(codec: PoolCodec): number {
  return CODECS.indexOf(codec);
}

export function codecName(code: number): PoolCodec {
  return (CODECS[code] ?? 'msgpack') as PoolCodec;
}

function parseFilename(value: unknown): string {
  if (value instanceof URL) return fileURLToPath(value);
  const text = validateString(value, 'options.filename');
  return text.startsWith('file:') ? fileURLToPath(text) : path.resolve(text);
}

function parseEnv(value: unknown): Record<string, string> {
  const env = validateObject<Record<string, unknown>>(value, 'options.env');
  for (const [key, entry] of Object.entries(env)) {
    if (typeof entry !== 'string') throw new InvalidArgTypeError(`options.env.${key} must be a string`);
  }
  return env as Record<string, string>;
}

function parseExecArgv(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) throw new InvalidArgTypeError('options.execArgv must be an array of strings');
  return value as string[];
}

/** The parts of one run()'s options, checked. */
export function parseRunOptions(options: RunOptions | undefined): { name: string | undefined; signal: AbortSignal | undefined; timeout: number; wait: boolean } {
  if (options === undefined) return NO_RUN_OPTIONS;
  const parsed = validateObject<RunOptions>(options, 'pool.run options');
  validateKnownKeys(parsed, ['name', 'signal', 'timeout', 'wait'], 'pool.run options');
  let name: string | undefined;
  if (parsed.name !== undefined) {
    name = validateString(parsed.name, 'pool.run options.name');
    if (Buffer.byteLength(name) > 255) throw new InvalidArgValueError('pool.run options.name must be at most 255 bytes');
  }
  const signal = parsed.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgTypeError('pool.run options.signal must be an AbortSignal');
  }
  const timeout = validateTimeout(parsed.timeout, 'pool.run options.timeout', 0);
  if (parsed.wait !== undefined && typeof parsed.wait !== 'boolean') throw new InvalidArgTypeError('pool.run options.wait must be a boolean');
  // Past MAX_TIMEOUT_MS (about 12 days) a timeout is none: timers clamp what they cannot hold
  // to 1 ms, and the deadline word in shared memory would wrap.
  return { name, signal, timeout: timeout === Infinity || timeout > MAX_TIMEOUT_MS ? 0 : timeout, wait: parsed.wait === true };
}

const NO_RUN_OPTIONS = Object.freeze({ name: undefined, signal: undefined, timeout: 0, wait: false });
