/**
 * StoreCore: what every store structure of a namespace shares — the write lock, the undo
 * journal, the sequence counter that lets readers go without the lock, the heap, the codec,
 * and key encoding. Variables (Namespace), caches and the directory of named objects are
 * HashTables driven through it.
 *
 * Writes: write(fn) takes the lock (autolock, with the namespace's timeout) unless this
 * thread already holds it through lock(), makes the sequence odd, runs fn with the journal
 * recording, then commits and makes the sequence even. A failure undoes fn's changes.
 * Reads: read(fn) runs fn between two loads of an even sequence and retries if a write
 * slipped in between; a reader that finds a write in progress waits for it (spin, then park
 * on the sequence), and if the writer's process died, recovers the lock, which rolls the
 * journal back.
 */
import { CorruptHeapError, CorruptValueError, InvalidArgTypeError, InvalidArgValueError, NotLockedError, ShmkitError } from '../errors.js';
import { MAX_KEY_BYTES, NS_STAMPS_OFFSET, NS_READERS_WAITING_OFFSET, NS_RECOVERIES_OFFSET, NS_ROLLBACKS_OFFSET, NS_SEQUENCE_OFFSET, NS_WRITES_OFFSET } from '../layout/namespace.js';
import { freezeValue, type Codec } from '../codec/index.js';
import { isWellFormed } from '../validate.js';
import type { Mutex } from '../sync/mutex.js';
import { parseWaitOptions, type WaitOptionsArg } from '../sync/wait-options.js';
import { assertOpen, type Waiter } from '../sync/waiter.js';
import type { SharedHeap } from './heap.js';
import type { Journal } from './journal.js';
import { FNV_OFFSET, FNV_PRIME, HashTable, hashBytes, INCONSISTENT } from './table.js';
import { pauseHook } from '../sync/pause-points.js';
import { DecodedValues, PendingValues } from './decoded-values.js';

const SEQUENCE = NS_SEQUENCE_OFFSET >> 2;
const STAMPS = NS_STAMPS_OFFSET >> 2;
/** Values larger than this are decoded on every read rather than kept. */
const DECODED_MAX_BYTES = 16 * 1024;
const READERS_WAITING = NS_READERS_WAITING_OFFSET >> 2;
const WRITES = NS_WRITES_OFFSET >> 2;
const ROLLBACKS = NS_ROLLBACKS_OFFSET >> 2;
const RECOVERIES = NS_RECOVERIES_OFFSET >> 2;

/** A reader's fn returns this when what it read cannot be right; read() decides what it means. */
export const RETRY = Symbol('retry');
/** Thrown by a read inside snapshot() that saw an inconsistent state: the snapshot restarts. */
const SNAPSHOT_RETRY = Symbol('snapshot retry');

export class StoreCore {
  readonly all: Int32Array;
  readonly bytes: Uint8Array;
  /** UTF-8 of the last key passed to encodeKey(), its length and hash. */
  readonly key = new Uint8Array(MAX_KEY_BYTES);
  keyLength = 0;
  keyHash = 0;
  private readonly encoder = new TextEncoder();
  /** Decoded values of this process, by key: reused while the entry is the same version. */
  readonly decoded = new DecodedValues();
  private readonly unsettled = new PendingValues();
  private held = 0; // lock() depth of this object
  private readonly pendingFrees: number[] = [];
  private snapshots = 0; // snapshot() depth
  private groupSequenceOdd = false;

  constructor(
    readonly buffer: ArrayBuffer,
    readonly waiter: Waiter,
    readonly mutex: Mutex,
    readonly journal: Journal,
    readonly heap: SharedHeap,
    readonly codec: Codec,
    readonly autolock: boolean,
    readonly timeout: number,
  ) {
    this.all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    this.bytes = new Uint8Array(buffer);
  }

  get holdsLock(): boolean {
    return this.held > 0;
  }

  /** lock() depth of this object (0 = not held). */
  get lockDepth(): number {
    return this.held;
  }

  /**
   * Validates and encodes a key into `key` (and sets keyLength, keyHash). ASCII keys, the
   * common case, are copied and hashed in one pass over their characters: cheaper than a
   * Map of encoded keys, which also fell off a cliff (cleared and refilled on every access)
   * once a process used more keys than it held.
   */
  encodeKey(key: unknown): void {
    if (typeof key === 'string') {
      const length = key.length;
      if (length !== 0 && length <= MAX_KEY_BYTES) {
        const out = this.key;
        let hash = FNV_OFFSET;
        let i = 0;
        for (; i < length; i++) {
          const c = key.charCodeAt(i);
          if (c >= 0x80) break;
          out[i] = c;
          hash = Math.imul(hash ^ c, FNV_PRIME);
        }
        if (i === length) {
          this.keyLength = length;
          this.keyHash = hash | 0;
          return;
        }
      }
    }
    this.encodeNewKey(key);
  }

  /** Keys with non-ASCII characters (through UTF-8), and every key that is refused. */
  private encodeNewKey(key: unknown): void {
    if (typeof key !== 'string') throw new InvalidArgTypeError(`a key must be a string, got ${key === null ? 'null' : typeof key}`);
    if (key.length === 0) throw new InvalidArgValueError('a key must not be empty');
    if (key.length > MAX_KEY_BYTES) throw new InvalidArgValueError(`a key must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
    // UTF-8 turns every lone surrogate into U+FFFD: '\ud800' and '\udfff' would share a key.
    if (!isWellFormed(key)) throw new InvalidArgValueError(`a key must be well-formed UTF-16 (no lone surrogates), got ${JSON.stringify(key.slice(0, 40))}`);
    const { read, written } = this.encoder.encodeInto(key, this.key);
    if (read !== key.length) throw new InvalidArgValueError(`a key must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
    this.keyLength = written;
    this.keyHash = hashBytes(this.key, written);
  }

  // ------------------------------------------------------------------ locking

  /** Takes the write lock for a group of writes that others see all at once. */
  lock(options?: WaitOptionsArg): void {
    if (this.waiter.closed) assertOpen(this.waiter, 'namespace');
    if (this.held > 0) {
      this.held++;
      return;
    }
    if (!this.mutex.tryLock()) {
      const wait = parseWaitOptions(options, 'Namespace.lock', this.timeout);
      const grant = this.mutex.lock(wait.timeout === Infinity ? { signal: wait.signal } : { timeout: wait.timeout, signal: wait.signal });
      if (grant.recovered) this.repair();
    }
    this.held = 1;
    this.beginGroup();
  }

  async lockAsync(options?: WaitOptionsArg): Promise<void> {
    if (this.waiter.closed) assertOpen(this.waiter, 'namespace');
    if (this.held > 0) {
      this.held++;
      return;
    }
    const wait = parseWaitOptions(options, 'Namespace.lock', this.timeout);
    const grant = await this.mutex.lockAsync(wait.timeout === Infinity ? { signal: wait.signal } : { timeout: wait.timeout, signal: wait.signal });
    if (grant.recovered) this.repair();
    this.held = 1;
    this.beginGroup();
  }

  unlock(): void {
    if (this.held === 0) throw new NotLockedError('unlock() without a matching lock()');
    if (--this.held > 0) return;
    try {
      this.endGroup();
    } catch (error) {
      // The group could not be finished (damaged memory met while freeing): undo all of it
      // rather than leave the lock held and the sequence odd for every other process.
      this.journal.undoTo(0);
      this.pendingFrees.length = 0;
      this.journal.commit();
      if (this.groupSequenceOdd) this.sequenceEnd();
      throw error;
    } finally {
      this.mutex.unlock();
    }
  }

  private beginGroup(): void {
    this.journal.begin();
    this.groupSequenceOdd = false;
    // Odd with the lock free can only be damage; readers would wait forever on it.
    if ((Atomics.load(this.all, SEQUENCE) & 1) !== 0 && this.journal.pending === 0) this.sequenceEnd();
  }

  private endGroup(): void {
    this.flushFrees();
    pauseHook?.('store.commit');
    this.journal.commit();
    if (this.groupSequenceOdd) this.sequenceEnd();
  }

  /**
   * Frees a heap block at the end of the current write, not now. Blocks written during a
   * write are not journaled (undoing their allocation suffices); if a block freed early in a
   * write could be handed out again later in the same write, its bytes would be overwritten
   * without a journal, and a rollback would bring back a block full of someone else's bytes.
   */
  freeLater(offset: number): void {
    if (this.held === 0) {
      this.heap.free(offset);
      return;
    }
    this.heap.sizeOf(offset); // a bad offset fails now, inside the write, where undo works
    this.pendingFrees.push(offset);
  }

  private flushFrees(): void {
    const frees = this.pendingFrees;
    if (frees.length === 0) return; // most writes free nothing (values rewritten in place)
    for (let i = 0; i < frees.length; i++) this.heap.free(frees[i]!);
    frees.length = 0;
  }

  /** The table whose header is at `headerOffset`, freeing through freeLater. */
  table(headerOffset: number): HashTable {
    return new HashTable(this.buffer, headerOffset, this.heap, this.journal, (offset) => this.freeLater(offset));
  }

  /** A point a failed group can be undone back to (journal and pending frees). */
  savepoint(): { journal: number; frees: number } {
    return { journal: this.journal.mark(), frees: this.pendingFrees.length };
  }

  /** The journal part of a savepoint, and the pending frees part: savepoint() without an object. */
  get journalMark(): number {
    return this.journal.mark();
  }

  get freesMark(): number {
    return this.pendingFrees.length;
  }

  undoToMarks(journal: number, frees: number): void {
    this.journal.undoTo(journal);
    this.pendingFrees.length = frees;
  }

  undoTo(point: { journal: number; frees: number }): void {
    this.journal.undoTo(point.journal);
    this.pendingFrees.length = point.frees;
  }

  /** Runs a write: autolocked unless a lock() group is open; all or nothing. */
  write<T>(fn: () => T, lockAnyway = false): T {
    if (this.waiter.closed) assertOpen(this.waiter, 'namespace');
    if (this.held > 0) {
      if (!this.groupSequenceOdd) {
        this.sequenceBegin();
        this.groupSequenceOdd = true;
      }
      const mark = this.journal.mark();
      const frees = this.pendingFrees.length;
      try {
        return fn();
      } catch (error) {
        this.journal.undoTo(mark);
        if (this.pendingFrees.length !== frees) this.pendingFrees.length = frees;
        throw error;
      }
    }
    if (!this.autolock && !lockAnyway) throw new NotLockedError('autolock is off: call lock() (or withLock) before writing');
    this.lock();
    try {
      return this.write(fn);
    } finally {
      this.unlock();
    }
  }

  private sequenceBegin(): void {
    Atomics.add(this.all, SEQUENCE, 1); // SYNC POINT: odd, readers of this moment will retry
    this.all[WRITES]!++; // under the lock: only its holder writes it
  }

  private sequenceEnd(): void {
    Atomics.add(this.all, SEQUENCE, 1); // SYNC POINT: even again, the write is whole
    if (Atomics.load(this.all, READERS_WAITING) > 0) this.waiter.notify(NS_SEQUENCE_OFFSET, 0x7fff_ffff);
  }

  /** After taking the lock from a dead writer: undo its half-done write, settle the sequence. */
  repair(): void {
    Atomics.add(this.all, RECOVERIES, 1);
    this.pendingFrees.length = 0;
    if (this.journal.rollback() > 0) Atomics.add(this.all, ROLLBACKS, 1);
    if ((Atomics.load(this.all, SEQUENCE) & 1) !== 0) this.sequenceEnd();
  }

  // ------------------------------------------------------------------ reading

  /**
   * Runs fn against a stable snapshot: retries when a write overlapped it. fn returns RETRY
   * when what it read cannot be right; if that happens with no write overlapping, the
   * memory is damaged (CorruptHeapError).
   */
  read<T>(fn: () => T | typeof RETRY): T {
    if (this.waiter.closed) assertOpen(this.waiter, 'namespace');
    if (this.snapshots > 0) {
      const result = fn(); // the enclosing snapshot validates the whole
      if (result === RETRY) throw SNAPSHOT_RETRY;
      return result;
    }
    if (this.held > 0) {
      const result = fn(); // our own group: nobody else writes, our writes are what we read
      this.settle(true);
      if (result === RETRY) throw new CorruptHeapError('a namespace table is inconsistent');
      return result;
    }
    for (let attempt = 0; ; attempt++) {
      const before = Atomics.load(this.all, SEQUENCE);
      if ((before & 1) !== 0) {
        this.awaitWriter(before);
        continue;
      }
      let result: T | typeof RETRY;
      try {
        result = fn();
        pauseHook?.('seqlock.read');
      } catch (error) {
        this.settle(false);
        if (Atomics.load(this.all, SEQUENCE) !== before) continue; // read torn data: retry
        throw error;
      }
      const valid = Atomics.load(this.all, SEQUENCE) === before;
      this.settle(valid);
      if (valid) {
        if (result === RETRY) throw new CorruptHeapError('a namespace table is inconsistent (damaged memory)');
        return result;
      }
    }
  }

  /**
   * Runs fn (which may read many keys) against one consistent state: retried until no write
   * overlapped it. Groups written under lock() are seen whole or not at all.
   */
  snapshot<T>(fn: () => T): T {
    if (this.waiter.closed) assertOpen(this.waiter, 'namespace');
    if (this.held > 0 || this.snapshots > 0) return fn();
    for (;;) {
      const before = Atomics.load(this.all, SEQUENCE);
      if ((before & 1) !== 0) {
        this.awaitWriter(before);
        continue;
      }
      this.snapshots++;
      let result: T;
      try {
        result = fn();
      } catch (error) {
        this.settle(false);
        if (Atomics.load(this.all, SEQUENCE) !== before) continue;
        if (error === SNAPSHOT_RETRY) throw new CorruptHeapError('a namespace table is inconsistent (damaged memory)');
        throw error;
      } finally {
        this.snapshots--;
      }
      const valid = Atomics.load(this.all, SEQUENCE) === before;
      this.settle(valid);
      if (valid) return result;
    }
  }

  private awaitWriter(sequence: number): void {
    for (let i = 0; i < 1024; i++) if (Atomics.load(this.all, SEQUENCE) !== sequence) return;
    Atomics.add(this.all, READERS_WAITING, 1);
    let result;
    try {
      result = this.waiter.wait(NS_SEQUENCE_OFFSET, sequence, 50);
    } finally {
      Atomics.sub(this.all, READERS_WAITING, 1);
    }
    if (result === 'timed-out' && Atomics.load(this.all, SEQUENCE) === sequence) {
      // A long write, or a writer that died: taking the lock waits for the first and
      // recovers (rolls back) the second.
      this.lock();
      this.unlock();
    }
  }

  /** A new entry stamp (see ENTRY_STAMP_OFFSET). Under the lock. */
  nextStamp(): number {
    return ++this.all[STAMPS]!; // under the lock: only its holder writes it
  }

  /**
   * The value of entry `entry` (stamp `stamp`) for `key`, decoded once per version: a deep-frozen
   * object shared by every read of that version in this process. Frozen, so that code that
   * mutates what get() returned fails loudly instead of believing it changed the store.
   */
  decodeEntry(key: string, entry: number, stamp: number, at: number, length: number, decoded: DecodedValues = this.decoded): unknown {
    const known = decoded.get(key);
    if (known !== undefined && known.entry === entry && known.stamp === stamp) return known.value;
    const value = this.decode(at, length);
    if (length > DECODED_MAX_BYTES) return value;
    freezeValue(value);
    this.unsettled.add(decoded, key, entry, stamp, value); // kept once the read is validated
    return value;
  }

  /**
   * The value a write of this process just stored, from the bytes it encoded (`entry`,
   * `stamp`: where and as which version): what every later read returns, decoded, frozen and
   * kept as decodeEntry does, so its writer gets no other object than its readers do (and
   * the caller's own object is left as it was). Call it before anything else is encoded: a
   * codec may reuse the buffer of `bytes`.
   */
  decodeStored(key: string, entry: number, stamp: number, bytes: Uint8Array, decoded: DecodedValues = this.decoded): unknown {
    let value: unknown;
    try {
      value = this.codec.decode(bytes);
    } catch (error) {
      if (error instanceof ShmkitError) throw error;
      throw new CorruptValueError(`a value just stored does not decode with the codec that encoded it: ${(error as Error).message}`, { cause: error });
    }
    if (bytes.length > DECODED_MAX_BYTES) return value;
    freezeValue(value);
    decoded.keep(key, entry, stamp, value);
    return value;
  }

  /** A read was validated (or not): keep what it decoded (or drop it). */
  private settle(valid: boolean): void {
    this.unsettled.settle(valid);
  }

  /**
   * Decodes `length` bytes at `at` with the namespace codec. Bytes that do not decode (another
   * codec wrote them, or they are damaged) are CorruptValueError, whatever the codec threw.
   */
  decode(at: number, length: number): unknown {
    try {
      return this.codec.decode(this.bytes.subarray(at, at + length));
    } catch (error) {
      if (error instanceof ShmkitError) throw error;
      throw new CorruptValueError(`a stored value does not decode (written by another codec, or damaged): ${(error as Error).message}`, { cause: error });
    }
  }
}

export { INCONSISTENT };
