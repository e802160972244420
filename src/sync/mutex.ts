/**
 * Mutex: a robust, cross-process lock on one 32-bit owner word (layout in src/layout/sync.ts).
 *
 * The owner word holds the owner's pid and a hash of its start time (src/layout/owner.ts), set
 * by the CAS that takes the lock, plus a W bit meaning "someone may be parked". Unlock is one
 * exchange; it makes a syscall only when W was set. A waiter whose park slice runs out with
 * nothing happening checks that the owner still lives; if the owner died, the waiter takes
 * the lock by CAS from the dead owner's word and learns it was recovered (`grant.recovered`,
 * and the `onRecover` callback), so the structure the lock guards can repair itself first.
 *
 * In one thread, async callers queue through async-mutex, so only one of them at a time
 * contends the shared word (and sync callers are not starved by a crowd of promises).
 */
import { Mutex as LocalQueue, type MutexInterface } from 'async-mutex';
import { DeadlockError, NotOwnerError } from '../errors.js';
import { OWNER_WAITERS_BIT, ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import { MUTEX_LENGTH, MUTEX_OWNER_OFFSET, MUTEX_RECOVERIES_OFFSET, MUTEX_THREAD_OFFSET } from '../layout/sync.js';
import { checkPlacement, placeWords } from './placement.js';
import {
  FIRST_PARK_SLICE_MS,
  MAX_PARK_SLICE_MS,
  parkAsync,
  parseWaitOptions,
  remainingMs,
  spinWhile,
  throwIfAborted,
  timeoutError,
  type ParsedWait,
  type WaitOptionsArg,
} from './wait-options.js';
import { assertOpen, type Waiter } from './waiter.js';
import { pauseHook } from './pause-points.js';

/** What lock() and lockAsync() hand back once the lock is held. */
export interface LockGrant {
  /** True when the previous owner died holding the lock: check what it guards. */
  readonly recovered: boolean;
}

const GRANTED: LockGrant = Object.freeze({ recovered: false });
const RECOVERED: LockGrant = Object.freeze({ recovered: true });

const OWNER = MUTEX_OWNER_OFFSET >> 2;
const THREAD = MUTEX_THREAD_OFFSET >> 2;
const RECOVERIES = MUTEX_RECOVERIES_OFFSET >> 2;

/** Options of the Mutex constructor. */
export interface MutexOptions {
  /** Called (before lock returns) when the lock was taken over from a dead owner. */
  onRecover?: () => void;
}

/**
 * A lock shared by threads and processes, placed at an 8-byte aligned offset of shared
 * memory (a section's buffer, or a SharedArrayBuffer between threads). Robust: a waiter takes
 * over the lock of an owner that died holding it and is told so (`grant.recovered`). Not
 * recursive (DeadlockError); only the holding thread may unlock (NotOwnerError).
 */
export class Mutex {
  /** Bytes a Mutex takes in the buffer (16). */
  static readonly byteLength = MUTEX_LENGTH;

  private readonly words: Int32Array;
  private readonly ownerOffset: number;
  private readonly self: number;
  private readonly threadId: number;
  private readonly local = new LocalQueue();
  private releaseLocal: MutexInterface.Releaser | undefined;
  private readonly onRecover: (() => void) | undefined;

  /**
   * A handle on the mutex at `byteOffset` of `buffer` (initialized once, by its creator),
   * waiting through `waiter`, which must be bound to the same buffer. A bad placement is
   * InvalidArgTypeError, OutOfRangeError or InvalidArgValueError; nothing is written.
   */
  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    private readonly waiter: Waiter,
    options: MutexOptions = {},
  ) {
    this.words = placeWords('Mutex', buffer, byteOffset, MUTEX_LENGTH, waiter);
    this.ownerOffset = byteOffset + MUTEX_OWNER_OFFSET;
    this.self = ownerWord(waiter.identity.pid, waiter.identity.startTime);
    this.threadId = waiter.identity.threadId;
    this.onRecover = options.onRecover;
  }

  /** Zeroes a mutex's bytes: unlocked, no recoveries. Only while nobody uses it. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number): void {
    checkPlacement('Mutex.initialize', buffer, byteOffset, MUTEX_LENGTH);
    new Int32Array(buffer, byteOffset, MUTEX_LENGTH >> 2).fill(0);
  }

  /** Whether anyone (any thread or process) holds the lock at this instant. */
  get isLocked(): boolean {
    return Atomics.load(this.words, OWNER) !== 0;
  }

  /** Whether this thread holds the lock. */
  get isOwnedByMe(): boolean {
    const word = Atomics.load(this.words, OWNER);
    return (word & ~OWNER_WAITERS_BIT) === this.self && Atomics.load(this.words, THREAD) === this.threadId;
  }

  /** Times the lock has been recovered from a dead owner, by anyone. */
  get recoveries(): number {
    return Atomics.load(this.words, RECOVERIES);
  }

  /** A spin probe: takes the lock if it looks free (a load before the CAS spares the line). */
  private readonly tryFreeLock = (): boolean => Atomics.load(this.words, OWNER) === 0 && this.tryLock();

  /** Takes the lock if it is free; never blocks. */
  tryLock(): boolean {
    assertOpen(this.waiter, 'Mutex');
    if (Atomics.compareExchange(this.words, OWNER, 0, this.self) !== 0) return false;
    Atomics.store(this.words, THREAD, this.threadId);
    pauseHook?.('mutex.acquired');
    return true;
  }

  /** Blocks this thread until the lock is taken, the timeout passes (TimeoutError) or the signal aborts. */
  lock(options?: WaitOptionsArg): LockGrant {
    if (this.tryLock()) return GRANTED;
    return this.lockSlow(parseWaitOptions(options, 'Mutex.lock'));
  }

  private lockSlow(wait: ParsedWait): LockGrant {
    this.checkNotHeldByMe();
    if (spinWhile(wait, this.tryFreeLock, false)) return GRANTED;
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      const step = this.step();
      if (step !== undefined) return step;
      throwIfAborted(wait);
      const left = remainingMs(wait);
      if (left === 0) throw timeoutError('Mutex.lock', wait);
      const word = Atomics.load(this.words, OWNER);
      if (word === 0 || (word & OWNER_WAITERS_BIT) === 0) continue;
      const result = this.waiter.wait(this.ownerOffset, word, Math.min(slice, left));
      if (result === 'timed-out') {
        const recovered = this.recoverFromDeadOwner(word);
        if (recovered) return recovered;
        slice = Math.min(slice * 2, MAX_PARK_SLICE_MS);
      }
    }
  }

  /** Like lock(), without blocking the event loop. */
  async lockAsync(options?: WaitOptionsArg): Promise<LockGrant> {
    const wait = parseWaitOptions(options, 'Mutex.lockAsync');
    throwIfAborted(wait);
    const release = await this.acquireLocal(wait);
    try {
      const grant = this.tryLock() ? GRANTED : await this.lockSharedAsync(wait);
      this.releaseLocal = release;
      return grant;
    } catch (error) {
      release();
      throw error;
    }
  }

  private async lockSharedAsync(wait: ParsedWait): Promise<LockGrant> {
    this.checkNotHeldByMe();
    if (spinWhile(wait, this.tryFreeLock, true)) return GRANTED;
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      const step = this.step();
      if (step !== undefined) return step;
      throwIfAborted(wait);
      const left = remainingMs(wait);
      if (left === 0) throw timeoutError('Mutex.lockAsync', wait);
      const word = Atomics.load(this.words, OWNER);
      if (word === 0 || (word & OWNER_WAITERS_BIT) === 0) continue;
      const result = await parkAsync(this.waiter, this.ownerOffset, word, wait, 'Mutex.lockAsync', slice);
      if (result === 'timed-out') {
        const recovered = this.recoverFromDeadOwner(word);
        if (recovered) return recovered;
        slice = Math.min(slice * 2, MAX_PARK_SLICE_MS);
      }
    }
  }

  /**
   * One attempt of the slow path: take a free lock (keeping W set, since others may be parked)
   * or set W on a held one so its owner wakes us. Returns a grant, or undefined to park.
   */
  private step(): LockGrant | undefined {
    const word = Atomics.load(this.words, OWNER);
    if (word === 0) {
      if (Atomics.compareExchange(this.words, OWNER, 0, this.self | OWNER_WAITERS_BIT) === 0) {
        Atomics.store(this.words, THREAD, this.threadId);
        return GRANTED;
      }
      return undefined;
    }
    if ((word & OWNER_WAITERS_BIT) === 0) Atomics.compareExchange(this.words, OWNER, word, word | OWNER_WAITERS_BIT);
    return undefined;
  }

  /** The owner has been silent for a whole slice: if it died, take the lock from it. */
  private recoverFromDeadOwner(word: number): LockGrant | undefined {
    if (this.waiter.isAlive(ownerPid(word), ownerHash(word))) return undefined;
    if (Atomics.compareExchange(this.words, OWNER, word, this.self | OWNER_WAITERS_BIT) !== word) return undefined;
    Atomics.store(this.words, THREAD, this.threadId);
    Atomics.add(this.words, RECOVERIES, 1);
    this.onRecover?.();
    return RECOVERED;
  }

  private checkNotHeldByMe(): void {
    if (this.isOwnedByMe) {
      throw new DeadlockError('this thread already holds the Mutex (it is not recursive); unlock it first');
    }
  }

  private acquireLocal(wait: ParsedWait): Promise<MutexInterface.Releaser> {
    if (!this.local.isLocked()) return this.local.acquire();
    // async-mutex cannot withdraw one queued acquire; a caller that gives up lets its turn
    // pass straight on when it comes.
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        wait.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
      };
      const onAbort = (): void => {
        try {
          throwIfAborted(wait);
        } catch (error) {
          finish(error as Error);
        }
      };
      const left = remainingMs(wait);
      const timer = left === Infinity ? undefined : setTimeout(() => finish(timeoutError('Mutex.lockAsync', wait)), left);
      wait.signal?.addEventListener('abort', onAbort, { once: true });
      this.local.acquire().then((release) => {
        if (settled) return release();
        finish();
        resolve(release);
      }, reject);
    });
  }

  /** Releases the lock. Only the holding thread may: anyone else gets NotOwnerError. */
  unlock(): void {
    assertOpen(this.waiter, 'Mutex');
    if (!this.isOwnedByMe) {
      throw new NotOwnerError('Mutex.unlock by a thread that does not hold the lock');
    }
    Atomics.store(this.words, THREAD, 0);
    const previous = Atomics.exchange(this.words, OWNER, 0); // SYNC POINT: release
    if ((previous & OWNER_WAITERS_BIT) !== 0) this.waiter.notify(this.ownerOffset, 1);
    const release = this.releaseLocal;
    if (release) {
      this.releaseLocal = undefined;
      release();
    }
  }

  /** Runs `fn` holding the lock (async-mutex's runExclusive), and always unlocks. */
  async runExclusive<T>(fn: (grant: LockGrant) => T | Promise<T>, options?: WaitOptionsArg): Promise<T> {
    const grant = await this.lockAsync(options);
    try {
      return await fn(grant);
    } finally {
      this.unlock();
    }
  }
}
