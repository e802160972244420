/**
 * Bridge: attaches a namespace to Redis, so that channels, broadcasts and caches reach other
 * hosts (docs/multi-host.md). One per host, as its own process (`shmkit bridge`) or inside
 * any process:
 *
 *   const bridge = await Bridge.start({ redis: 'redis://db:6379', namespace: 'app' });
 *   bridge.exportChannel('jobs');            // local channel 'jobs' -> stream 'jobs'
 *   bridge.importChannel('results');         // stream 'results' -> local channel 'results'
 *   const users = await bridge.cache('users');
 *   await bridge.close();
 *
 * ioredis is loaded here, when a bridge starts (load-redis.ts): the core never needs it.
 */
import os from 'node:os';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { InvalidArgTypeError, InvalidArgValueError } from '../errors.js';
import { validateName } from '../validate.js';
import { Namespace } from '../namespace.js';
import type { CacheOptions } from '../store/cache.js';
import type { RingKind } from '../channel/ring-kind.js';
import { BroadcastExport, BroadcastImport } from './broadcast-relay.js';
import { ChannelExport, defineExportCommand } from './channel-export.js';
import { ChannelImport } from './channel-import.js';
import { BridgeClosedError, BridgeDisconnectedError } from './errors.js';
import { loadRedis, type RedisImporter } from './load-redis.js';
import { TwoTierCache, type TwoTierCacheOptions } from './two-tier-cache.js';
import { PoolExport } from './pool-export.js';
import { PoolImport } from './pool-import.js';
import { poolExportOptions, poolImportOptions, type PoolExportOptions, type PoolImportOptions } from './pool-options.js';
import { findPoolBlock } from '../pool/pool-namespace.js';
import { Pool } from '../pool/pool.js';
import { SectionNotFoundError } from '../errors.js';
import { exportOptions, importOptions, parseBridgeOptions, type BridgeOptions, type ChannelExportOptions, type ChannelImportOptions } from './options.js';

export type { BridgeOptions, ChannelExportOptions, ChannelImportOptions, PoolExportOptions, PoolImportOptions };

interface Relay {
  readonly name: string;
  readonly stats: object;
  done: Promise<void>;
}

/** A namespace attached to Redis. Bridge.start() makes one; close() stops every relay. */
export class Bridge {
  /** This host's name in message ids and consumer names (default "<hostname>.<namespace>"). */
  readonly host: string;
  /** Unique per bridge instance: tells this bridge's own pub/sub messages from others'. */
  readonly origin: string;
  readonly prefix: string;
  private readonly abort = new AbortController();
  private readonly exports = new Map<string, Relay>();
  private readonly imports = new Map<string, Relay>();
  private readonly broadcastExports = new Map<string, Relay>();
  private readonly broadcastImports = new Map<string, BroadcastImport>();
  private readonly caches = new Map<string, TwoTierCache>();
  private readonly pools = new Map<string, Relay>();
  private readonly topics = new Map<string, (bytes: Buffer) => void>();
  private readonly extraConnections: RedisClient[] = [];
  private closed = false;
  private subscriberReady = false;

  private constructor(
    /** The namespace this bridge relays. */
    readonly namespace: Namespace,
    private readonly ownsNamespace: boolean,
    /** The connection for commands (not blocking, not subscribed). */
    readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly onError: (error: unknown, where: string) => void,
    host: string,
    prefix: string,
  ) {
    this.host = host;
    this.prefix = prefix;
    this.origin = `${host}#${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
    subscriber.on('messageBuffer', (topic: Buffer, message: Buffer) => {
      const handler = this.topics.get(topic.toString());
      if (!handler) return;
      try {
        handler(message);
      } catch (error) {
        this.onError(error, `message on ${topic.toString()}`);
      }
    });
    // A lost subscription: invalidations may be missed from now on, so no cache tier is trusted.
    subscriber.on('close', () => {
      this.subscriberReady = false;
      for (const cache of this.caches.values()) cache.lostSubscription();
    });
    subscriber.on('ready', () => void this.resubscribe());
  }

  /**
   * Connects to Redis and attaches `namespace` (a name, opened or created, or an open
   * Namespace). BridgeDependencyError when ioredis is not installed; BridgeDisconnectedError
   * when Redis cannot be reached at start (later, the relays wait for it instead).
   */
  static async start(options: BridgeOptions & { importRedis?: RedisImporter }): Promise<Bridge> {
    const parsed = parseBridgeOptions(options);
    const Redis = await loadRedis(parsed.importRedis);
    const namespace = typeof parsed.namespace === 'string' ? Namespace.open(parsed.namespace) : parsed.namespace;
    const ownsNamespace = typeof parsed.namespace === 'string';
    const connection: RedisOptions = {
      ...(typeof parsed.redis === 'string' ? {} : parsed.redis),
      // Commands wait for a reconnect instead of failing after 20 tries: the relays retry on
      // their own, and the cache bounds each call with its timeout.
      maxRetriesPerRequest: null,
      // A command in flight when the connection drops is sent again after the reconnect (with
      // false, ioredis 6 leaves its promise pending forever). Every command the bridge sends
      // is safe to repeat: the export script checks the cursor it expects, XACK and the cache's
      // SET + PUBLISH are idempotent, and an XREADGROUP repeated leaves the first read's
      // entries pending, to be claimed again after claimIdle.
      autoResendUnfulfilledCommands: true,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
      lazyConnect: true,
    };
    const Client = Redis as unknown as new (...args: unknown[]) => RedisClient;
    const client = typeof parsed.redis === 'string' ? new Client(parsed.redis, connection) : new Client(connection);
    const report = parsed.onError;
    client.on('error', (error: unknown) => report(error, 'redis connection'));
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      if (ownsNamespace) namespace.close();
      throw new BridgeDisconnectedError(`could not reach Redis at ${describeRedis(parsed.redis)}: ${(error as Error).message}`, { cause: error });
    }
    const subscriber = client.duplicate();
    subscriber.on('error', (error: unknown) => report(error, 'redis subscriber'));
    defineExportCommand(client);
    const name = typeof parsed.namespace === 'string' ? parsed.namespace : parsed.namespace.name;
    const bridge = new Bridge(namespace, ownsNamespace, client, subscriber, report, parsed.host ?? `${os.hostname()}.${name}`, parsed.prefix);
    await subscriber.connect();
    return bridge;
  }

  /** Whether the command connection is up right now. */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  private checkOpen(): void {
    if (this.closed) throw new BridgeClosedError();
  }

  /**
   * Exports the local channel `name` to the stream `options.stream` (default: the same name):
   * this bridge becomes the channel's receiver. See channel-export.ts for the guarantees.
   */
  exportChannel(name: string, options: ChannelExportOptions = {}): ChannelExport {
    this.checkOpen();
    validateName(name);
    const parsed = exportOptions(options);
    if (this.exports.has(name)) throw new InvalidArgValueError(`channel '${name}' is already exported by this bridge`);
    const channel = this.namespace.channel<unknown>(name, channelOptions(parsed.channel));
    const stream = parsed.stream ?? name;
    const source = parsed.source ?? `${this.host}/${name}`;
    const relay = new ChannelExport(this.client, channel, {
      stream: this.key('stream', stream),
      cursorKey: this.key('cursor', stream, source),
      source,
      batch: parsed.batch,
      onError: (error) => this.onError(error, `export of channel '${name}'`),
    });
    this.track(this.exports, name, relay, relay.run(this.abort.signal), () => channel.close());
    return relay;
  }

  /** Imports the stream `options.stream` (default: `name`) into the local channel `name` through a consumer group. */
  importChannel(name: string, options: ChannelImportOptions = {}): ChannelImport {
    this.checkOpen();
    validateName(name);
    const parsed = importOptions(options);
    if (this.imports.has(name)) throw new InvalidArgValueError(`channel '${name}' is already imported by this bridge`);
    const channel = this.namespace.channel<unknown>(name, channelOptions(parsed.channel));
    const blocking = this.client.duplicate();
    blocking.on('error', (error: unknown) => this.onError(error, `redis connection of import '${name}'`));
    this.extraConnections.push(blocking);
    const relay = new ChannelImport(this.client, blocking, channel, {
      stream: this.key('stream', parsed.stream ?? name),
      group: parsed.group,
      consumer: parsed.consumer ?? `${this.host}/${name}`,
      batch: parsed.batch,
      claimIdle: parsed.claimIdle,
      block: parsed.block,
      ids: parsed.ids,
      onError: (error) => this.onError(error, `import of stream '${parsed.stream ?? name}'`),
    });
    this.track(this.imports, name, relay, relay.run(this.abort.signal), () => channel.close());
    return relay;
  }

  /**
   * Exports the local pool `poolName` (this host submits; see pool-export.ts): the bridge takes
   * up to `window` tasks at a time from its queue, beside the local workers, for the worker
   * hosts that import the pool's stream (`options.stream`, default: the pool's name), and
   * brings each result back to the process that submitted the task.
   */
  exportPool(poolName: string, options: PoolExportOptions = {}): PoolExport {
    this.checkOpen();
    validateName(poolName, 'pool name');
    const parsed = poolExportOptions(options);
    const stream = parsed.stream ?? poolName;
    if (this.pools.has(`export:${stream}`)) throw new InvalidArgValueError(`the pool stream '${stream}' is already exported by this bridge`);
    const ns = Namespace.open(poolName, { reuse: true });
    const block = findPoolBlock(ns);
    if (!block) {
      ns.close();
      throw new SectionNotFoundError(poolName);
    }
    const blocking = this.blockingConnection(`results of pool '${stream}'`);
    const relay = new PoolExport(this.client, blocking, ns, block, {
      tasksStream: this.key('pool', stream, 'tasks'),
      resultsStream: this.key('pool', stream, 'results', this.host),
      group: parsed.group,
      consumer: `${this.host}/pool/${stream}`,
      window: parsed.window,
      block: parsed.block,
      onError: (error) => this.onError(error, `export of pool '${poolName}'`),
    });
    this.track(this.pools, `export:${stream}`, relay, relay.run(this.abort.signal), () => ns.close());
    return relay;
  }

  /**
   * Runs the tasks of the pool stream `options.stream` (default: `poolName`) on the local pool
   * `poolName` (this host has workers; see pool-import.ts), at most `concurrency` at a time,
   * and answers each on its submitting host's results stream. Resolves once connected to the
   * local pool (SectionNotFoundError / TimeoutError as Pool.connect).
   */
  async importPool(poolName: string, options: PoolImportOptions = {}): Promise<PoolImport> {
    this.checkOpen();
    validateName(poolName, 'pool name');
    const parsed = poolImportOptions(options);
    const stream = parsed.stream ?? poolName;
    if (this.pools.has(`import:${stream}`)) throw new InvalidArgValueError(`the pool stream '${stream}' is already imported by this bridge`);
    const pool = await Pool.connect(poolName, { timeout: parsed.connectTimeout });
    const blocking = this.blockingConnection(`tasks of pool '${stream}'`);
    const relay = new PoolImport(this.client, blocking, pool, {
      tasksStream: this.key('pool', stream, 'tasks'),
      group: parsed.group,
      consumer: parsed.consumer ?? `${this.host}/pool/${stream}`,
      concurrency: parsed.concurrency,
      claimIdle: parsed.claimIdle,
      block: parsed.block,
      onError: (error) => this.onError(error, `import of pool stream '${stream}'`),
    });
    // Tasks still running are not answered (they run again at the next start): destroy, not drain.
    this.track(this.pools, `import:${stream}`, relay, relay.run(this.abort.signal), () => void pool.destroy().catch(() => {}));
    return relay;
  }

  /** A connection of its own for a relay's XREADGROUP BLOCK. */
  private blockingConnection(what: string): RedisClient {
    const blocking = this.client.duplicate();
    blocking.on('error', (error: unknown) => this.onError(error, `redis connection of ${what}`));
    this.extraConnections.push(blocking);
    return blocking;
  }

  /** Publishes every message of the local broadcast `name` on the topic `options.topic` (default: `name`). */
  exportBroadcast(name: string, options: { topic?: string } = {}): BroadcastExport {
    this.checkOpen();
    validateName(name);
    const broadcast = this.namespace.broadcast<unknown>(name);
    const relay = new BroadcastExport(this.client, broadcast, this.key('broadcast', options.topic ?? name), this.origin, (error) =>
      this.onError(error, `export of broadcast '${name}'`),
    );
    this.track(this.broadcastExports, name, relay, relay.run(this.abort.signal), () => broadcast.close());
    return relay;
  }

  /** Writes what other hosts publish on the topic into the local broadcast `name` (this bridge is its writer). */
  async importBroadcast(name: string, options: { topic?: string } = {}): Promise<BroadcastImport> {
    this.checkOpen();
    validateName(name);
    const broadcast = this.namespace.broadcast<unknown>(name);
    const relay = new BroadcastImport(broadcast, this.origin);
    this.broadcastImports.set(name, relay);
    await this.listen(this.key('broadcast', options.topic ?? name), (bytes) => relay.onMessage(bytes));
    return relay;
  }

  /**
   * The two-tier cache `name`: this namespace's cache `name` in front of Redis, invalidated
   * across hosts within `staleness` ms (see two-tier-cache.ts). Resolves once subscribed.
   */
  async cache<T = unknown>(name: string, options: CacheOptions & TwoTierCacheOptions = {}): Promise<TwoTierCache<T>> {
    this.checkOpen();
    validateName(name);
    const known = this.caches.get(name);
    if (known) return known as TwoTierCache<T>;
    const { staleness, timeout, ...limits } = options;
    if (staleness !== undefined && (!Number.isFinite(staleness) || staleness < 20)) {
      throw new InvalidArgValueError(`options.staleness must be a number of ms, at least 20; got ${String(staleness)}`);
    }
    const local = this.namespace.cache<T>(name, limits);
    const cache = new TwoTierCache<T>(name, local, await this.cacheConnection(), `${this.key('cache', name)}:`, this.key('cache', name, 'invalidations'), this.origin, { staleness, timeout });
    this.caches.set(name, cache as TwoTierCache);
    await this.listen(cache.topic, (bytes) => cache.onMessage(bytes));
    cache.start();
    cache.resynchronise();
    return cache;
  }

  private cacheClient: Promise<RedisClient> | undefined;

  /**
   * The caches' connection: without an offline queue, so a get or set while Redis is
   * unreachable fails at once (BridgeDisconnectedError) instead of waiting in a queue and
   * being applied long after its caller gave up.
   */
  private cacheConnection(): Promise<RedisClient> {
    this.cacheClient ??= (async () => {
      const client = this.client.duplicate({ enableOfflineQueue: false, lazyConnect: true });
      client.on('error', (error: unknown) => this.onError(error, 'redis connection of the caches'));
      this.extraConnections.push(client);
      await client.connect();
      defineExportCommand(client);
      return client;
    })();
    return this.cacheClient;
  }

  /** Counters of every relay and cache, and the connection's state. */
  stats(): {
    connected: boolean;
    exports: Record<string, object>;
    imports: Record<string, object>;
    broadcasts: Record<string, object>;
    caches: Record<string, object>;
    pools: Record<string, object>;
  } {
    const of = (map: Map<string, { stats: object }>): Record<string, object> => Object.fromEntries([...map].map(([key, relay]) => [key, { ...relay.stats }]));
    return {
      connected: this.connected,
      exports: of(this.exports),
      imports: of(this.imports),
      broadcasts: { ...of(this.broadcastExports), ...of(this.broadcastImports) },
      caches: Object.fromEntries([...this.caches].map(([key, cache]) => [key, cache.stats()])),
      pools: of(this.pools),
    };
  }

  /**
   * Stops every relay and disconnects. Messages an export read but Redis did not take stay in
   * the local ring (the next bridge exports them); entries an import took and did not send
   * stay pending in the group (delivered again). Closes the namespace if the bridge opened it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const cache of this.caches.values()) cache.stop();
    for (const connection of this.extraConnections) connection.disconnect(); // also ends a pending XREADGROUP BLOCK
    const relays = [...this.exports.values(), ...this.imports.values(), ...this.broadcastExports.values(), ...this.pools.values()];
    await Promise.all(relays.map((relay) => relay.done));
    this.subscriber.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
    if (this.ownsNamespace) this.namespace.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private track(map: Map<string, Relay>, name: string, relay: { stats: object }, running: Promise<void>, release: () => void): void {
    const done = running
      .catch((error: unknown) => {
        (relay.stats as { lastError?: string }).lastError = (error as Error).message;
        this.onError(error, `relay '${name}' stopped`);
      })
      .finally(() => {
        try {
          release();
        } catch {
          // the namespace was closed under the relay
        }
      });
    map.set(name, { name, stats: relay.stats, done });
  }

  private async listen(topic: string, handler: (bytes: Buffer) => void): Promise<void> {
    this.topics.set(topic, handler);
    await this.subscriber.subscribe(topic);
  }

  /** After a reconnect: subscribe again to every topic, then resynchronise every cache. */
  private async resubscribe(): Promise<void> {
    if (this.closed || this.subscriberReady) return;
    try {
      if (this.topics.size > 0) await this.subscriber.subscribe(...this.topics.keys());
      this.subscriberReady = true;
      for (const cache of this.caches.values()) cache.resynchronise();
    } catch (error) {
      this.onError(error, 'resubscribing');
    }
  }
}

/** Where Redis is, for messages: the URL without its password, or host:port. */
function describeRedis(redis: string | RedisOptions): string {
  if (typeof redis === 'string') return redis.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return `${redis.host ?? '127.0.0.1'}:${redis.port ?? 6379}`;
}

function channelOptions(options: { capacity?: number; kind?: RingKind } | undefined): { capacity?: number; kind?: RingKind } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new InvalidArgTypeError('options.channel must be an object');
  return options;
}

/** Bridge.start(options). */
export function startBridge(options: BridgeOptions & { importRedis?: RedisImporter }): Promise<Bridge> {
  return Bridge.start(options);
}
