/**
 * Cache: a HashTable of a namespace with limits (maxEntries, maxBytes), expiry (ttl) and
 * CLOCK eviction, shared by every process that opens it: one cache for all cluster workers.
 *
 * Object layout (in the namespace heap, found through the directory):
 *   +0  max entries (i32, 0 = none)      +4  max bytes (i32, 0 = none)
 *   +8  ttl in ms (f64, 0 = none)
 *   +16 hits (i32) +20 misses (i32) +24 evictions (i32) +28 expirations (i32)   stats, atomic adds
 *   +32 table header (32 bytes, src/layout/namespace.ts)
 *   +64 CLOCK hints: 4096 bytes, one per hash bucket (readers set, the sweep clears)
 *
 * Reads take no lock (like the variables): a hit sets its key's hint byte (by hash, in the
 * cache object, never in an entry block that a writer may free), which the CLOCK hand clears
 * as it sweeps; an entry whose hint is clear is evicted.
 * An expired entry reads as a miss and stops counting in size at once; writes reclaim expired
 * entries (a sweep every count/8 writes once one has expired, or at once when a set would
 * not fit), as does purgeStale(); each one reclaimed counts in `expirations`.
 *
 * getOrSet loads a missing key once across every process (protocol: ./single-flight.ts);
 * its markers live in the namespace's loads table, not here, so eviction, expiry and the
 * counters never see them.
 */
import { DeadlockError, MessageTooLargeError, NamespaceFullError, NoSpaceError } from '../errors.js';
import { ENTRY_HEADER_LENGTH, TABLE_HEADER_LENGTH } from '../layout/namespace.js';
import { validateInteger, validateKnownKeys, validateObject, validateTimeout } from '../validate.js';
import { encodeValue } from '../codec/index.js';
import { DecodedValues } from './decoded-values.js';
import { RETRY, type StoreCore } from './store-core.js';
import { EVICTED_EXPIRED, EVICTED_NONE, HashTable, INCONSISTENT, NOT_FOUND, type EntryView } from './table.js';
import { DEAD_MARKER, LIVE_MARKER, LoadMarkers } from './load-markers.js';
import { getOrSet, getOrSetSync, type GetOrSetOptionsArg } from './single-flight.js';
import type { Waiter } from '../sync/waiter.js';

/** One step of getOrSet (Cache.beginLoad). */
export type LoadStep<T> = { kind: 'hit'; value: T } | { kind: 'load'; token: number } | { kind: 'wait'; done: number };

export const CACHE_MAX_ENTRIES_OFFSET = 0;
export const CACHE_MAX_BYTES_OFFSET = 4;
export const CACHE_TTL_OFFSET = 8;
export const CACHE_HITS_OFFSET = 16;
export const CACHE_MISSES_OFFSET = 20;
export const CACHE_EVICTIONS_OFFSET = 24;
export const CACHE_EXPIRATIONS_OFFSET = 28;
export const CACHE_TABLE_OFFSET = 32;
export const CACHE_HINTS_OFFSET = CACHE_TABLE_OFFSET + TABLE_HEADER_LENGTH;
export const CACHE_HINTS_LENGTH = 4096;
export const CACHE_OBJECT_LENGTH = CACHE_HINTS_OFFSET + CACHE_HINTS_LENGTH;

/**
 * Limits of a new cache (ns.cache(name, options)), fixed when it is created: opening it again
 * with other limits is OptionsMismatchError. A bad value is a typed error naming the option.
 */
export interface CacheOptions {
  /** Most entries kept (default: no limit). */
  maxEntries?: number;
  /** Most bytes of entries kept, keys and encoded values (default: no limit). */
  maxBytes?: number;
  /** Milliseconds an entry lives after it was set (default: forever). */
  ttl?: number;
}

/** A cache's limits in force (cache.options); undefined = no limit. */
export interface CacheLimits {
  /** Most entries kept. */
  maxEntries: number | undefined;
  /** Most bytes of entries kept: 32-byte header, key and encoded value of each. */
  maxBytes: number | undefined;
  /** Milliseconds an entry lives after it was set. */
  ttl: number | undefined;
}

/**
 * A cache's counters and limits (cache.stats()), shared by every process. The counters run
 * from the cache's creation in 32-bit words; the limits are 0 where there is none.
 */
export interface CacheStats {
  /** Live entries that have not expired (as `cache.size`). */
  entries: number;
  /** Bytes held by entries, expired ones not yet reclaimed included. */
  bytes: number;
  /** get() calls that found a live value (has() and getOrSet do not count). */
  hits: number;
  /** get() calls that found nothing, or an expired value. */
  misses: number;
  /** Entries removed to stay within maxEntries / maxBytes. */
  evictions: number;
  /** Expired entries reclaimed (by writes, purgeStale() or eviction). */
  expirations: number;
  /** Most entries kept; 0: no limit. */
  maxEntries: number;
  /** Most bytes of entries kept; 0: no limit. */
  maxBytes: number;
  /** Milliseconds an entry lives; 0: forever. */
  ttl: number;
}

export function parseCacheOptions(options: unknown): Required<CacheOptions> {
  const parsed = validateObject<CacheOptions>(options, 'cache options');
  validateKnownKeys(parsed, ['maxEntries', 'maxBytes', 'ttl'], 'cache options');
  return {
    maxEntries: parsed.maxEntries === undefined ? 0 : validateInteger(parsed.maxEntries, 'cache options.maxEntries', 1, 2 ** 30),
    maxBytes: parsed.maxBytes === undefined ? 0 : validateInteger(parsed.maxBytes, 'cache options.maxBytes', 64, 2 ** 31 - 1),
    ttl: parsed.ttl === undefined ? 0 : validateTimeout(parsed.ttl, 'cache options.ttl', 0),
  };
}

/** Writes a new cache object's limits (the table is created by the caller). */
export function initializeCache(all: Int32Array, f64: Float64Array, at: number, options: Required<CacheOptions>): void {
  all[(at + CACHE_MAX_ENTRIES_OFFSET) >> 2] = options.maxEntries;
  all[(at + CACHE_MAX_BYTES_OFFSET) >> 2] = options.maxBytes;
  f64[(at + CACHE_TTL_OFFSET) >> 3] = options.ttl === Infinity ? 0 : options.ttl;
}

/**
 * Expired entries one write reclaims at most. Each unlink and free journals a handful of
 * words; the smallest journal holds 4,096, and a sweep must fit in one write beside the set
 * that runs it (a whole table of expired entries overflowed it on a busy machine).
 */
const PURGE_BATCH = 64;

/**
 * A cache shared by every process of a namespace, opened with ns.cache(name, options): keys to
 * values with limits, ttl and CLOCK eviction, and getOrSet to load a missing key once across
 * processes. Reads take no lock; values come back frozen as ns.get()'s do. Keys follow
 * ns.get()'s rules; reads and writes after the namespace closes are SectionClosedError.
 */
export class Cache<T = unknown> {
  private readonly table: HashTable;
  private readonly view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  private readonly f64: Float64Array;
  private readonly decoded = new DecodedValues();
  private readonly hints: Uint8Array;

  /**
   * Attaches to the cache object at `at` of a namespace's store. Namespace.cache() calls it
   * (the store is not public): open caches with ns.cache(name, options).
   */
  constructor(
    /** The cache's name in its namespace. */
    readonly name: string,
    private readonly core: StoreCore,
    private readonly at: number,
    private readonly markers: LoadMarkers = new LoadMarkers(core),
  ) {
    this.table = core.table(at + CACHE_TABLE_OFFSET);
    this.f64 = new Float64Array(core.buffer, 0, core.buffer.byteLength >> 3);
    this.hints = new Uint8Array(core.buffer, at + CACHE_HINTS_OFFSET, CACHE_HINTS_LENGTH);
  }

  /** @internal the table, for verify() */
  get hashTable(): HashTable {
    return this.table;
  }

  private word(offset: number): number {
    return Atomics.load(this.core.all, (this.at + offset) >> 2);
  }

  private count(offset: number): void {
    Atomics.add(this.core.all, (this.at + offset) >> 2, 1);
  }

  /** The live value of `key`, or undefined when it is missing or expired; counts a hit or a miss. */
  get(key: string): T | undefined {
    const result = this.lookup(key);
    if (result === undefined) {
      this.count(CACHE_MISSES_OFFSET);
      return undefined;
    }
    this.count(CACHE_HITS_OFFSET);
    return result;
  }

  /** The live value of `key` (undefined if missing or expired), counting nothing. */
  private lookup(key: string): T | undefined {
    const core = this.core;
    core.encodeKey(key);
    this.lookupKey = key;
    this.lookupNow = Date.now();
    return core.read(this.readLive);
  }

  private lookupKey = '';
  private lookupNow = 0;
  private readonly readLive = (): T | undefined | typeof RETRY => {
    const core = this.core;
    const entry = this.table.find(core.key, core.keyLength, core.keyHash);
    if (entry === NOT_FOUND) return undefined;
    if (entry === INCONSISTENT || !this.table.read(entry, this.view)) return RETRY;
    if (this.view.expiresAt !== 0 && this.view.expiresAt <= this.lookupNow) return undefined;
    HashTable.touch(this.hints, core.keyHash);
    return core.decodeEntry(this.lookupKey, entry, this.table.stamp(entry), this.view.valueAt, this.view.valueLength, this.decoded) as T;
  };

  /** Whether `key` holds a value that has not expired; counts nothing. */
  has(key: string): boolean {
    const core = this.core;
    core.encodeKey(key);
    const now = Date.now();
    return core.read(() => {
      const entry = this.table.find(core.key, core.keyLength, core.keyHash);
      if (entry === NOT_FOUND) return false;
      if (entry === INCONSISTENT || !this.table.read(entry, this.view)) return RETRY;
      return this.view.expiresAt === 0 || this.view.expiresAt > now;
    });
  }

  /** Sets `key`; `undefined` deletes it (as ns.set). Unencodable values throw first. */
  set(key: string, value: T, options: { ttl?: number } = {}): void {
    if (value === undefined) {
      this.delete(key);
      return;
    }
    const bytes = this.encode(key, value);
    this.store(key, bytes, this.ttlOf(options.ttl));
  }

  /**
   * The value's bytes, checked against maxBytes (MessageTooLargeError) before anything is
   * written. Leaves the key encoded in the core.
   */
  private encode(key: string, value: T): Uint8Array {
    const core = this.core;
    const bytes = encodeValue(core.codec, value);
    core.encodeKey(key);
    const maxBytes = this.word(CACHE_MAX_BYTES_OFFSET);
    const size = ENTRY_HEADER_LENGTH + core.keyLength + bytes.length;
    if (maxBytes !== 0 && size > maxBytes) {
      throw new MessageTooLargeError(size, maxBytes, `cache '${this.name}' (its maxBytes)`);
    }
    return bytes;
  }

  /** The ttl a set uses: its own (validated), else the cache's. */
  private ttlOf(ttl: number | undefined): number {
    return ttl === undefined ? this.f64[(this.at + CACHE_TTL_OFFSET) >> 3]! : validateTimeout(ttl, 'options.ttl');
  }

  /**
   * Writes `bytes` as the value of `key`, evicting and expiring as needed; with `release`,
   * the same write removes load marker `release` (getOrSet), so waiters see the value and
   * the end of the load at once.
   */
  private store(key: string, bytes: Uint8Array, ttl: number, release?: number): void {
    const core = this.core;
    const now = Date.now();
    // A load's end takes the lock even with autolock off: getOrSet holds no lock across a load.
    const put = () =>
      core.write(() => {
        core.encodeKey(key); // the key buffer is shared; the lock wait may have run other code
        const stamp = core.nextStamp();
        this.table.put(core.key, core.keyLength, core.keyHash, bytes, ttl > 0 && ttl !== Infinity ? now + ttl : 0, 0, stamp);
        this.storedEntry = this.table.lastPut;
        this.storedStamp = stamp;
        HashTable.touch(this.hints, core.keyHash);
        this.evict(now);
        this.expireSome(now);
        if (release !== undefined) this.releaseMarker(key, release);
      }, release !== undefined);
    try {
      put();
    } catch (error) {
      // Expired entries give their room before a set is refused (in a write of their own:
      // blocks freed in a write are reused only after it), also when the namespace could not
      // grow for want of memory (NoSpaceError: /dev/shm is full).
      if (!(error instanceof NamespaceFullError || error instanceof NoSpaceError) || this.purgeExpired(release !== undefined) === 0) throw error;
      put();
    }
  }

  /** Where the last store() put its entry, and its stamp (for endLoad's decodeStored). */
  private storedEntry = 0;
  private storedStamp = 0;

  // ---------------------------------------------------------------- getOrSet (src/store/single-flight.ts)

  /**
   * The cached value of `key`, or the value `loader(key)` returns, loaded once across every
   * process: callers that miss while another thread loads the key wait for that load (up to
   * `timeout`, default the namespace's; `signal` aborts the wait) and get its value. If the
   * loader throws, its caller gets the error and the next waiter loads; if its thread dies,
   * a waiter takes over. `ttl` is the loaded value's (default: the cache's). A loader that
   * returns undefined stores nothing. Every caller, the loader's own included, gets the value
   * as stored (decoded and frozen, as get() returns it), never the loader's object itself.
   */
  getOrSet(key: string, loader: (key: string) => T | Promise<T>, options?: GetOrSetOptionsArg): Promise<T | undefined> {
    return getOrSet(this, key, loader, options, this.core.timeout);
  }

  /** getOrSet with a synchronous loader, waiting synchronously (for workers and scripts). */
  getOrSetSync(key: string, loader: (key: string) => T, options?: GetOrSetOptionsArg): T | undefined {
    return getOrSetSync(this, key, loader, options, this.core.timeout);
  }

  /** @internal the waiter of the namespace's memory */
  get waiter(): Waiter {
    return this.core.waiter;
  }

  /**
   * @internal One step of getOrSet, under the lock: the live value, or this thread's claim
   * to load it (the key marked as loading), or the `done` word to wait on while another
   * thread loads it. A marker whose thread died is taken over. DeadlockError where waiting
   * could never end: `sync` and a marker of this very thread (its loader needs this thread),
   * or inside a lock() group and another thread's marker (its loader needs the lock).
   */
  beginLoad(key: string, sync: boolean): LoadStep<T> {
    const core = this.core;
    const markers = this.markers;
    core.lock();
    try {
      const value = this.lookup(key);
      if (value !== undefined) return { kind: 'hit', value };
      markers.select(this.at); // core.key still holds `key`: lookup() encoded it
      const state = markers.lookup();
      if (state === LIVE_MARKER) {
        if (sync && markers.ownedByMe) {
          throw new DeadlockError(`cache.getOrSetSync('${key}'): this thread is loading that key already (an async getOrSet in progress); await it instead`);
        }
        if (core.lockDepth > 1 && !markers.ownedByMe) {
          throw new DeadlockError(`cache.getOrSet('${key}') inside lock() / withLock(): another thread is loading that key and needs the lock to store it; call getOrSet outside the group`);
        }
        return { kind: 'wait', done: markers.done };
      }
      return { kind: 'load', token: core.write(() => markers.claim(state === DEAD_MARKER)) };
    } finally {
      core.unlock();
    }
  }

  /**
   * @internal The end of load `token`: stores `value` (undefined: stores nothing) and removes
   * the marker in one write, then wakes the waiters; returns the value as stored (what get()
   * returns: decoded and frozen, not `value` itself). If the value cannot be stored, the
   * marker is removed all the same and the error thrown.
   */
  endLoad(key: string, token: number, value: T | undefined, ttl: number | undefined): T | undefined {
    try {
      if (value === undefined) {
        this.core.write(() => this.releaseMarker(key, token), true);
        return undefined;
      }
      const bytes = this.encode(key, value);
      this.store(key, bytes, this.ttlOf(ttl), token);
      return this.core.decodeStored(key, this.storedEntry, this.storedStamp, bytes, this.decoded) as T;
    } catch (error) {
      if (value !== undefined) this.core.write(() => this.releaseMarker(key, token), true);
      throw error;
    } finally {
      this.markers.announce();
    }
  }

  /** @internal the namespace's load markers */
  get loadMarkers(): LoadMarkers {
    return this.markers;
  }

  private releaseMarker(key: string, token: number): void {
    this.core.encodeKey(key);
    this.markers.select(this.at);
    this.markers.release(token);
  }

  /**
   * Removes every expired entry now and returns how many (each counts as an expiration).
   * Writes do this by themselves, amortized: once an entry has expired, a full sweep runs
   * after every count/8 writes, so expired entries give back their room soon without making
   * a set cost a sweep.
   */
  purgeStale(): number {
    return this.purgeExpired(false);
  }

  /** purgeStale(); `lockAnyway`: take the lock even with autolock off (a load's end). */
  private purgeExpired(lockAnyway: boolean): number {
    const now = Date.now();
    let removed = 0;
    for (;;) {
      const some = this.core.write(() => this.purge(now), lockAnyway);
      removed += some;
      if (some < PURGE_BATCH) return removed;
    }
  }

  /** Under the lock: a sweep, when entries have expired and enough writes paid for it. */
  private expireSome(now: number): void {
    const earliest = this.table.earliestExpiry;
    if (earliest === 0 || earliest > now) return;
    if (this.table.countPurgeWrite() > this.table.count >> 3) this.purge(now);
  }

  /** At most PURGE_BATCH entries per write: a write's journal holds a bounded number of words. */
  private purge(now: number): number {
    const removed = this.table.purgeExpired(now, PURGE_BATCH);
    if (removed > 0) Atomics.add(this.core.all, (this.at + CACHE_EXPIRATIONS_OFFSET) >> 2, removed);
    return removed;
  }

  /** Live entries that have not expired (expired ones stop counting at once, before they are reclaimed). */
  private unexpired(): number {
    return this.core.read(() => this.table.countUnexpired(Date.now()));
  }

  /** Removes `key`; true if it had an entry (an expired one not yet reclaimed counts). */
  delete(key: string): boolean {
    const core = this.core;
    core.encodeKey(key);
    return core.write(() => {
      core.encodeKey(key);
      return this.table.remove(core.key, core.keyLength, core.keyHash);
    });
  }

  /** Removes every entry in one write; the counters of stats() are kept. */
  clear(): void {
    this.core.write(() => this.table.clear());
  }

  /** Live entries that have not expired (an expired one stops counting at once). */
  get size(): number {
    return this.unexpired();
  }

  /** Counters and limits, read without the lock: the fields may be from slightly different moments. */
  stats(): CacheStats {
    return {
      entries: this.unexpired(),
      bytes: this.table.byteSize, // held, expired entries not yet reclaimed included
      hits: this.word(CACHE_HITS_OFFSET),
      misses: this.word(CACHE_MISSES_OFFSET),
      evictions: this.word(CACHE_EVICTIONS_OFFSET),
      expirations: this.word(CACHE_EXPIRATIONS_OFFSET),
      maxEntries: this.word(CACHE_MAX_ENTRIES_OFFSET),
      maxBytes: this.word(CACHE_MAX_BYTES_OFFSET),
      ttl: this.f64[(this.at + CACHE_TTL_OFFSET) >> 3]!,
    };
  }

  /**
   * The limits in force: what the cache was created with, in whichever process created it
   * (undefined: no limit). `ns.cache(name, cache.options)` opens it again without a mismatch.
   */
  get options(): Readonly<CacheLimits> {
    const ttl = this.f64[(this.at + CACHE_TTL_OFFSET) >> 3]!;
    return Object.freeze({
      maxEntries: this.word(CACHE_MAX_ENTRIES_OFFSET) || undefined,
      maxBytes: this.word(CACHE_MAX_BYTES_OFFSET) || undefined,
      ttl: ttl || undefined,
    });
  }

  /** Evicts (CLOCK) until within the limits. Under the lock. */
  private evict(now: number): void {
    const maxEntries = this.word(CACHE_MAX_ENTRIES_OFFSET);
    const maxBytes = this.word(CACHE_MAX_BYTES_OFFSET);
    while ((maxEntries !== 0 && this.table.count > maxEntries) || (maxBytes !== 0 && this.table.byteSize > maxBytes)) {
      const evicted = this.table.evictOne(now, this.hints);
      if (evicted === EVICTED_NONE) break;
      this.count(evicted === EVICTED_EXPIRED ? CACHE_EXPIRATIONS_OFFSET : CACHE_EVICTIONS_OFFSET);
    }
  }
}

