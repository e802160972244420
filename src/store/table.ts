/**
 * HashTable: a map from byte keys to entry blocks, in shared memory (layout in
 * src/layout/namespace.ts). The variables of a namespace, its directory of named objects and
 * each cache are one of these.
 *
 * Writers (holding the namespace lock) change it through the journal; every insert, update
 * or delete ends in ONE store of a slot's entry word, so a reader that validates its read
 * with the namespace sequence sees the old entry or the new one. Entry blocks are written
 * once before they are published and freed only after they are unpublished.
 *
 * Readers take no lock: find() is defensive (every offset and length read is bounds-checked)
 * and returns INCONSISTENT instead of throwing when what it read cannot be right, because a
 * writer may be changing things under it; the caller re-checks the sequence and retries.
 */
import { CorruptHeapError } from '../errors.js';
import {
  ENTRY_EXPIRES_OFFSET,
  ENTRY_HEADER_LENGTH,
  ENTRY_KEY_LENGTH_OFFSET,
  ENTRY_REFERENCED_OFFSET,
  ENTRY_STAMP_OFFSET,
  ENTRY_TYPE_OFFSET,
  ENTRY_VALUE_LENGTH_OFFSET,
  SLOT_DELETED,
  SLOT_EMPTY,
  SLOT_LENGTH,
  TABLE_BYTES_OFFSET,
  TABLE_CAPACITY_OFFSET,
  TABLE_CLOCK_HAND_OFFSET,
  TABLE_COUNT_OFFSET,
  TABLE_INITIAL_CAPACITY,
  TABLE_MAX_LOAD,
  TABLE_SLOTS_OFFSET,
  TABLE_TOMBSTONES_OFFSET,
} from '../layout/namespace.js';
import type { SharedHeap } from './heap.js';
import type { Journal } from './journal.js';

/** find(): the key is not there. */
export const NOT_FOUND = 0;
/** find(): what was read cannot be right (a concurrent write, or damage). */
export const INCONSISTENT = -2;

/** FNV-1a over the key's bytes. */
export function hashBytes(bytes: Uint8Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash | 0;
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
  }

  /** Allocates the first slots array. Under the lock, inside a journaled operation. */
  create(): void {
    const slots = this.heap.allocate(TABLE_INITIAL_CAPACITY * SLOT_LENGTH);
    this.bytes.fill(0, slots, slots + TABLE_INITIAL_CAPACITY * SLOT_LENGTH);
    this.set(TABLE_CAPACITY_OFFSET, TABLE_INITIAL_CAPACITY);
    this.set(TABLE_SLOTS_OFFSET, slots); // SYNC POINT: published with the capacity
  }

  get count(): number {
    return Atomics.load(this.all, this.head + (TABLE_COUNT_OFFSET >> 2));
  }

  get byteSize(): number {
    return Atomics.load(this.all, this.head + (TABLE_BYTES_OFFSET >> 2));
  }

  get capacity(): number {
    return this.field(TABLE_CAPACITY_OFFSET);
  }

  /** The entry block offset for `key`, NOT_FOUND, or INCONSISTENT. Safe without the lock. */
  find(key: Uint8Array, keyLength: number, hash: number): number {
    const slots = this.field(TABLE_SLOTS_OFFSET);
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    if (!this.plausibleSlots(slots, capacity)) return INCONSISTENT;
    const mask = capacity - 1;
    const all = this.all;
    for (let probe = 0, i = hash & mask; probe < capacity; probe++, i = (i + 1) & mask) {
      const at = (slots >> 2) + i * 2;
      const entry = all[at + 1]!;
      if (entry === SLOT_EMPTY) return NOT_FOUND;
      if (entry === SLOT_DELETED || all[at] !== hash) continue;
      const match = this.keyMatches(entry, key, keyLength);
      if (match === INCONSISTENT) return INCONSISTENT;
      if (match === 1) return entry;
    }
    return NOT_FOUND;
  }

  /** Reads an entry's header into `view`; false if it cannot be a real entry. */
  read(entry: number, view: EntryView): boolean {
    if (entry <= 0 || (entry & 7) !== 0 || entry + ENTRY_HEADER_LENGTH > this.bytes.length) return false;
    const keyLength = this.all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2]!;
    const valueLength = this.all[(entry + ENTRY_VALUE_LENGTH_OFFSET) >> 2]!;
    const valueAt = entry + ENTRY_HEADER_LENGTH + keyLength;
    if (keyLength < 0 || valueLength < 0 || valueAt + valueLength > this.bytes.length) return false;
    view.offset = entry;
    view.keyLength = keyLength;
    view.valueLength = valueLength;
    view.valueAt = valueAt;
    view.expiresAt = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
    view.type = this.all[(entry + ENTRY_TYPE_OFFSET) >> 2]!;
    return true;
  }

  /** The entry's stamp (see the layout): with its offset, it names one version of a value. */
  stamp(entry: number): number {
    return this.all[(entry + ENTRY_STAMP_OFFSET) >> 2]!;
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
   * the heap) before changing anything visible when there is no room.
   */
  put(key: Uint8Array, keyLength: number, hash: number, value: Uint8Array, expiresAt = 0, type = 0, stamp = 0): number {
    const size = ENTRY_HEADER_LENGTH + keyLength + value.length;
    const entry = this.heap.allocate(size);
    const all = this.all;
    all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2] = keyLength;
    all[(entry + ENTRY_VALUE_LENGTH_OFFSET) >> 2] = value.length;
    this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3] = expiresAt;
    all[(entry + ENTRY_REFERENCED_OFFSET) >> 2] = 0; // reserved (CLOCK hints live outside entries)
    all[(entry + ENTRY_TYPE_OFFSET) >> 2] = type;
    all[(entry + ENTRY_STAMP_OFFSET) >> 2] = stamp;
    this.bytes.set(key.subarray(0, keyLength), entry + ENTRY_HEADER_LENGTH);
    this.bytes.set(value, entry + ENTRY_HEADER_LENGTH + keyLength);

    const slot = this.slotFor(key, keyLength, hash);
    const old = all[slot + 1]!;
    let replaced = 0;
    if (old > 0) {
      replaced = this.entrySize(old);
      this.journal.write(all, slot + 1, entry); // SYNC POINT: readers now see the new value
      this.free(old);
    } else {
      if (old === SLOT_DELETED) this.set(TABLE_TOMBSTONES_OFFSET, this.field(TABLE_TOMBSTONES_OFFSET) - 1);
      this.journal.write(all, slot, hash);
      this.journal.write(all, slot + 1, entry); // SYNC POINT: the new key is visible
      this.set(TABLE_COUNT_OFFSET, this.field(TABLE_COUNT_OFFSET) + 1);
    }
    this.set(TABLE_BYTES_OFFSET, this.field(TABLE_BYTES_OFFSET) + size - replaced);
    this.growIfLoaded();
    return replaced;
  }

  /** Deletes `key`; returns whether it was there. Under the lock, journaled. */
  remove(key: Uint8Array, keyLength: number, hash: number): boolean {
    const slot = this.slotFor(key, keyLength, hash);
    const entry = this.all[slot + 1]!;
    if (entry <= 0) return false;
    this.removeSlot(slot, entry);
    return true;
  }

  private removeSlot(slot: number, entry: number): void {
    const size = this.entrySize(entry);
    this.journal.write(this.all, slot + 1, SLOT_DELETED); // SYNC POINT: the key is gone
    this.free(entry);
    this.set(TABLE_COUNT_OFFSET, this.field(TABLE_COUNT_OFFSET) - 1);
    this.set(TABLE_TOMBSTONES_OFFSET, this.field(TABLE_TOMBSTONES_OFFSET) + 1);
    this.set(TABLE_BYTES_OFFSET, this.field(TABLE_BYTES_OFFSET) - size);
  }

  /** Every live entry offset. Under the lock (or validated by the caller). */
  *entries(): Generator<number> {
    const slots = this.field(TABLE_SLOTS_OFFSET);
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    if (!this.plausibleSlots(slots, capacity)) throw new CorruptHeapError('a table header points outside the namespace');
    for (let i = 0; i < capacity; i++) {
      const entry = this.all[(slots >> 2) + i * 2 + 1]!;
      if (entry > 0) yield entry;
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
   * CLOCK: sweeps from the hand, clearing reference bits, and deletes the first entry that
   * was not referenced since the last sweep (or an expired one). Under the lock, journaled.
   * Returns false if the table is empty.
   */
  evictOne(now: number, hints: Uint8Array): boolean {
    const slots = this.field(TABLE_SLOTS_OFFSET);
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    if (this.field(TABLE_COUNT_OFFSET) === 0) return false;
    let hand = this.field(TABLE_CLOCK_HAND_OFFSET) & (capacity - 1);
    for (let step = 0; step < capacity * 2 + 1; step++, hand = (hand + 1) & (capacity - 1)) {
      const slot = (slots >> 2) + hand * 2;
      const entry = this.all[slot + 1]!;
      if (entry <= 0) continue;
      const expires = this.f64[(entry + ENTRY_EXPIRES_OFFSET) >> 3]!;
      const hint = this.all[slot]! & (hints.length - 1);
      if ((expires === 0 || expires > now) && hints[hint] !== 0) {
        hints[hint] = 0; // a hint, not state: need not be journaled
        continue;
      }
      this.removeSlot(slot, entry);
      this.set(TABLE_CLOCK_HAND_OFFSET, (hand + 1) & (capacity - 1));
      return true;
    }
    return false;
  }

  /** Deletes every entry. Under the lock, journaled. */
  clear(): void {
    for (const entry of [...this.entries()]) {
      const slot = this.slotOfEntry(entry);
      if (slot >= 0) this.removeSlot(slot, entry);
    }
  }

  private slotOfEntry(entry: number): number {
    const slots = this.field(TABLE_SLOTS_OFFSET);
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    for (let i = 0; i < capacity; i++) if (this.all[(slots >> 2) + i * 2 + 1] === entry) return (slots >> 2) + i * 2;
    return -1;
  }

  /** Int32 index of the slot holding `key`, else of the first free (deleted or empty) one. */
  private slotFor(key: Uint8Array, keyLength: number, hash: number): number {
    const slots = this.field(TABLE_SLOTS_OFFSET);
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    if (!this.plausibleSlots(slots, capacity)) throw new CorruptHeapError('a table header points outside the namespace');
    const mask = capacity - 1;
    let free = -1;
    for (let probe = 0, i = hash & mask; probe < capacity; probe++, i = (i + 1) & mask) {
      const at = (slots >> 2) + i * 2;
      const entry = this.all[at + 1]!;
      if (entry === SLOT_EMPTY) return free >= 0 ? free : at;
      if (entry === SLOT_DELETED) {
        if (free < 0) free = at;
        continue;
      }
      if (this.all[at] === hash && this.keyMatches(entry, key, keyLength) === 1) return at;
    }
    if (free >= 0) return free;
    throw new CorruptHeapError('a table has no free slot (its load factor was not kept)');
  }

  private growIfLoaded(): void {
    const capacity = this.field(TABLE_CAPACITY_OFFSET);
    const used = this.field(TABLE_COUNT_OFFSET) + this.field(TABLE_TOMBSTONES_OFFSET);
    if (used <= capacity * TABLE_MAX_LOAD) return;
    const live = this.field(TABLE_COUNT_OFFSET);
    const next = live * 2 > capacity * TABLE_MAX_LOAD ? capacity * 2 : capacity; // else just purge tombstones
    const oldSlots = this.field(TABLE_SLOTS_OFFSET);
    const slots = this.heap.allocate(next * SLOT_LENGTH);
    this.bytes.fill(0, slots, slots + next * SLOT_LENGTH);
    const mask = next - 1;
    for (let i = 0; i < capacity; i++) {
      const hash = this.all[(oldSlots >> 2) + i * 2]!;
      const entry = this.all[(oldSlots >> 2) + i * 2 + 1]!;
      if (entry <= 0) continue;
      let j = hash & mask;
      for (let probe = 0; this.all[(slots >> 2) + j * 2 + 1] !== SLOT_EMPTY; probe++, j = (j + 1) & mask) {
        if (probe === next) throw new CorruptHeapError('a table has more live entries than its count says');
      }
      this.all[(slots >> 2) + j * 2] = hash; // a fresh block: not journaled
      this.all[(slots >> 2) + j * 2 + 1] = entry;
    }
    this.set(TABLE_CAPACITY_OFFSET, next);
    this.set(TABLE_SLOTS_OFFSET, slots); // SYNC POINT: readers switch to the new slots
    this.set(TABLE_TOMBSTONES_OFFSET, 0);
    this.free(oldSlots);
  }

  private keyMatches(entry: number, key: Uint8Array, keyLength: number): number {
    if (entry <= 0 || (entry & 7) !== 0 || entry + ENTRY_HEADER_LENGTH + keyLength > this.bytes.length) return INCONSISTENT;
    if (this.all[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2] !== keyLength) return 0;
    const bytes = this.bytes;
    const at = entry + ENTRY_HEADER_LENGTH;
    for (let i = 0; i < keyLength; i++) if (bytes[at + i] !== key[i]) return 0;
    return 1;
  }

  private plausibleSlots(slots: number, capacity: number): boolean {
    return (
      capacity > 0 && (capacity & (capacity - 1)) === 0 && slots > 0 && (slots & 7) === 0 &&
      slots + capacity * SLOT_LENGTH <= this.bytes.length
    );
  }

  private field(offset: number): number {
    return this.all[this.head + (offset >> 2)]!;
  }

  private set(offset: number, value: number): void {
    this.journal.write(this.all, this.head + (offset >> 2), value);
  }
}
