/**
 * Cross-process waits on 32-bit words for the Windows backend, without polling.
 *
 * WaitOnAddress wakes only threads of its own process, so a waiter parks on a named event of
 * its own instead, and says where it parks in a PARKING TABLE: a small named paging-file
 * mapping beside each section ('Local\shmkit-park.<name>'), shared by every process that maps
 * the section. A table slot holds the word's offset in the section and the waiter's event
 * (its pid and a random token name it: 'Local\shmkit-wake.<pid>.<token>').
 *
 * - wait: reset its event, publish a slot, count itself parked, check the word, then
 *   WaitForSingleObject on its event; unpark after. Each thread has one auto-reset event for
 *   sync waits and one for its (single) async wait.
 * - wake: read the parked count; zero means nobody is parked and the wake makes no system
 *   call at all (the futex rule). Otherwise open (cached) and SetEvent the events of up to
 *   `count` slots parked on that offset.
 *
 * No lost wake-up: the waiter publishes and counts itself before it checks the word, and the
 * waker changes the word before it reads the count (all sequentially consistent). A waker
 * that sees the count finds the slot; a waiter that checks after the change sees it. A wake
 * that lands after a waiter timed out leaves its event set; the event is reset before the
 * next park, so that costs nothing but is reported as 'ok' (a spurious wake, which callers
 * allow for) when it is seen on the way out.
 *
 * Anonymous mappings (the doorbell hub's control word) share one table private to the
 * process. A word outside any mapping this backend made, or a full table (2046 parked
 * threads on one section), falls back to short sleeps.
 */
import { randomInt } from 'node:crypto';
import koffi from 'koffi';
import { SystemError } from '../errors.js';
import {
  ERROR_ALREADY_EXISTS,
  EVENT_MODIFY_STATE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  INFINITE,
  PAGE_READWRITE,
  SEC_COMMIT,
  WAIT_OBJECT_0,
  type Kernel32,
  translateWinError,
} from './windows-kernel32.js';
import type { WaitResult, WatchedWord } from './types.js';

/** The table's bytes: a 64-byte header (parked count, slot high water), then 32-byte slots. */
export const PARKING_TABLE_BYTES = 64 * 1024;
const HEADER_BYTES = 64, SLOT_BYTES = 32;
const PARKED = 0, HIGH_WATER = 1; // Int32 indices of the header
const STATE = 0, OFFSET_LOW = 1, OFFSET_HIGH = 2, PID = 3, TOKEN = 4; // Int32 indices of a slot
const FREE = 0, CLAIMED = 1, PUBLISHED = 2;
export const PARKING_SLOTS = (PARKING_TABLE_BYTES - HEADER_BYTES) / SLOT_BYTES;
/** Opened events of other threads kept for the next wake; dropped all at once past this. */
const EVENT_CACHE_LIMIT = 256;
/** The fallback's sleep, for words this backend cannot park on. */
const FALLBACK_SLICE_MS = 1;

/** One mapped parking table, shared by every view of one section in this process. */
interface Table {
  readonly key: string;
  readonly handle: bigint;
  readonly address: bigint;
  readonly words: Int32Array;
  users: number;
}

/** A mapped range of some section (or anonymous memory) and the table its waiters park in. */
interface Range {
  readonly start: bigint;
  readonly end: bigint;
  readonly table: Table;
}

export class Parking {
  private readonly tables = new Map<string, Table>();
  private ranges: Range[] = [];
  private lastHit: Range | undefined;
  private syncEvent: { handle: bigint; token: number } | undefined;
  private asyncEvent: { handle: bigint; token: number } | undefined;
  private readonly opened = new Map<string, bigint>();
  /** WaitForSingleObject on a libuv pool thread: (handle, ms, callback). */
  private readonly waitAsync: (handle: bigint, ms: number, done: (error: unknown, result: number) => void) => void;

  constructor(
    private readonly k: Kernel32,
    private readonly pid: number,
  ) {
    this.waitAsync = k.waitForSingleObject.async;
  }

  /**
   * Makes waits and wakes on [start, start + length) park in the table called `tableName`
   * (null: the process's private table), until forget(start).
   */
  track(start: bigint, length: number, tableName: string | null): void {
    const key = tableName ?? `private:${this.pid}`;
    let table = this.tables.get(key);
    if (!table) {
      table = this.openTable(key, tableName);
      this.tables.set(key, table);
    }
    table.users++;
    this.ranges.push({ start, end: start + BigInt(length), table });
  }

  /** The range at `start` is unmapped: stop parking there; the table goes with its last range. */
  forget(start: bigint): void {
    const index = this.ranges.findIndex((range) => range.start === start);
    if (index < 0) return;
    const [range] = this.ranges.splice(index, 1) as [Range];
    if (this.lastHit === range) this.lastHit = undefined;
    if (--range.table.users > 0) return;
    this.tables.delete(range.table.key);
    this.k.unmapViewOfFile(range.table.address);
    this.k.closeHandle(range.table.handle);
  }

  wait(address: bigint, expected: number, timeoutMs: number): WaitResult {
    const want = expected | 0;
    if (this.read(address) !== want) return 'not-equal';
    if (timeoutMs <= 0) return 'timed-out';
    const range = this.find(address);
    const event = (this.syncEvent ??= this.createEvent());
    const slot = range ? this.park(range, address, event.token) : -1;
    if (slot < 0) return this.sleepWhileEqual(address, want, timeoutMs);
    const words = range!.table.words;
    if (this.read(address) !== want) {
      this.unpark(words, slot);
      return 'not-equal';
    }
    const result = this.k.waitForSingleObject(event.handle, toWaitMs(timeoutMs)) as number;
    this.unpark(words, slot);
    if (result === WAIT_OBJECT_0) return 'ok';
    // A wake that raced our timeout set the event: report it, the caller re-checks anyway.
    return (this.k.waitForSingleObject(event.handle, 0) as number) === WAIT_OBJECT_0 ? 'ok' : 'timed-out';
  }

  wake(address: bigint, count: number): number {
    const range = this.find(address);
    if (!range) return 0;
    const words = range.table.words;
    if (Atomics.load(words, PARKED) === 0) return 0; // nobody parked: no system call
    const offset = address - range.start;
    const low = Number(offset & 0xffff_ffffn) | 0, high = Number(offset >> 32n) | 0;
    const highWater = Atomics.load(words, HIGH_WATER);
    let woken = 0;
    for (let slot = 0; slot < highWater && woken < count; slot++) {
      const at = (HEADER_BYTES + slot * SLOT_BYTES) >> 2;
      if (Atomics.load(words, at + STATE) !== PUBLISHED) continue;
      if (Atomics.load(words, at + OFFSET_LOW) !== low || Atomics.load(words, at + OFFSET_HIGH) !== high) continue;
      if (this.signal(Atomics.load(words, at + PID) >>> 0, Atomics.load(words, at + TOKEN) >>> 0)) woken++;
    }
    return woken;
  }

  /**
   * Parks this thread's async event on every word, then waits for it on a libuv pool thread.
   * Resolves on a wake, a changed word, or the timeout.
   */
  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void> {
    if (words.some((word) => this.read(word.address) !== (word.expected | 0))) return Promise.resolve();
    const event = (this.asyncEvent ??= this.createEvent());
    this.k.resetEvent(event.handle);
    const parked: Array<{ words: Int32Array; slot: number }> = [];
    let unheard = false; // some word cannot park: wait in short slices instead
    for (const word of words) {
      const range = this.find(word.address);
      const slot = range ? this.publish(range, word.address, event.token) : -1;
      if (slot < 0) unheard = true;
      else parked.push({ words: range!.table.words, slot });
    }
    const leave = (): void => {
      for (const { words: table, slot } of parked) this.unpark(table, slot);
    };
    if (words.some((word) => this.read(word.address) !== (word.expected | 0))) {
      leave();
      return Promise.resolve();
    }
    const ms = unheard ? Math.min(timeoutMs, FALLBACK_SLICE_MS * 5) : timeoutMs;
    return new Promise((resolve) => {
      this.waitAsync(event.handle, toWaitMs(ms), () => {
        leave();
        resolve();
      });
    });
  }

  /** Resets this thread's sync event, then publishes a slot; -1 when the table is full. */
  private park(range: Range, address: bigint, token: number): number {
    this.k.resetEvent(this.syncEvent!.handle);
    return this.publish(range, address, token);
  }

  private publish(range: Range, address: bigint, token: number): number {
    const words = range.table.words;
    const offset = address - range.start;
    for (let slot = 0; slot < PARKING_SLOTS; slot++) {
      const at = (HEADER_BYTES + slot * SLOT_BYTES) >> 2;
      if (Atomics.load(words, at + STATE) !== FREE) continue;
      if (Atomics.compareExchange(words, at + STATE, FREE, CLAIMED) !== FREE) continue;
      Atomics.store(words, at + OFFSET_LOW, Number(offset & 0xffff_ffffn) | 0);
      Atomics.store(words, at + OFFSET_HIGH, Number(offset >> 32n) | 0);
      Atomics.store(words, at + PID, this.pid | 0);
      Atomics.store(words, at + TOKEN, token | 0);
      for (let seen = Atomics.load(words, HIGH_WATER); seen <= slot; seen = Atomics.load(words, HIGH_WATER)) {
        if (Atomics.compareExchange(words, HIGH_WATER, seen, slot + 1) === seen) break;
      }
      Atomics.store(words, at + STATE, PUBLISHED); // SYNC POINT: published, then counted,
      Atomics.add(words, PARKED, 1); //              then the caller checks the word
      return slot;
    }
    return -1;
  }

  private unpark(words: Int32Array, slot: number): void {
    Atomics.sub(words, PARKED, 1);
    Atomics.store(words, ((HEADER_BYTES + slot * SLOT_BYTES) >> 2) + STATE, FREE);
  }

  /** Sets another thread's event; false when it is gone (its thread ended). */
  private signal(pid: number, token: number): boolean {
    const key = `${pid}.${token}`;
    let handle = this.opened.get(key);
    if (handle === undefined) {
      const opened = this.k.openEvent(EVENT_MODIFY_STATE, 0, eventName(pid, token)) as bigint | null;
      if (opened === null) return false;
      if (this.opened.size >= EVENT_CACHE_LIMIT) {
        for (const stale of this.opened.values()) this.k.closeHandle(stale);
        this.opened.clear();
      }
      handle = opened;
      this.opened.set(key, handle);
    }
    return this.k.setEvent(handle) !== 0;
  }

  private find(address: bigint): Range | undefined {
    const last = this.lastHit;
    if (last && address >= last.start && address < last.end) return last;
    for (const range of this.ranges) {
      if (address >= range.start && address < range.end) return (this.lastHit = range);
    }
    return undefined;
  }

  private openTable(key: string, name: string | null): Table {
    // Create-or-open: the first process to map the section makes it, zero-filled.
    const handle = this.k.createFileMapping(-1, null, PAGE_READWRITE | SEC_COMMIT, 0, PARKING_TABLE_BYTES, name) as bigint | null;
    if (handle === null) throw translateWinError(this.k.getLastError() as number, 'creating a parking table', key, 'CreateFileMappingW');
    const address = this.k.mapViewOfFile(handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, PARKING_TABLE_BYTES) as bigint | null;
    if (address === null) {
      const error = this.k.getLastError() as number;
      this.k.closeHandle(handle);
      throw translateWinError(error, 'mapping a parking table', key, 'MapViewOfFile');
    }
    const words = new Int32Array(koffi.view(address, PARKING_TABLE_BYTES));
    return { key, handle, address, words, users: 0 };
  }

  /** A new auto-reset event under a random token no live event of this process uses. */
  private createEvent(): { handle: bigint; token: number } {
    for (;;) {
      const token = randomInt(1, 0x7fff_ffff);
      const handle = this.k.createEvent(null, 0, 0, eventName(this.pid, token)) as bigint | null;
      const error = this.k.getLastError() as number;
      if (handle === null) throw new SystemError(`CreateEventW failed: Windows error ${error}`, error, 'CreateEventW');
      if (error !== ERROR_ALREADY_EXISTS) return { handle, token };
      this.k.closeHandle(handle);
    }
  }

  /** The fallback: a brief spin, then 1 ms sleeps until the word changes or the deadline. */
  private sleepWhileEqual(address: bigint, want: number, timeoutMs: number): WaitResult {
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    for (let checks = 0; ; checks++) {
      if (this.read(address) !== want) return 'ok';
      if (performance.now() >= deadline) return 'timed-out';
      if (checks >= 100) this.k.sleep(FALLBACK_SLICE_MS);
    }
  }

  /** An aligned 32-bit load: one instruction on x64 and arm64, so never a torn value. */
  private read(address: bigint): number {
    return koffi.decode(address, 'int32_t') as number;
  }
}

export function eventName(pid: number, token: number): string {
  return `Local\\shmkit-wake.${pid}.${token}`;
}

/** Milliseconds for WaitForSingleObject: Infinity is INFINITE, the rest rounded up below it. */
function toWaitMs(timeoutMs: number): number {
  if (timeoutMs === Infinity) return INFINITE;
  return Math.min(Math.max(0, Math.ceil(timeoutMs)), INFINITE - 1);
}
