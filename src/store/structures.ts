/**
 * SharedStructureStore: the StructureStore of a namespace, in shared memory, so that every
 * process that encodes or decodes with the namespace's 'msgpack' codec agrees on what each
 * record structure is (layout and invariants: src/layout/structures.ts).
 *
 * Readers never lock: one Atomics.load of the published word says how much they may read, and
 * what is below it never changes. Writers append under a robust Mutex, then publish. A save
 * that finds another writer was first, or no room, returns false, as the codec expects; a
 * region that does not parse (damaged memory) makes load() throw CorruptHeapError, which the
 * codec takes as "do not share" for writing and as a CorruptValueError for messages that need
 * the structures.
 */
import { CorruptHeapError, OutOfRangeError, TimeoutError } from '../errors.js';
import type { Structure, StructureStore } from '../codec/index.js';
import {
  ENTRY_HEADER_LENGTH,
  ENTRY_KEY_HEADER_LENGTH,
  MAX_PUBLISHED_COUNT,
  PUBLISHED_COUNT_SHIFT,
  PUBLISHED_USED_MASK,
  STRUCTURES_ALIGNMENT,
  STRUCTURES_DEFAULT_LENGTH,
  STRUCTURES_ENTRIES_OFFSET,
  STRUCTURES_FORMAT_OFFSET,
  STRUCTURES_LENGTH_OFFSET,
  STRUCTURES_LOCK_OFFSET,
  STRUCTURES_MAGIC,
  STRUCTURES_MAGIC_OFFSET,
  STRUCTURES_MAX_LENGTH,
  STRUCTURES_MIN_LENGTH,
  STRUCTURES_PUBLISHED_OFFSET,
  STRUCTURES_VERSION,
} from '../layout/structures.js';
import { Mutex } from '../sync/mutex.js';
import { checkPlacement } from '../sync/placement.js';
import type { Waiter } from '../sync/waiter.js';

const MAGIC = STRUCTURES_MAGIC_OFFSET >> 2;
const FORMAT = STRUCTURES_FORMAT_OFFSET >> 2;
const LENGTH = STRUCTURES_LENGTH_OFFSET >> 2;
const PUBLISHED = STRUCTURES_PUBLISHED_OFFSET >> 2;
/** A save waits this long for the writers' lock, then gives up (the codec writes local records). */
const SAVE_LOCK_TIMEOUT_MS = 1000;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function checkLength(length: number, what: string): void {
  if (!Number.isInteger(length) || length < STRUCTURES_MIN_LENGTH || length > STRUCTURES_MAX_LENGTH || length % STRUCTURES_ALIGNMENT !== 0) {
    throw new OutOfRangeError(`${what}: length must be a multiple of ${STRUCTURES_ALIGNMENT} from ${STRUCTURES_MIN_LENGTH} to ${STRUCTURES_MAX_LENGTH}, got ${String(length)}`);
  }
}

/** FNV-1a over bytes[start, end): the check word of an entry. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

export class SharedStructureStore implements StructureStore {
  static readonly defaultLength = STRUCTURES_DEFAULT_LENGTH;

  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly mutex: Mutex;
  /** What this process parsed so far: the structures, and the entry bytes they took. */
  private parsed: readonly Structure[] = Object.freeze([]);
  private parsedUsed = 0;

  /** Writes an empty region: no structures. Only while nobody uses it. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number = STRUCTURES_DEFAULT_LENGTH): void {
    checkLength(length, 'SharedStructureStore.initialize');
    checkPlacement('SharedStructureStore.initialize', buffer, byteOffset, length, STRUCTURES_ALIGNMENT);
    new Uint8Array(buffer, byteOffset, length).fill(0);
    const words = new Int32Array(buffer, byteOffset, STRUCTURES_ENTRIES_OFFSET >> 2);
    words[FORMAT] = STRUCTURES_VERSION;
    words[LENGTH] = length;
    Mutex.initialize(buffer, byteOffset + STRUCTURES_LOCK_OFFSET);
    Atomics.store(words, MAGIC, STRUCTURES_MAGIC); // SYNC POINT: the region is ready
  }

  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, readonly length: number, waiter: Waiter) {
    checkLength(length, 'SharedStructureStore');
    checkPlacement('SharedStructureStore', buffer, byteOffset, length, STRUCTURES_ALIGNMENT);
    this.words = new Int32Array(buffer, byteOffset, STRUCTURES_ENTRIES_OFFSET >> 2);
    this.bytes = new Uint8Array(buffer, byteOffset, length);
    this.view = new DataView(buffer, byteOffset, length);
    if (Atomics.load(this.words, MAGIC) !== STRUCTURES_MAGIC || this.words[FORMAT] !== STRUCTURES_VERSION || this.words[LENGTH] !== length) {
      throw new CorruptHeapError(`no shared structure region of ${length} bytes at offset ${byteOffset} (magic, format or length differ)`);
    }
    this.mutex = new Mutex(buffer, byteOffset + STRUCTURES_LOCK_OFFSET, waiter);
  }

  /** Structures published so far (their number is the version). Throws CorruptHeapError for a damaged region. */
  load(): { version: number; structures: readonly Structure[] } {
    const published = Atomics.load(this.words, PUBLISHED); // SYNC POINT: acquire what writers published
    const count = published >>> PUBLISHED_COUNT_SHIFT;
    const used = published & PUBLISHED_USED_MASK;
    if (count !== this.parsed.length || used !== this.parsedUsed) this.parseUpTo(count, used);
    return { version: count, structures: this.parsed };
  }

  /**
   * Appends structures[expectedVersion..] if the region still holds exactly expectedVersion
   * structures and they fit; false otherwise (someone saved first, or no room).
   */
  save(structures: readonly Structure[], expectedVersion: number): boolean {
    if (!Array.isArray(structures) || !Number.isInteger(expectedVersion) || expectedVersion < 0 || structures.length < expectedVersion) return false;
    const added = structures.length - expectedVersion;
    const entries = this.encodeEntries(structures, expectedVersion);
    if (entries === null) return false;
    try {
      this.mutex.lock({ timeout: SAVE_LOCK_TIMEOUT_MS }); // a dead holder's lock is recovered: it published nothing
    } catch (error) {
      if (error instanceof TimeoutError) return false;
      throw error;
    }
    try {
      const published = Atomics.load(this.words, PUBLISHED);
      const count = published >>> PUBLISHED_COUNT_SHIFT;
      const used = published & PUBLISHED_USED_MASK;
      if (count !== expectedVersion) return false;
      if (added === 0) return true;
      if (STRUCTURES_ENTRIES_OFFSET + used + entries.length > this.length || count + added > MAX_PUBLISHED_COUNT) return false;
      this.bytes.set(entries, STRUCTURES_ENTRIES_OFFSET + used);
      Atomics.store(this.words, PUBLISHED, ((count + added) << PUBLISHED_COUNT_SHIFT) | (used + entries.length)); // SYNC POINT: publish
      return true;
    } finally {
      this.mutex.unlock();
    }
  }

  /** Structures published, and the bytes of the region they fill (for inspection). */
  stats(): { count: number; usedBytes: number; capacityBytes: number } {
    const published = Atomics.load(this.words, PUBLISHED);
    return { count: published >>> PUBLISHED_COUNT_SHIFT, usedBytes: published & PUBLISHED_USED_MASK, capacityBytes: this.length - STRUCTURES_ENTRIES_OFFSET };
  }

  /** The entries of structures[from..], or null if one cannot be an entry (too long). */
  private encodeEntries(structures: readonly Structure[], from: number): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = from; i < structures.length; i++) {
      const keys = structures[i];
      if (!Array.isArray(keys) || keys.length > 0xffff) return null;
      const encoded = keys.map((key) => (typeof key === 'string' ? utf8.encode(key) : null));
      let length = ENTRY_HEADER_LENGTH;
      for (const key of encoded) {
        if (key === null || key.length > 0xffff) return null;
        length += ENTRY_KEY_HEADER_LENGTH + key.length;
      }
      if (length > 0xffff) return null;
      const entry = new Uint8Array(length);
      const view = new DataView(entry.buffer);
      view.setUint16(0, length, true);
      view.setUint16(2, keys.length, true);
      let at = ENTRY_HEADER_LENGTH;
      for (const key of encoded as Uint8Array[]) {
        view.setUint16(at, key.length, true);
        entry.set(key, at + ENTRY_KEY_HEADER_LENGTH);
        at += ENTRY_KEY_HEADER_LENGTH + key.length;
      }
      view.setUint32(4, fnv1a(entry, ENTRY_HEADER_LENGTH, length), true);
      parts.push(entry);
      total += length;
    }
    if (total > this.length - STRUCTURES_ENTRIES_OFFSET) return null;
    const all = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  }

  /** Parses the entries published since the last load (append-only: the rest is as it was). */
  private parseUpTo(count: number, used: number): void {
    const damaged = (why: string) => new CorruptHeapError(`the shared structure region is damaged: ${why}`);
    if (count < this.parsed.length || used < this.parsedUsed || STRUCTURES_ENTRIES_OFFSET + used > this.length) {
      throw damaged(`it publishes ${count} structures in ${used} bytes, after ${this.parsed.length} in ${this.parsedUsed}`);
    }
    const structures = [...this.parsed];
    let at = STRUCTURES_ENTRIES_OFFSET + this.parsedUsed;
    const end = STRUCTURES_ENTRIES_OFFSET + used;
    while (at < end) {
      if (at + ENTRY_HEADER_LENGTH > end) throw damaged(`an entry header at ${at} runs past the published bytes`);
      const length = this.view.getUint16(at, true);
      const keyCount = this.view.getUint16(at + 2, true);
      if (length < ENTRY_HEADER_LENGTH || at + length > end) throw damaged(`an entry of ${length} bytes at ${at}`);
      if (fnv1a(this.bytes, at + ENTRY_HEADER_LENGTH, at + length) !== this.view.getUint32(at + 4, true)) throw damaged(`the entry at ${at} fails its check`);
      const keys: string[] = [];
      let key = at + ENTRY_HEADER_LENGTH;
      for (let k = 0; k < keyCount; k++) {
        if (key + ENTRY_KEY_HEADER_LENGTH > at + length) throw damaged(`the keys of the entry at ${at} run past it`);
        const size = this.view.getUint16(key, true);
        const start = key + ENTRY_KEY_HEADER_LENGTH;
        if (start + size > at + length) throw damaged(`the keys of the entry at ${at} run past it`);
        keys.push(strictUtf8.decode(this.bytes.slice(start, start + size)));
        key = start + size;
      }
      if (key !== at + length) throw damaged(`the entry at ${at} has bytes after its keys`);
      structures.push(Object.freeze(keys));
      at += length;
    }
    if (structures.length !== count) throw damaged(`${structures.length} entries where ${count} are published`);
    this.parsed = Object.freeze(structures);
    this.parsedUsed = used;
  }
}
