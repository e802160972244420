/**
 * A two-tier cache: this host's shared-memory cache (a namespace Cache, read by every process
 * of the host) in front of Redis (the truth, shared by every host).
 *
 * Writes go to Redis first (SET, then PUBLISH an invalidation on the cache's topic), then
 * drop the key from the local tier. Every bridge subscribed to the topic drops the key from
 * its host's tier. Reads take the local tier while it is trusted, else Redis (and fill the
 * local tier).
 *
 * The staleness bound. The local tier is trusted at time `now` only if this bridge received
 * one of its own heartbeats (PUBLISHed on the same topic every staleness/4) sent at or after
 * `now - staleness`. Redis delivers a subscriber's messages in the order it executed the
 * PUBLISHes, so when that heartbeat arrived, every invalidation published before it was sent
 * had arrived and been applied. Hence: a set() that resolved at time t is never served from
 * another host's local tier after t + staleness, whatever happens to the connections (a lost
 * subscription stops the heartbeats, and the tier goes untrusted within `staleness`). Only
 * this host's monotonic clock is used. After a reconnect the tier is cleared, and trusted
 * again only once a heartbeat sent after the clear comes back: invalidations missed while
 * disconnected cannot leave a stale entry behind.
 *
 * A fill (a miss read from Redis) is written to the local tier only if no invalidation and
 * no resynchronisation happened while the read was in flight: a GET answered before a set
 * but delivered after its invalidation would otherwise put the old value back.
 */
import type { Redis as RedisClient } from 'ioredis';
import { TimeoutError } from '../errors.js';
import type { Cache } from '../store/cache.js';
import { BridgeClosedError, BridgeDisconnectedError } from './errors.js';
import { encodeForWire, wireCodec } from './wire.js';

export interface TwoTierCacheOptions {
  /** Ms: the longest a value set on another host may still be served here (default 1000). */
  staleness?: number;
  /** Ms a Redis round trip may take before a miss or a set fails with BridgeDisconnectedError (default 5000). */
  timeout?: number;
}

export interface TwoTierCacheStats {
  /** get()/tryGet() answered from the local tier. */
  localHits: number;
  /** get() that went to Redis (a local miss, or the tier not trusted). */
  redisReads: number;
  /** Of those, the key was not in Redis either. */
  misses: number;
  /** Invalidations applied (keys dropped from the local tier). */
  invalidations: number;
  /** Times the local tier was cleared to resynchronise (start, reconnects). */
  resyncs: number;
  /** Whether the local tier is trusted right now. */
  trusted: boolean;
}

type Message = [origin: string, kind: 'del', key: string] | [origin: string, kind: 'hb', sequence: number];

/** A namespace cache in front of Redis, kept consistent across hosts within `staleness` ms. */
export class TwoTierCache<T = unknown> {
  readonly staleness: number;
  private readonly timeout: number;
  private trustedUntil = 0;
  private heartbeat = 0;
  private readonly sentAt = new Map<number, number>();
  /** Heartbeats below this number were sent before the last clear: they do not restore trust. */
  private firstValidHeartbeat = Number.MAX_SAFE_INTEGER;
  /** Bumped by every invalidation and every clear: a fill checks it did not move. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = { localHits: 0, redisReads: 0, misses: 0, invalidations: 0, resyncs: 0 };

  constructor(
    readonly name: string,
    /** The local tier: shared by every process of this host's namespace. */
    readonly local: Cache<T>,
    private readonly client: RedisClient,
    /** Redis key prefix of this cache's entries, and its topic. */
    private readonly keyPrefix: string,
    readonly topic: string,
    private readonly origin: string,
    options: TwoTierCacheOptions = {},
  ) {
    this.staleness = options.staleness ?? 1000;
    this.timeout = options.timeout ?? 5000;
  }

  /** Starts the heartbeats (the bridge has subscribed to the topic). */
  start(): void {
    const every = Math.max(5, Math.floor(this.staleness / 4));
    this.timer = setInterval(() => this.beat(), every);
    this.timer.unref();
  }

  stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.trustedUntil = 0;
  }

  /** The subscription is gone: stop trusting the local tier at once. */
  lostSubscription(): void {
    this.trustedUntil = 0;
    this.firstValidHeartbeat = Number.MAX_SAFE_INTEGER;
  }

  /** The subscription is (again) in place: clear the local tier, then wait for a heartbeat sent after the clear. */
  resynchronise(): void {
    this.trustedUntil = 0;
    this.generation++;
    this.local.clear();
    this.counters.resyncs++;
    this.firstValidHeartbeat = this.heartbeat + 1;
    this.beat();
  }

  private beat(): void {
    if (this.closed) return;
    const sequence = ++this.heartbeat;
    this.sentAt.set(sequence, performance.now());
    if (this.sentAt.size > 64) this.sentAt.delete(sequence - 64);
    this.client.publish(this.topic, encodeForWire([this.origin, 'hb', sequence] satisfies Message)).catch(() => {
      // Redis unreachable: no heartbeat comes back, and the tier goes untrusted by itself.
    });
  }

  /** Called by the bridge's subscriber for every message on this cache's topic. */
  onMessage(bytes: Buffer): void {
    const message = wireCodec.decode(bytes) as Message;
    if (message[1] === 'del') {
      this.generation++;
      if (this.local.delete(message[2])) this.counters.invalidations++;
      return;
    }
    if (message[0] !== this.origin) return; // another bridge's heartbeat
    const sequence = message[2];
    const sent = this.sentAt.get(sequence);
    if (sent === undefined || sequence < this.firstValidHeartbeat) return;
    this.trustedUntil = Math.max(this.trustedUntil, sent + this.staleness);
  }

  /** Whether the local tier may answer now (see the staleness bound above). */
  get trusted(): boolean {
    return performance.now() < this.trustedUntil;
  }

  /** The local tier's value if it is trusted and holds the key; never goes to Redis, never waits. */
  tryGet(key: string): T | undefined {
    if (performance.now() >= this.trustedUntil) return undefined;
    const value = this.local.get(key);
    if (value !== undefined) this.counters.localHits++;
    return value;
  }

  /**
   * The value of `key`: from the local tier when it is trusted and holds it, else from Redis
   * (then kept in the local tier). undefined when Redis has no such key. BridgeDisconnectedError
   * when Redis does not answer within `timeout`: never a value that may be stale.
   */
  get(key: string): Promise<T | undefined> {
    // Not an async function: a hit costs one resolved promise, nothing more.
    if (this.closed) return Promise.reject(new BridgeClosedError(`two-tier cache '${this.name}'`));
    if (performance.now() < this.trustedUntil) {
      const value = this.local.get(key);
      if (value !== undefined) {
        this.counters.localHits++;
        return Promise.resolve(value);
      }
    }
    return this.load(key);
  }

  /** A miss (or an untrusted tier): read Redis, and keep the value if nothing invalidated it meanwhile. */
  private async load(key: string): Promise<T | undefined> {
    const generation = this.generation;
    this.counters.redisReads++;
    const [[, raw], [, ttl]] = (await this.withTimeout(
      this.client.multi().getBuffer(this.keyPrefix + key).pttl(this.keyPrefix + key).exec(),
      `get('${key}')`,
    )) as [[unknown, Buffer | null], [unknown, number]];
    if (raw === null) {
      this.counters.misses++;
      return undefined;
    }
    const value = wireCodec.decode(raw) as T;
    if (generation === this.generation && this.trusted && !this.closed) {
      this.local.set(key, value, ttl > 0 ? { ttl } : {});
    }
    return value;
  }

  /** Sets `key` on every host: Redis first, then the invalidation, then this host's tier. `ttl` in ms. */
  async set(key: string, value: T, options: { ttl?: number } = {}): Promise<void> {
    if (this.closed) throw new BridgeClosedError(`two-tier cache '${this.name}'`);
    const buffer = encodeForWire(value);
    const multi = this.client.multi();
    if (options.ttl !== undefined) multi.set(this.keyPrefix + key, buffer, 'PX', options.ttl);
    else multi.set(this.keyPrefix + key, buffer);
    multi.publish(this.topic, this.invalidation(key));
    await this.withTimeout(multi.exec(), `set('${key}')`);
    this.generation++;
    this.local.delete(key);
  }

  /** Deletes `key` on every host. True if Redis had it. */
  async delete(key: string): Promise<boolean> {
    if (this.closed) throw new BridgeClosedError(`two-tier cache '${this.name}'`);
    const reply = (await this.withTimeout(this.client.multi().del(this.keyPrefix + key).publish(this.topic, this.invalidation(key)).exec(), `delete('${key}')`)) as [[unknown, number]];
    this.generation++;
    this.local.delete(key);
    return reply[0]![1] > 0;
  }

  stats(): TwoTierCacheStats {
    return { ...this.counters, trusted: this.trusted };
  }

  private invalidation(key: string): Buffer {
    return encodeForWire([this.origin, 'del', key] satisfies Message);
  }

  private async withTimeout<R>(promise: Promise<R>, what: string): Promise<R> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BridgeDisconnectedError(`Redis did not answer ${what} on cache '${this.name}' within ${this.timeout} ms (if Redis received it, it may still be applied)`, {
              cause: new TimeoutError('timed out'),
            }),
          ),
        this.timeout,
      );
    });
    try {
      const result = await Promise.race([promise, timeout]);
      const failed = (result as unknown as Array<[Error | null]> | null)?.find?.((entry) => Array.isArray(entry) && entry[0]);
      if (result === null) throw new BridgeDisconnectedError(`Redis aborted ${what} on cache '${this.name}'`);
      if (failed) throw failed[0];
      return result;
    } catch (error) {
      if (error instanceof BridgeDisconnectedError) throw error;
      throw new BridgeDisconnectedError(`Redis failed ${what} on cache '${this.name}': ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
