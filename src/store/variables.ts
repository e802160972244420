/**
 * Variables: the key/value operations of a namespace (Win32::MMF's variables) on its
 * variables table: get, has, set, delete, update, increment, keys. Namespace
 * (src/namespace.ts) exposes them; StoreCore (./store-core.ts) makes each write
 * all-or-nothing and lets reads go without the lock.
 *
 * Hot paths allocate nothing of their own: the key is encoded into the core's key buffer,
 * read and write callbacks are made once (fields hold their arguments), and a small value
 * replaced by one of about the same size is rewritten in its block (HashTable.put).
 */
import { CorruptHeapError, InvalidArgTypeError, InvalidArgValueError } from '../errors.js';
import { encodeValue } from '../codec/index.js';
import { RETRY, type StoreCore } from './store-core.js';
import { INCONSISTENT, NOT_FOUND, type EntryView, type HashTable } from './table.js';

const UPDATE_SYNC =
  'ns.update(key, fn): fn runs holding the lock and must be synchronous (old => next); ' +
  'for async work, read with get(), await, then set() — or hold lockAsync() / unlock() around it';

export class Variables {
  private readonly view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  /** The key of the get() in progress (read callbacks take no arguments). */
  private readingKey = '';
  /** The encoded value of the set() in progress. */
  private pendingValue: Uint8Array = new Uint8Array(0);
  /** The stamp of the entry the last set() wrote. */
  private lastStamp = 0;
  /** The primitive value the last update() or increment() wrote, and where (see remember). */
  private lastWrittenKey = '';
  private lastWrittenEntry = 0;
  private lastWrittenStamp = 0;
  private lastWrittenValue: unknown = undefined;

  constructor(
    private readonly core: StoreCore,
    readonly table: HashTable,
  ) {}

  get(key: string): unknown {
    this.core.encodeKey(key);
    this.readingKey = key;
    return this.core.read(this.readValue);
  }

  private readonly readValue = (): unknown => {
    const core = this.core;
    const table = this.table;
    const entry = table.find(core.key, core.keyLength, core.keyHash);
    if (entry === NOT_FOUND) return undefined;
    if (entry === INCONSISTENT || !table.read(entry, this.view)) return RETRY;
    return core.decodeEntry(this.readingKey, entry, table.stamp(entry), this.view.valueAt, this.view.valueLength);
  };

  has(key: string): boolean {
    this.core.encodeKey(key);
    return this.core.read(this.readHas);
  }

  private readonly readHas = (): boolean | typeof RETRY => {
    const core = this.core;
    const entry = this.table.find(core.key, core.keyLength, core.keyHash);
    return entry === INCONSISTENT ? RETRY : entry !== NOT_FOUND;
  };

  /** Sets `key`; `undefined` deletes it (as Win32::MMF). Unencodable values throw first. */
  set(key: string, value: unknown): void {
    if (value === undefined) {
      this.delete(key);
      return;
    }
    const core = this.core;
    // Encoded before the key: encoding can run the value's getters, which may use the store.
    this.pendingValue = encodeValue(core.codec, value);
    core.encodeKey(key);
    // The key stays encoded in core.key: taking the lock runs no other JS in this thread.
    core.write(this.putPending);
  }

  private readonly putPending = (): void => {
    const core = this.core;
    this.lastStamp = core.nextStamp();
    this.table.put(core.key, core.keyLength, core.keyHash, this.pendingValue, 0, 0, this.lastStamp);
  };

  delete(key: string): boolean {
    this.core.encodeKey(key);
    return this.core.write(this.removeKey);
  }

  private readonly removeKey = (): boolean => {
    const core = this.core;
    return this.table.remove(core.key, core.keyLength, core.keyHash);
  };

  /**
   * Atomic read-modify-write: `fn` gets the current value (its own copy, not frozen) and
   * returns the next (undefined deletes). `fn` runs holding the lock, so it must be
   * synchronous. If it throws, whatever it wrote is undone.
   */
  update<T>(key: string, fn: (current: T | undefined) => T | undefined): T | undefined {
    checkUpdateFunction(fn);
    const core = this.core;
    core.encodeKey(key); // a bad key fails before the lock
    core.lock();
    const journalMark = core.journalMark;
    const freesMark = core.freesMark;
    try {
      const next = fn(this.currentLocked(key) as T | undefined);
      if (next instanceof Promise || (typeof next === 'object' && next !== null && typeof (next as { then?: unknown }).then === 'function')) {
        if (next instanceof Promise) next.catch(() => undefined); // its rejection is answered by the error below
        throw new InvalidArgTypeError(`${UPDATE_SYNC}; it returned a Promise`);
      }
      this.set(key, next);
      if (next !== undefined) this.remember(key, next);
      return next;
    } catch (error) {
      core.undoToMarks(journalMark, freesMark);
      throw error;
    } finally {
      core.unlock();
    }
  }

  /**
   * Adds `by` to the number at `key` (a missing key counts as 0) and returns the sum, as one
   * atomic step for every process: an update without a callback. The value stays an
   * ordinary number: get(), snapshots and lock() groups see it like any other.
   */
  increment(key: string, by: number, what: string): number {
    if (typeof by !== 'number') throw new InvalidArgTypeError(`${what}: by must be a number, got ${by === null ? 'null' : typeof by}`);
    if (!Number.isFinite(by)) throw new InvalidArgValueError(`${what}: by must be a finite number, got ${by}`);
    const core = this.core;
    core.encodeKey(key);
    core.lock();
    try {
      const current = this.currentLocked(key);
      if (current !== undefined && typeof current !== 'number') {
        throw new InvalidArgTypeError(`${what}: '${key}' holds a ${current === null ? 'null' : typeof current}, not a number`);
      }
      const next = (current ?? 0) + by;
      this.set(key, next);
      this.remember(key, next);
      return next;
    } finally {
      core.unlock();
    }
  }

  /**
   * The value at `key`, under the lock. An object is decoded afresh (a copy the caller may
   * change); a primitive this process wrote last, still at the same version, is not decoded
   * again (a counter incremented over and over).
   */
  private currentLocked(key: string): unknown {
    const core = this.core; // the key is encoded: taking the lock ran no other JS
    const entry = this.table.find(core.key, core.keyLength, core.keyHash);
    if (entry === NOT_FOUND) return undefined;
    if (entry === INCONSISTENT || !this.table.read(entry, this.view)) throw new CorruptHeapError('the variables table is inconsistent (damaged memory)');
    if (entry === this.lastWrittenEntry && key === this.lastWrittenKey && this.table.stamp(entry) === this.lastWrittenStamp) return this.lastWrittenValue;
    return core.decode(this.view.valueAt, this.view.valueLength);
  }

  /**
   * After a set() of `value` under the lock: a primitive is remembered with the version it
   * was written as (stamps are never reused, so a version undone by a rollback never
   * matches again). One key, not a Map: updates that go round many keys must not pay for it.
   */
  private remember(key: string, value: unknown): void {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      this.lastWrittenEntry = 0;
      return;
    }
    this.lastWrittenKey = key;
    this.lastWrittenEntry = this.table.lastPut;
    this.lastWrittenStamp = this.lastStamp;
    this.lastWrittenValue = value;
  }

  keys(): string[] {
    return this.core.read(() => {
      const keys: string[] = [];
      for (const entry of this.table.entries()) keys.push(this.table.keyOf(entry));
      return keys;
    });
  }

  get count(): number {
    return this.table.count;
  }
}

function checkUpdateFunction(fn: unknown): void {
  if (typeof fn !== 'function') {
    throw new InvalidArgTypeError(`ns.update(key, fn): fn must be a function (old => next), got ${fn === null ? 'null' : typeof fn}`);
  }
  const tag = Object.prototype.toString.call(fn);
  if (tag === '[object AsyncFunction]' || tag === '[object AsyncGeneratorFunction]') throw new InvalidArgTypeError(`${UPDATE_SYNC}; got an async function`);
}
