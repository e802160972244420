/**
 * HashTable: a map from byte keys to entry blocks, in shared memory (layout, with a diagram,
 * in src/layout/namespace.ts). The variables of a namespace, its directory of named objects
 * and each cache are one of these.
 *
 * Linear hashing with chains: buckets live in small fixed segments reached through a
 * directory, and the table grows one bucket (one split) per insert that takes it past one
 * entry per bucket. Nothing ever needs a large contiguous block, and growth only happens
 * when the heap has room for it (tryAllocate): a key is refused only when its own entry
 * does not fit. Deleting unlinks the entry, so no tombstones pile up under churn.
 *
 * Writers (holding the namespace lock) change it through the journal; every insert, update
 * or delete ends in ONE store of a link word (a bucket or an entry's next), so a reader that
 * validates its read with the namespace sequence sees the old entry or the new one. Entry
 * blocks are written before they are published and freed only after they are unpublished;
 * only their next word changes afterwards (journaled).
 *
 * Readers take no lock: find() is defensive (every offset and length read is bounds-checked,
 * chains are cut at the live count) and returns INCONSISTENT instead of throwing when what
 * it read cannot be right, because a writer may be changing things under it; the caller
 * re-checks the sequence and retries.
 */
import { CorruptHeapError } from '../errors.js';
import {
  ENTRY_EXPIRES_OFFSET,
  ENTRY_HASH_OFFSET,
  ENTRY_HEADER_LENGTH,
  ENTRY_KEY_LENGTH_OFFSET,
  ENTRY_NEXT_OFFSET,
  ENTRY_STAMP_OFFSET,
  ENTRY_TYPE_OFFSET,
  ENTRY_VALUE_LENGTH_OFFSET,
  SEGMENT_BUCKETS,
  SEGMENT_BUCKETS_LOG2,
  SEGMENT_LENGTH,
  TABLE_BUCKETS_OFFSET,
  TABLE_BYTES_OFFSET,
  TABLE_CLOCK_HAND_OFFSET,
  TABLE_COUNT_OFFSET,
  TABLE_DIRECTORY_OFFSET,
  TABLE_EARLIEST_EXPIRY_OFFSET,
  TABLE_INITIAL_BUCKETS,
  TABLE_INITIAL_DIRECTORY,
  TABLE_MAX_LOAD,
  TABLE_PURGE_WRITES_OFFSET,
} from '../layout/namespace.js';
import { BLOCK_ALLOCATED, BLOCK_FLAG_MASK, heapBlockSize, MIN_BLOCK_SIZE } from '../layout/heap.js';
import type { SharedHeap } from './heap.js';
import type { Journal } from './journal.js';

/** find(): the key is not there. */
export const NOT_FOUND = 0;
/** find(): what was read cannot be right (a concurrent write, or damage). */
export const INCONSISTENT = -2;

/** evictOne(): what it removed. */
export const EVICTED_NONE = 0;
export const EVICTED_UNUSED = 1;
export const EVICTED_EXPIRED = 2;

const SEGMENT_MASK = SEGMENT_BUCKETS - 1;
const MAX_BUCKETS = 2 ** 30;
const BUCKETS = TABLE_BUCKETS_OFFSET >> 2;
const COUNT = TABLE_COUNT_OFFSET >> 2;
const DIRECTORY = TABLE_DIRECTORY_OFFSET >> 2;
const NEXT = ENTRY_NEXT_OFFSET >> 2;
const HASH = ENTRY_HASH_OFFSET >> 2;
const TYPE = ENTRY_TYPE_OFFSET >> 2;
/**
 * Values up to this many bytes are rewritten in place when the block fits (see rewrite):
 * journaling their words costs less than an allocation and a free up to about here.
 */
const REWRITE_MAX_BYTES = 128;

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over the key's bytes (StoreCore.encodeKey computes the same over ASCII characters). */
export function hashBytes(bytes: Uint8Array, length: number): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return hash | 0;
}

/** The smallest power of two >= n, for 1 <= n <= 2^30 (shifts: Math.pow is slow here). */
function ceilPow2(n: number): number {
  return 1 << (32 - Math.clz32(n - 1));
}

/** The bucket of `hash` in a table of `n` buckets, 1 <= n <= 2^30 (linear hashing's address function). */
export function bucketOf(hash: number, n: number): number {
  const top = ceilPow2(n);
  const i = hash & (top - 1);
  return i < n ? i : i - (top >> 1);
}

export interface EntryView {
  offset: number;
  keyLength: number;
  valueLength: number;
  /** Buffer offset of the value's first byte. */
  valueAt: number;
  expiresAt: number;
  type: number;
}

export class HashTable {
  private readonly all: Int32Array;
  private readonly f64: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly head: number; // Int32 index of the table header
  /**
   * Offsets a reader follows must end below this: the memory committed under the heap when
   * last looked (heap.readableEnd()), re-read only when an offset goes past it. Past it lies
   * the namespace's uncommitted reserve, where a read is SIGBUS, not garbage.
   */
  private limit: number;
  private readonly scratch = new Float64Array(1);
  private readonly scratchWords = new Int32Array(this.scratch.buffer);
  /** The entry that holds the value of the last put() (rewritten in place, or new). */
  lastPut = 0;

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    headerOffset: number,
    private readonly heap: SharedHeap,
    private readonly journal: Journal,
    /** Frees a block when the current write ends (StoreCore.freeLater); heap.free by default. */
    private readonly free: (offset: number) => void = (offset) => heap.free(offset),
  ) {
    this.all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    this.bytes = new Uint8Array(buffer);
    this.head = headerOffset >> 2;
    this.limit = Math.min(this.bytes.length, heap.readableEnd());
  }

  /** Whether [.., end) lies in committed memory (see limit); cheap unless end is past the cached limit. */
  private readable(end: number): boolean {
    return end <= this.limit || end <= (this.limit = Math.min(this.bytes.length, this.heap.readableEnd()));
  }

  /** Allocates the directory and the first segment. Under the lock, inside a journaled operation. */
  create(): void {
    const segment = this.heap.allocate(SEGMENT_LENGTH);
    this.bytes.fill(0, segment, segment + SEGMENT_LENGTH);
    const directory = this.heap.allocate((1 + TABLE_INITIAL_DIRECTORY) * 4);
    this.all.fill(0, directory >> 2, (directory >> 2) + 1 + TABLE_INITIAL_DIRECTORY);
    this.all[directory >> 2] = TABLE_INITIAL_DIRECTORY; // fresh blocks: not journaled
    this.all[(directory >> 2) + 1] = segment;
    this.set(TABLE_BUCKETS_OFFSET, TABLE_INITIAL_BUCKETS);
    this.set(TABLE_DIRECTORY_OFFSET, directory); // SYNC POINT: published with the bucket count
  }

  /** Buffer offset of the table header. */
  get headerOffset(): number {
    return this.head << 2;
  }

  get count(): number {
    return Atomics.load(this.all, this.head + COUNT);
  }

  get byteSize(): number {
    return Atomics.load(this.all, this.head + (TABLE_BYTES_OFFSET >> 2));
  }

  /** Buckets in use. */
  get buckets(): number {
    return this.field(TABLE_BUCKETS_OFFSET);
  }

  /** No entry of this table expires before this time (ms); 0 = none expires. */
  get earliestExpiry(): number {
    return this.f64[(this.head >> 1) + (TABLE_EARLIEST_EXPIRY_OFFSET >> 3)]!;
  }

  /**
   * Int32 index of bucket i's word, or -1 if the header or directory cannot be right. Safe
   * without the lock (bounds-checked), given n read from the same header.
   */
  private bucketWord(i: number, n: number): number {
    const all = this.all;
    const directory = all[this.head + DIRECTORY]!;
    if (directory <= 0 || (directory & 3) !== 0 || !this.readable(directory + 4)) return -1;
    const capacity = all[directory >> 2]!;
    const s = i >> SEGMENT_BUCKETS_LOG2;
    if (s >= capacity || !this.readable(directory + 4 * (1 + capacity))) return -1;
    const segment = all[(directory >> 2) + 1 + s]!;
    if (segment <= 0 || (segment & 3) !== 0 || !this.readable(segment + SEGMENT_LENGTH)) return -1;
    return (segment >> 2) + (i & SEGMENT_MASK);
  }

  private plausibleEntry(entry: number): boolean {
    return entry > 0 && (entry & 7) === 0 && this.readable(entry + ENTRY_HEADER_LENGTH);
  }

  /** The entry block offset for `key`, NOT_FOUND, or INCONSISTENT. Safe without the lock. */
  find(key: Uint8Array, keyLength: number, hash: number): number {
    const all = this.all;
    const n = all[this.head + BUCKETS]!;
    if (n < 1 || n > MAX_BUCKETS) return INCONSISTENT;
    const word = this.bucketWord(bucketOf(hash, n), n);
    if (word < 0) return INCONSISTENT;
    const limit = all[this.head + COUNT]!;
    let entry = all[word]!;
    for (let steps = 0; entry !== 0; steps++) {
      if (steps >= limit || !this.plausibleEntry(entry)) return INCONSISTENT;
      if (all[(entry >> 2) + HASH] === hash) {
        const match = this.keyMatches(entry, key, keyLength);
        if (match === INCONSISTENT) return INCONSISTENT;
        if (match === 1) return entry;
      }
      entry = all[(entry >> 2) + NEXT]!;
    }
    return NOT_FOUND;
  }

  /**
   * Reads an entry's header into `view`; false if it cannot be a real entry: its lengths must
   * fit the allocated heap block it sits in (see heapBlockSize), so a damaged length is
   * caught here rather than handed to the codec.
   */
  read(entry: number, view: EntryView): boolean {
    if (!this.plausibleEntry(entry)) return false;
    const all = this.all;
    const keyLength = all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2]!;
    const valueLength = all[(entry + ENTRY_VALUE_LENGTH_OFFSET) >> 2]!;
    const valueAt = entry + ENTRY_HEADER_LENGTH + keyLength;
    if (keyLength <= 0 || valueLength < 0 || !this.readable(valueAt + valueLength)) return false;
    if (!this.fitsBlock(entry, ENTRY_HEADER_LENGTH + keyLength + valueLength)) return false;
    view.offset = entry;
    view.keyLength = keyLength;
    view.valueLength = valueLength;
    view.valueAt = valueAt;
    view.expiresAt = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
    view.type = all[(entry + ENTRY_TYPE_OFFSET) >> 2]!;
    return true;
  }

  /** Whether `size` bytes at buffer offset `entry` are what an allocation of that size got. */
  private fitsBlock(entry: number, size: number): boolean {
    const header = this.all[(entry >> 2) - 2]!; // the heap block's header (src/layout/heap.ts)
    if ((header & BLOCK_FLAG_MASK) !== BLOCK_ALLOCATED) return false;
    const extra = (header & ~BLOCK_FLAG_MASK) - heapBlockSize(size);
    return extra >= 0 && extra < MIN_BLOCK_SIZE;
  }

  /** The entry's stamp (see the layout): with its offset, it names one version of a value. */
  stamp(entry: number): number {
    return this.all[(entry + ENTRY_STAMP_OFFSET) >> 2]!;
  }

  /** The key hash kept in the entry. */
  hashOf(entry: number): number {
    return this.all[(entry >> 2) + HASH]!;
  }

  /**
   * Marks a key recently used (CLOCK), in `hints` (a byte array that is never freed, indexed
   * by hash): readers do this without the lock, so it must not touch an entry block, which a
   * writer may free and hand out again while the reader still holds its offset.
   */
  static touch(hints: Uint8Array, hash: number): void {
    hints[hash & (hints.length - 1)] = 1;
  }

  /**
   * Inserts or replaces `key`. Under the lock, inside a journaled operation. Returns the
   * replaced entry's size in bytes (0 if the key is new). Throws NamespaceFullError (from
   * the heap) before changing anything visible when there is no room for the entry; the
   * table itself never needs room to take a key.
   */
  put(key: Uint8Array, keyLength: number, hash: number, value: Uint8Array, expiresAt = 0, type = 0, stamp = 0): number {
    const size = ENTRY_HEADER_LENGTH + keyLength + value.length;
    const bucket = this.bucketFor(hash);
    const link = this.linkOf(bucket, key, keyLength, hash);
    const all = this.all;
    const old = all[link]!;
    if (old !== 0) {
      const rewritten = this.rewrite(old, keyLength, value, expiresAt, type, stamp);
      if (rewritten >= 0) {
        this.lastPut = old;
        return rewritten;
      }
    }
    const entry = this.heap.allocate(size); // the chain is unchanged by allocating: link stays right
    this.lastPut = entry;
    const at = entry >> 2;
    all[at + (ENTRY_KEY_LENGTH_OFFSET >> 2)] = keyLength;
    all[at + (ENTRY_VALUE_LENGTH_OFFSET >> 2)] = value.length;
    this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3] = expiresAt;
    all[at + HASH] = hash;
    all[at + (ENTRY_TYPE_OFFSET >> 2)] = type;
    all[at + (ENTRY_STAMP_OFFSET >> 2)] = stamp;
    this.bytes.set(key.subarray(0, keyLength), entry + ENTRY_HEADER_LENGTH);
    this.bytes.set(value, entry + ENTRY_HEADER_LENGTH + keyLength);

    let replaced = 0;
    if (old !== 0) {
      replaced = this.entrySize(old);
      all[at + NEXT] = all[(old >> 2) + NEXT]!; // a fresh block: not journaled
      this.journal.write(all, link, entry); // SYNC POINT: readers now see the new value
      this.free(old);
    } else {
      all[at + NEXT] = all[bucket]!;
      this.journal.write(all, bucket, entry); // SYNC POINT: the new key is visible
      this.set(TABLE_COUNT_OFFSET, this.field(TABLE_COUNT_OFFSET) + 1);
    }
    this.set(TABLE_BYTES_OFFSET, this.field(TABLE_BYTES_OFFSET) + size - replaced);
    if (expiresAt !== 0) {
      const earliest = this.earliestExpiry;
      if (earliest === 0 || expiresAt < earliest) this.setEarliestExpiry(expiresAt);
    }
    if (old === 0 && this.field(TABLE_COUNT_OFFSET) > this.field(TABLE_BUCKETS_OFFSET) * TABLE_MAX_LOAD) this.split();
    return replaced;
  }

  /**
   * Replaces the value of `entry` in its own block when the new one is small and the block
   * is the one an allocation of the new size would get (so readers' checks still hold).
   * Its old header words and value bytes go to the journal first (one count store), then
   * are overwritten: 8 journal words for a number instead of the 27 that an allocation and
   * a free journal. Readers that overlap it see the sequence move and retry, as they do when a
   * block they hold is freed and reused. Returns the old entry's size, or -1 when the value
   * does not fit (the caller allocates).
   */
  private rewrite(entry: number, keyLength: number, value: Uint8Array, expiresAt: number, type: number, stamp: number): number {
    const length = value.length;
    if (length > REWRITE_MAX_BYTES) return -1;
    const all = this.all;
    const at = entry >> 2;
    if (all[at + TYPE] !== type) return -1;
    const size = ENTRY_HEADER_LENGTH + keyLength + length;
    if (!this.fitsBlock(entry, size)) return -1;
    const oldSize = this.entrySize(entry);
    const valueAt = entry + ENTRY_HEADER_LENGTH + keyLength;
    const first = valueAt >> 2;
    // Header words from the value length to the stamp, then the words the value covers.
    this.journal.logRange(at + (ENTRY_VALUE_LENGTH_OFFSET >> 2), (ENTRY_NEXT_OFFSET - ENTRY_VALUE_LENGTH_OFFSET) >> 2);
    this.journal.logRange(first, ((valueAt + length + 3) >> 2) - first);
    all[at + (ENTRY_VALUE_LENGTH_OFFSET >> 2)] = length;
    this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3] = expiresAt;
    all[at + (ENTRY_STAMP_OFFSET >> 2)] = stamp; // a new version for readers' decoded values
    this.bytes.set(value, valueAt);
    if (size !== oldSize) this.set(TABLE_BYTES_OFFSET, this.field(TABLE_BYTES_OFFSET) + size - oldSize);
    if (expiresAt !== 0) {
      const earliest = this.earliestExpiry;
      if (earliest === 0 || expiresAt < earliest) this.setEarliestExpiry(expiresAt);
    }
    return oldSize;
  }

  /** Deletes `key`; returns whether it was there. Under the lock, journaled. */
  remove(key: Uint8Array, keyLength: number, hash: number): boolean {
    const link = this.linkOf(this.bucketFor(hash), key, keyLength, hash);
    const entry = this.all[link]!;
    if (entry === 0) return false;
    this.unlink(link, entry);
    return true;
  }

  /** Unpublishes `entry`, which `all[link]` names, and frees it. */
  private unlink(link: number, entry: number): void {
    const size = this.entrySize(entry);
    this.journal.write(this.all, link, this.all[(entry >> 2) + NEXT]!); // SYNC POINT: the key is gone
    this.free(entry);
    this.set(TABLE_COUNT_OFFSET, this.field(TABLE_COUNT_OFFSET) - 1);
    this.set(TABLE_BYTES_OFFSET, this.field(TABLE_BYTES_OFFSET) - size);
  }

  /** Every live entry offset. Under the lock (or validated by the caller). */
  *entries(): Generator<number> {
    const n = this.field(TABLE_BUCKETS_OFFSET);
    const limit = this.field(TABLE_COUNT_OFFSET);
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const word = this.bucketWord(i, n);
      if (word < 0) throw new CorruptHeapError('a table header or directory points outside the namespace');
      for (let entry = this.all[word]!; entry !== 0; entry = this.all[(entry >> 2) + NEXT]!) {
        if (++seen > limit || !this.plausibleEntry(entry)) {
          throw new CorruptHeapError(`a table's chains hold more entries than its count (${limit}), or a link points outside the namespace`);
        }
        yield entry;
      }
    }
  }

  /** The key of an entry, decoded. */
  keyOf(entry: number): string {
    const length = this.all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2]!;
    return new TextDecoder().decode(this.bytes.subarray(entry + ENTRY_HEADER_LENGTH, entry + ENTRY_HEADER_LENGTH + length));
  }

  entrySize(entry: number): number {
    return ENTRY_HEADER_LENGTH + this.all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2]! + this.all[(entry + ENTRY_VALUE_LENGTH_OFFSET) >> 2]!;
  }

  /**
   * CLOCK: sweeps buckets from the hand, clearing reference hints, and deletes the first
   * entry that was not referenced since the last sweep, or has expired. Under the lock,
   * journaled. Returns what it removed (EVICTED_NONE if the table is empty).
   */
  evictOne(now: number, hints: Uint8Array): number {
    const n = this.field(TABLE_BUCKETS_OFFSET);
    if (this.field(TABLE_COUNT_OFFSET) === 0) return EVICTED_NONE;
    const all = this.all;
    const mask = hints.length - 1;
    let hand = this.field(TABLE_CLOCK_HAND_OFFSET);
    if (hand < 0 || hand >= n) hand = 0;
    for (let step = 0; step < 2 * n + 1; step++, hand = hand + 1 === n ? 0 : hand + 1) {
      let link = this.checkedBucketWord(hand, n);
      let steps = 0;
      for (let entry = all[link]!; entry !== 0; entry = all[link]!) {
        this.checkStep(++steps, entry);
        const expires = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
        const expired = expires !== 0 && expires <= now;
        const hint = all[(entry >> 2) + HASH]! & mask;
        if (!expired && hints[hint] !== 0) {
          hints[hint] = 0; // a hint, not state: need not be journaled
          link = (entry >> 2) + NEXT;
          continue;
        }
        this.unlink(link, entry);
        this.set(TABLE_CLOCK_HAND_OFFSET, hand);
        return expired ? EVICTED_EXPIRED : EVICTED_UNUSED;
      }
    }
    return EVICTED_NONE;
  }

  /**
   * Removes every entry that has expired by `now` and sets the earliest expiry from the
   * rest. Under the lock, journaled. Returns how many it removed.
   */
  /**
   * Unlinks at most `limit` expired entries (every unlink and free goes through the journal,
   * which holds a bounded number of words per write). When it stops at the limit, the table
   * still has expired entries: `earliest expiry` is left as it is (not after now) and the
   * purge counter is left due, so the next write sweeps on.
   */
  purgeExpired(now: number, limit = Infinity): number {
    const n = this.field(TABLE_BUCKETS_OFFSET);
    const all = this.all;
    let removed = 0;
    let earliest = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      let link = this.checkedBucketWord(i, n);
      for (let entry = all[link]!; entry !== 0; entry = all[link]!) {
        this.checkStep(kept + 1, entry);
        const expires = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
        if (expires !== 0 && expires <= now) {
          if (removed === limit) return removed; // more to do: the next write goes on
          this.unlink(link, entry);
          removed++;
          continue;
        }
        if (expires !== 0 && (earliest === 0 || expires < earliest)) earliest = expires;
        kept++;
        link = (entry >> 2) + NEXT;
      }
    }
    if (this.earliestExpiry !== earliest) this.setEarliestExpiry(earliest);
    this.set(TABLE_PURGE_WRITES_OFFSET, 0);
    return removed;
  }

  /** Counts a write since the last purge (caches with ttl); returns the new count. Journaled. */
  countPurgeWrite(): number {
    const writes = this.field(TABLE_PURGE_WRITES_OFFSET) + 1;
    this.set(TABLE_PURGE_WRITES_OFFSET, writes);
    return writes;
  }

  /** Live entries not expired by `now`. Safe without the lock (validated by the caller). */
  countUnexpired(now: number): number {
    const earliest = this.earliestExpiry;
    if (earliest === 0 || earliest > now) return this.count;
    let live = 0;
    for (const entry of this.entries()) {
      const expires = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
      if (expires === 0 || expires > now) live++;
    }
    return live;
  }

  /** Deletes every entry. Under the lock, journaled. */
  clear(): void {
    const n = this.field(TABLE_BUCKETS_OFFSET);
    for (let i = 0; i < n; i++) {
      const word = this.checkedBucketWord(i, n);
      for (let entry = this.all[word]!; entry !== 0; entry = this.all[word]!) {
        this.checkStep(1, entry); // each unlink lowers the count: a cycle ends at 0
        this.unlink(word, entry);
      }
    }
  }

  /** Int32 index of the bucket word for `hash`. Under the lock. */
  private bucketFor(hash: number): number {
    const n = this.field(TABLE_BUCKETS_OFFSET);
    return this.checkedBucketWord(bucketOf(hash, n), n);
  }

  private checkedBucketWord(i: number, n: number): number {
    const word = n >= 1 && n <= MAX_BUCKETS && i < n ? this.bucketWord(i, n) : -1;
    if (word < 0) throw new CorruptHeapError('a table header or directory points outside the namespace');
    return word;
  }

  private checkStep(steps: number, entry: number): void {
    if (steps > this.field(TABLE_COUNT_OFFSET) || !this.plausibleEntry(entry)) {
      throw new CorruptHeapError('a table chain is longer than its count says, or links outside the namespace');
    }
  }

  /**
   * Int32 index of the link word (the bucket, or the next word of an entry of its chain)
   * that names the entry holding `key`, or that ends the chain (holds 0) if there is none.
   * Under the lock.
   */
  private linkOf(bucket: number, key: Uint8Array, keyLength: number, hash: number): number {
    const all = this.all;
    let link = bucket;
    let steps = 0;
    for (let entry = all[link]!; entry !== 0; entry = all[link]!) {
      this.checkStep(++steps, entry);
      if (all[(entry >> 2) + HASH] === hash && this.keyMatches(entry, key, keyLength) === 1) return link;
      link = (entry >> 2) + NEXT;
    }
    return link;
  }

  /**
   * Adds bucket n: splits bucket n - 2^(k-1) (its keys with bit k-1 of the hash set move to
   * the new bucket), allocating a segment (and a larger directory) first when bucket n starts
   * one. When the heap has no room for those, the table does not grow now: chains get longer,
   * nothing fails. Under the lock, journaled.
   */
  private split(): void {
    const all = this.all;
    const n = this.field(TABLE_BUCKETS_OFFSET);
    if (n >= MAX_BUCKETS) return;
    if ((n & SEGMENT_MASK) === 0 && !this.addSegment(n >> SEGMENT_BUCKETS_LOG2)) return;
    const half = ceilPow2(n + 1) >> 1;
    const from = this.checkedBucketWord(n - half, n);
    // The new bucket's word lies in a segment nobody has read yet (it is past n): it is 0.
    // Bucket n - half's entries are split by bit `half` of their hash, order kept.
    let stay = from;
    let move = -1;
    let steps = 0;
    for (let entry = all[from]!; entry !== 0; ) {
      this.checkStep(++steps, entry);
      const next = all[(entry >> 2) + NEXT]!;
      if ((all[(entry >> 2) + HASH]! & half) === 0) {
        if (all[stay] !== entry) this.journal.write(all, stay, entry);
        stay = (entry >> 2) + NEXT;
      } else {
        if (move < 0) {
          this.publishNewBucket(n);
          move = this.checkedBucketWord(n, n + 1);
          this.journal.write(all, move, entry);
        } else if (all[move] !== entry) {
          this.journal.write(all, move, entry);
        }
        move = (entry >> 2) + NEXT;
      }
      entry = next;
    }
    if (all[stay] !== 0) this.journal.write(all, stay, 0);
    if (move < 0) this.publishNewBucket(n);
    else if (all[move] !== 0) this.journal.write(all, move, 0);
  }

  private publishNewBucket(n: number): void {
    if (this.field(TABLE_BUCKETS_OFFSET) === n) this.set(TABLE_BUCKETS_OFFSET, n + 1);
  }

  /** Allocates segment `s` (and grows the directory to hold it); false if the heap has no room. */
  private addSegment(s: number): boolean {
    const all = this.all;
    let directory = this.field(TABLE_DIRECTORY_OFFSET);
    const capacity = all[directory >> 2]!;
    if (s < capacity && all[(directory >> 2) + 1 + s] !== 0) return true; // kept from before
    const segment = this.heap.tryAllocate(SEGMENT_LENGTH);
    if (segment < 0) return false;
    all.fill(0, segment >> 2, (segment >> 2) + SEGMENT_BUCKETS); // a fresh block: not journaled
    if (s >= capacity) {
      const next = capacity * 2;
      const grown = this.heap.tryAllocate((1 + next) * 4);
      if (grown < 0) {
        this.free(segment);
        return false;
      }
      all.fill(0, grown >> 2, (grown >> 2) + 1 + next);
      all.set(all.subarray((directory >> 2) + 1, (directory >> 2) + 1 + capacity), (grown >> 2) + 1);
      all[grown >> 2] = next;
      all[(grown >> 2) + 1 + s] = segment;
      this.set(TABLE_DIRECTORY_OFFSET, grown); // SYNC POINT: readers switch to the new directory
      this.free(directory);
      directory = grown;
      return true;
    }
    this.journal.write(all, (directory >> 2) + 1 + s, segment);
    return true;
  }

  private keyMatches(entry: number, key: Uint8Array, keyLength: number): number {
    if (!this.readable(entry + ENTRY_HEADER_LENGTH + keyLength)) return INCONSISTENT;
    if (this.all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2] !== keyLength) return 0;
    const bytes = this.bytes;
    const at = entry + ENTRY_HEADER_LENGTH;
    for (let i = 0; i < keyLength; i++) if (bytes[at + i] !== key[i]) return 0;
    return 1;
  }

  private setEarliestExpiry(value: number): void {
    this.scratch[0] = value;
    const at = this.head + (TABLE_EARLIEST_EXPIRY_OFFSET >> 2);
    this.journal.write(this.all, at, this.scratchWords[0]!);
    this.journal.write(this.all, at + 1, this.scratchWords[1]!);
  }

  private field(offset: number): number {
    return this.all[this.head + (offset >> 2)]!;
  }

  private set(offset: number, value: number): void {
    this.journal.write(this.all, this.head + (offset >> 2), value);
  }
}
