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
 */
import { MessageTooLargeError, NamespaceFullError } from '../errors.js';
import { ENTRY_HEADER_LENGTH, TABLE_HEADER_LENGTH } from '../layout/namespace.js';
import { validateInteger, validateKnownKeys, validateObject, validateTimeout } from '../validate.js';
import { encodeValue } from '../codec/index.js';
import { DecodedValues, RETRY, type StoreCore } from './store-core.js';
import { EVICTED_EXPIRED, EVICTED_NONE, HashTable, INCONSISTENT, NOT_FOUND, type EntryView } from './table.js';

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

export interface CacheOptions {
  /** Most entries kept (default: no limit). */
  maxEntries?: number;
  /** Most bytes of entries kept, keys and encoded values (default: no limit). */
  maxBytes?: number;
  /** Milliseconds an entry lives after it was set (default: forever). */
  ttl?: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  maxEntries: number;
  maxBytes: number;
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

export class Cache<T = unknown> {
  private readonly table: HashTable;
  private readonly view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  private readonly f64: Float64Array;
  private readonly decoded = new DecodedValues();
  private readonly hints: Uint8Array;

  constructor(
    readonly name: string,
    private readonly core: StoreCore,
    private readonly at: number,
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

  get(key: string): T | undefined {
    const core = this.core;
    core.encodeKey(key);
    const now = Date.now();
    const result = core.read(() => {
      const entry = this.table.find(core.key, core.keyLength, core.keyHash);
      if (entry === NOT_FOUND) return undefined;
      if (entry === INCONSISTENT || !this.table.read(entry, this.view)) return RETRY;
      if (this.view.expiresAt !== 0 && this.view.expiresAt <= now) return EXPIRED;
      HashTable.touch(this.hints, core.keyHash);
      return core.decodeEntry(key, entry, this.table.stamp(entry), this.view.valueAt, this.view.valueLength, this.decoded) as T;
    });
    if (result === undefined || result === EXPIRED) {
      this.count(CACHE_MISSES_OFFSET);
      return undefined;
    }
    this.count(CACHE_HITS_OFFSET);
    return result as T;
  }

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
    const core = this.core;
    const bytes = encodeValue(core.codec, value);
    core.encodeKey(key);
    const maxBytes = this.word(CACHE_MAX_BYTES_OFFSET);
    const size = ENTRY_HEADER_LENGTH + core.keyLength + bytes.length;
    if (maxBytes !== 0 && size > maxBytes) {
      throw new MessageTooLargeError(size, maxBytes, `cache '${this.name}' (its maxBytes)`);
    }
    const ttl = options.ttl === undefined ? this.f64[(this.at + CACHE_TTL_OFFSET) >> 3]! : validateTimeout(options.ttl, 'options.ttl');
    const now = Date.now();
    const put = () =>
      core.write(() => {
        core.encodeKey(key); // the key buffer is shared; the lock wait may have run other code
        this.table.put(core.key, core.keyLength, core.keyHash, bytes, ttl > 0 && ttl !== Infinity ? now + ttl : 0, 0, core.nextStamp());
        HashTable.touch(this.hints, core.keyHash);
        this.evict(now);
        this.expireSome(now);
      });
    try {
      put();
    } catch (error) {
      // Expired entries give their room before a set is refused (in a write of their own:
      // blocks freed in a write are reused only after it).
      if (!(error instanceof NamespaceFullError) || this.purgeStale() === 0) throw error;
      put();
    }
  }

  /**
   * Removes every expired entry now and returns how many (each counts as an expiration).
   * Writes do this by themselves, amortized: once an entry has expired, a full sweep runs
   * after every count/8 writes, so expired entries give back their room soon without making
   * a set cost a sweep.
   */
  purgeStale(): number {
    const now = Date.now();
    let removed = 0;
    for (;;) {
      const some = this.core.write(() => this.purge(now));
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

  delete(key: string): boolean {
    const core = this.core;
    core.encodeKey(key);
    return core.write(() => {
      core.encodeKey(key);
      return this.table.remove(core.key, core.keyLength, core.keyHash);
    });
  }

  clear(): void {
    this.core.write(() => this.table.clear());
  }

  get size(): number {
    return this.unexpired();
  }

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

const EXPIRED = Symbol('expired');
