/**
 * The bridge's options: typed, with defaults, each checked with a message that names it.
 */
import type { RedisOptions } from 'ioredis';
import { InvalidArgTypeError, InvalidArgValueError } from '../errors.js';
import type { RingKind } from '../channel/ring-kind.js';
import type { Namespace } from '../namespace.js';
import type { RedisImporter } from './load-redis.js';

export interface BridgeOptions {
  /** A redis:// URL, or ioredis connection options (host, port, password, tls...). */
  redis: string | RedisOptions;
  /** The namespace to attach: its name (opened, or created) or an open Namespace. */
  namespace: string | Namespace;
  /** Prefix of every Redis key and topic the bridge uses (default 'shmkit'). */
  prefix?: string;
  /** This host's name in message ids and consumer names (default "<hostname>.<namespace>"): keep it stable across restarts. */
  host?: string;
  /** Told of every error a relay met and retried (Redis down, restarted...). Default: ignored (they show in stats()). */
  onError?: (error: unknown, where: string) => void;
}

export interface ChannelExportOptions {
  /** The stream's name (default: the channel's). */
  stream?: string;
  /** The most messages per Redis call (default 256). */
  batch?: number;
  /** Whose messages these are, in their ids (default "<host>/<channel>"): one exporter per source. */
  source?: string;
  /** Options of the local channel if this creates it. */
  channel?: { capacity?: number; kind?: RingKind };
}

export interface ChannelImportOptions {
  /** The stream's name (default: the channel's). */
  stream?: string;
  /** The consumer group (default 'shmkit'): importers of one group share the stream's entries. */
  group?: string;
  /** This importer's name in the group (default "<host>/<channel>"): keep it stable, a restart then reads its own pending entries first. */
  consumer?: string;
  /** The most entries per XREADGROUP (default 256). */
  batch?: number;
  /** Ms an entry stays pending with a dead importer before this one takes it over (default 30000). */
  claimIdle?: number;
  /** Ms one XREADGROUP waits for entries (default 1000). */
  block?: number;
  /** Deliver `{ id, value }` (id: "<source>:<n>", the same on every delivery) instead of the value (default false). */
  ids?: boolean;
  /** Options of the local channel if this creates it. */
  channel?: { capacity?: number; kind?: RingKind };
}

export interface ParsedBridgeOptions {
  redis: string | RedisOptions;
  namespace: string | Namespace;
  prefix: string;
  host: string | undefined;
  onError: (error: unknown, where: string) => void;
  importRedis: RedisImporter | undefined;
}

function object<T>(value: unknown, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgTypeError(`${what} must be an object, got ${value === null ? 'null' : typeof value}`);
  return value as T;
}

function knownKeys(value: object, keys: string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new InvalidArgValueError(`${what}: unknown option '${key}' (known: ${keys.join(', ')})`);
  }
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new InvalidArgValueError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgTypeError(`${name} must be a non-empty string`);
  return value;
}

export function parseBridgeOptions(options: unknown): ParsedBridgeOptions {
  const parsed = object<BridgeOptions & { importRedis?: RedisImporter }>(options, 'bridge options');
  knownKeys(parsed, ['redis', 'namespace', 'prefix', 'host', 'onError', 'importRedis'], 'bridge options');
  if (typeof parsed.redis !== 'string' && (typeof parsed.redis !== 'object' || parsed.redis === null)) {
    throw new InvalidArgTypeError("options.redis must be a redis:// URL or ioredis options, e.g. 'redis://127.0.0.1:6379'");
  }
  if (typeof parsed.namespace !== 'string' && (typeof parsed.namespace !== 'object' || parsed.namespace === null)) {
    throw new InvalidArgTypeError('options.namespace must be a namespace name or an open Namespace');
  }
  if (parsed.onError !== undefined && typeof parsed.onError !== 'function') throw new InvalidArgTypeError('options.onError must be a function');
  if (parsed.importRedis !== undefined && typeof parsed.importRedis !== 'function') throw new InvalidArgTypeError('options.importRedis must be a function');
  return {
    redis: parsed.redis,
    namespace: parsed.namespace,
    prefix: optionalString(parsed.prefix, 'options.prefix') ?? 'shmkit',
    host: optionalString(parsed.host, 'options.host'),
    onError: parsed.onError ?? (() => {}),
    importRedis: parsed.importRedis,
  };
}

export function exportOptions(options: unknown): { stream: string | undefined; batch: number; source: string | undefined; channel: ChannelExportOptions['channel'] } {
  const parsed = object<ChannelExportOptions>(options, 'export options');
  knownKeys(parsed, ['stream', 'batch', 'source', 'channel'], 'exportChannel options');
  return {
    stream: optionalString(parsed.stream, 'options.stream'),
    batch: positiveInteger(parsed.batch, 'options.batch', 256),
    source: optionalString(parsed.source, 'options.source'),
    channel: parsed.channel,
  };
}

export function importOptions(options: unknown): Required<Pick<ChannelImportOptions, 'group' | 'batch' | 'claimIdle' | 'block' | 'ids'>> & Pick<ChannelImportOptions, 'stream' | 'consumer' | 'channel'> {
  const parsed = object<ChannelImportOptions>(options, 'import options');
  knownKeys(parsed, ['stream', 'group', 'consumer', 'batch', 'claimIdle', 'block', 'ids', 'channel'], 'importChannel options');
  if (parsed.ids !== undefined && typeof parsed.ids !== 'boolean') throw new InvalidArgTypeError('options.ids must be a boolean');
  return {
    stream: optionalString(parsed.stream, 'options.stream'),
    group: optionalString(parsed.group, 'options.group') ?? 'shmkit',
    consumer: optionalString(parsed.consumer, 'options.consumer'),
    batch: positiveInteger(parsed.batch, 'options.batch', 256),
    claimIdle: positiveInteger(parsed.claimIdle, 'options.claimIdle', 30_000),
    block: positiveInteger(parsed.block, 'options.block', 1000),
    ids: parsed.ids ?? false,
    channel: parsed.channel,
  };
}
