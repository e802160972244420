/**
 * Semaphore: a counting semaphore on one word (layout in src/layout/sync.ts). acquire takes a
 * permit, parking while the count is 0; release adds permits and wakes as many waiters, with a
 * syscall only when the waiters count says someone may be parked.
 *
 * No lost wake-up: an acquirer raises `waiters` before its last look at the count, and parks
 * only while the count is still 0 (the futex compares); a releaser raises the count before it
 * reads `waiters`. Either the acquirer sees the permit or the releaser sees the waiter.
 */
import { OutOfRangeError } from '../errors.js';
import { SEMAPHORE_COUNT_OFFSET, SEMAPHORE_LENGTH, SEMAPHORE_WAITERS_OFFSET } from '../layout/sync.js';
import { validateInteger } from '../validate.js';
import { checkPlacement, placeWords } from './placement.js';
import {
  parseWaitOptions,
  parkAsync,
  parkSync,
  spinWhile,
  type ParsedWait,
  type WaitOptionsArg,
} from './wait-options.js';
import { assertOpen, type Waiter } from './waiter.js';

const COUNT = SEMAPHORE_COUNT_OFFSET >> 2;
const WAITERS = SEMAPHORE_WAITERS_OFFSET >> 2;
const MAX_COUNT = 0x7fff_ffff;

/**
 * A counting semaphore shared by threads and processes, placed at an 8-byte aligned offset of
 * shared memory: acquire takes a permit, waiting while there is none; release gives permits
 * back. Permits are not tied to who took them: one taken by a process that dies is not
 * given back.
 */
export class Semaphore {
  /** Bytes a Semaphore takes in the buffer (16). */
  static readonly byteLength = SEMAPHORE_LENGTH;

  private readonly words: Int32Array;
  private readonly countOffset: number;

  /**
   * A handle on the semaphore at `byteOffset` of `buffer` (initialized once, by its creator),
   * waiting through `waiter`, which must be bound to the same buffer. A bad placement is
   * InvalidArgTypeError, OutOfRangeError or InvalidArgValueError.
   */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, private readonly waiter: Waiter) {
    this.words = placeWords('Semaphore', buffer, byteOffset, SEMAPHORE_LENGTH, waiter);
    this.countOffset = byteOffset + SEMAPHORE_COUNT_OFFSET;
  }

  /** Sets the initial count. Only while nobody uses the semaphore. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, initial: number): void {
    checkPlacement('Semaphore.initialize', buffer, byteOffset, SEMAPHORE_LENGTH);
    validateInteger(initial, 'initial', 0, MAX_COUNT);
    const words = new Int32Array(buffer, byteOffset, SEMAPHORE_LENGTH >> 2);
    words.fill(0);
    Atomics.store(words, COUNT, initial);
  }

  /** Permits available now. */
  get count(): number {
    return Atomics.load(this.words, COUNT);
  }

  /** Takes a permit if one is there now; false if not. Never blocks. */
  tryAcquire(): boolean {
    assertOpen(this.waiter, 'Semaphore');
    for (let count = Atomics.load(this.words, COUNT); count > 0; count = Atomics.load(this.words, COUNT)) {
      if (Atomics.compareExchange(this.words, COUNT, count, count - 1) === count) return true;
    }
    return false;
  }

  private readonly probe = (): boolean => this.tryAcquire();

  /**
   * Takes a permit, blocking this thread while there is none (for workers). TimeoutError
   * after `timeout` ms, AbortError when `signal` aborts; either way no permit is taken.
   */
  acquire(options?: WaitOptionsArg): void {
    if (this.tryAcquire()) return;
    const wait = parseWaitOptions(options, 'Semaphore.acquire');
    if (spinWhile(wait, this.probe, false)) return;
    Atomics.add(this.words, WAITERS, 1);
    try {
      while (!this.tryAcquire()) parkSync(this.waiter, this.countOffset, 0, wait, 'Semaphore.acquire');
    } catch (error) {
      this.passWakeOn();
      throw error;
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }

  /** Like acquire(), without blocking the event loop. */
  async acquireAsync(options?: WaitOptionsArg): Promise<void> {
    const wait: ParsedWait = parseWaitOptions(options, 'Semaphore.acquireAsync');
    if (this.tryAcquire() || spinWhile(wait, this.probe, true)) return;
    Atomics.add(this.words, WAITERS, 1);
    try {
      while (!this.tryAcquire()) await parkAsync(this.waiter, this.countOffset, 0, wait, 'Semaphore.acquireAsync');
    } catch (error) {
      this.passWakeOn();
      throw error;
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }

  /**
   * A waiter leaving on timeout or abort may have been the one a release() woke: if a permit
   * is there, wake another waiter in its place, so the wake-up is not lost.
   */
  private passWakeOn(): void {
    if (Atomics.load(this.words, COUNT) > 0 && Atomics.load(this.words, WAITERS) > 1) {
      this.waiter.notify(this.countOffset, 1);
    }
  }

  /** Adds `permits` (default 1) and wakes up to that many waiters. */
  release(permits = 1): void {
    assertOpen(this.waiter, 'Semaphore');
    validateInteger(permits, 'permits', 1, MAX_COUNT);
    const before = Atomics.add(this.words, COUNT, permits);
    if (before + permits > MAX_COUNT) {
      Atomics.sub(this.words, COUNT, permits);
      throw new OutOfRangeError(`Semaphore.release would raise the count past ${MAX_COUNT}`);
    }
    if (Atomics.load(this.words, WAITERS) > 0) this.waiter.notify(this.countOffset, permits);
  }
}
