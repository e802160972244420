/**
 * Barrier: `parties` threads or processes meet; the last to arrive opens the barrier for the
 * generation and everybody goes on (layout in src/layout/sync.ts).
 *
 * Broken barriers: if a waiter times out, or a registered party's process dies, the barrier
 * breaks: every waiter of that generation, and every later arrival, gets BarrierBrokenError
 * until someone calls reset(). Parties register in the party table on their first arrive and
 * leave it on close(); waiters whose park slice runs out check that every registered party
 * still lives. (A party that dies before it ever arrived is not known to the table: only the
 * waiters' timeouts catch that.)
 */
import { BarrierBrokenError, TimeoutError } from '../errors.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import {
  BARRIER_ARRIVED_OFFSET,
  BARRIER_BROKEN_OFFSET,
  BARRIER_ENTRY_LENGTH,
  BARRIER_GENERATION_OFFSET,
  BARRIER_MAX_PARTIES,
  BARRIER_PARTIES_OFFSET,
  BARRIER_TABLE_OFFSET,
  BARRIER_WAITERS_OFFSET,
  barrierLength,
} from '../layout/sync.js';
import { validateInteger } from '../validate.js';
import { checkPlacement, placeWords } from './placement.js';
import {
  FIRST_PARK_SLICE_MS,
  MAX_PARK_SLICE_MS,
  parkAsync,
  parseWaitOptions,
  remainingMs,
  throwIfAborted,
  type ParsedWait,
  type WaitOptionsArg,
} from './wait-options.js';
import { assertOpen, type Waiter, type WaitResult } from './waiter.js';

const ARRIVED = BARRIER_ARRIVED_OFFSET >> 2;
const GENERATION = BARRIER_GENERATION_OFFSET >> 2;
const PARTIES = BARRIER_PARTIES_OFFSET >> 2;
const BROKEN = BARRIER_BROKEN_OFFSET >> 2;
const WAITERS = BARRIER_WAITERS_OFFSET >> 2;
const TABLE = BARRIER_TABLE_OFFSET >> 2;
const ENTRY_WORDS = BARRIER_ENTRY_LENGTH >> 2;
const ALL = 0x7fff_ffff;

/**
 * The barriers this thread is a registered party of. A party that ends without close() would
 * stay in the table, and the next run of a harness reusing the barrier would see a dead party
 * and break: they leave on this thread's exit, and when the handle is garbage-collected (it
 * cannot arrive again).
 */
const registered = new Set<WeakRef<Barrier>>();
let leavesOnExit = false;
const leaveAll = (): void => {
  for (const ref of registered) ref.deref()?.close();
  registered.clear();
};
const collected = new FinalizationRegistry<{ words: Int32Array; at: number; self: number }>(({ words, at, self }) => {
  Atomics.compareExchange(words, at, self, 0);
});

/**
 * A meeting point for a fixed number of threads or processes (`parties`), placed at an 8-byte
 * aligned offset of shared memory: each wait() blocks until all have arrived, then all go on
 * and the barrier is ready for the next round (generation). A party that times out, aborts
 * or dies breaks it: everyone gets BarrierBrokenError until reset().
 */
export class Barrier {
  /** Bytes a Barrier of `parties` (1 to 4096) takes in the buffer; OutOfRangeError otherwise. */
  static byteLength(parties: number): number {
    return barrierLength(validateInteger(parties, 'parties', 1, BARRIER_MAX_PARTIES));
  }

  /** How many arrivals open the barrier (fixed by initialize). */
  readonly parties: number;
  private readonly words: Int32Array;
  private readonly generationOffset: number;
  private readonly self: number;
  private readonly threadId: number;
  private entry = -1;

  /**
   * A handle on the barrier at `byteOffset` of `buffer` (initialized once, by its creator),
   * waiting through `waiter`, which must be bound to the same buffer. A bad placement is
   * InvalidArgTypeError, OutOfRangeError or InvalidArgValueError; OutOfRangeError too when
   * nothing was initialized there (parties reads 0).
   */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, private readonly waiter: Waiter) {
    const head = placeWords('Barrier', buffer, byteOffset, BARRIER_TABLE_OFFSET, waiter);
    this.parties = validateInteger(Atomics.load(head, PARTIES), 'Barrier parties (not initialised?)', 1, BARRIER_MAX_PARTIES);
    this.words = placeWords('Barrier', buffer, byteOffset, barrierLength(this.parties), waiter);
    this.generationOffset = byteOffset + BARRIER_GENERATION_OFFSET;
    this.self = ownerWord(waiter.identity.pid, waiter.identity.startTime);
    this.threadId = waiter.identity.threadId;
  }

  /** Writes the number of parties. Only while nobody uses the barrier. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, parties: number): void {
    const length = Barrier.byteLength(parties);
    checkPlacement('Barrier.initialize', buffer, byteOffset, length);
    const words = new Int32Array(buffer, byteOffset, length >> 2);
    words.fill(0);
    Atomics.store(words, PARTIES, parties);
  }

  /** The round number: goes up by one each time the barrier opens (and on reset()). */
  get generation(): number {
    return Atomics.load(this.words, GENERATION);
  }

  /** True once a party timed out, aborted or died mid-round, until reset(). */
  get broken(): boolean {
    return Atomics.load(this.words, BROKEN) !== 0;
  }

  /** Parties arrived in the current generation. */
  get arrived(): number {
    return Atomics.load(this.words, ARRIVED);
  }

  /**
   * Arrives and blocks this thread until all parties have. Returns the arrival index (the
   * last to arrive, which opened the barrier, gets parties - 1). When `timeout` ms pass, it
   * breaks the barrier and throws BarrierBrokenError (its cause a TimeoutError), not
   * TimeoutError; an abort breaks it too (AbortError). A broken barrier: BarrierBrokenError.
   */
  wait(options?: WaitOptionsArg): number {
    const wait = parseWaitOptions(options, 'Barrier.wait');
    assertOpen(this.waiter, 'Barrier');
    const arrival = this.arrive();
    if (arrival.opened) return arrival.index;
    Atomics.add(this.words, WAITERS, 1);
    try {
      let slice = FIRST_PARK_SLICE_MS;
      for (;;) {
        if (this.passed(arrival.generation)) return arrival.index;
        const result = this.waiter.wait(this.generationOffset, arrival.generation, this.slice(wait, slice));
        slice = this.afterPark(result, slice);
      }
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }

  /** Like wait(), without blocking the event loop. */
  async waitAsync(options?: WaitOptionsArg): Promise<number> {
    const wait = parseWaitOptions(options, 'Barrier.waitAsync');
    assertOpen(this.waiter, 'Barrier');
    const arrival = this.arrive();
    if (arrival.opened) return arrival.index;
    // The deadline is this method's (slice() breaks the barrier when it passes); the park
    // itself only waits out one slice, so it never throws a plain TimeoutError.
    const oneSlice: ParsedWait = { ...wait, timeout: Infinity, deadline: Infinity };
    Atomics.add(this.words, WAITERS, 1);
    try {
      let slice = FIRST_PARK_SLICE_MS;
      for (;;) {
        if (this.passed(arrival.generation)) return arrival.index;
        const left = this.slice(wait, slice);
        const result = await parkAsync(this.waiter, this.generationOffset, arrival.generation, oneSlice, 'Barrier.waitAsync', left);
        slice = this.afterPark(result, slice);
      }
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }

  /** Mends a broken barrier for a new round: nobody arrived, not broken, next generation. */
  reset(): void {
    assertOpen(this.waiter, 'Barrier');
    // Parties of an earlier round that died are no longer expected.
    for (let i = 0; i < this.parties; i++) {
      const at = TABLE + i * ENTRY_WORDS;
      const word = Atomics.load(this.words, at);
      if (word !== 0 && !this.waiter.isAlive(ownerPid(word), ownerHash(word))) Atomics.compareExchange(this.words, at, word, 0);
    }
    Atomics.store(this.words, ARRIVED, 0);
    Atomics.store(this.words, BROKEN, 0);
    Atomics.add(this.words, GENERATION, 1);
    this.waiter.notify(this.generationOffset, ALL);
  }

  /** Leaves the party table: this party will not arrive again. */
  close(): void {
    if (this.entry < 0) return;
    const at = TABLE + this.entry * ENTRY_WORDS;
    this.entry = -1;
    if (this.ref) registered.delete(this.ref);
    collected.unregister(this);
    if (this.waiter.closed) return; // the memory is gone, and the entry with it
    if (Atomics.load(this.words, at) !== this.self) return; // taken over meanwhile (we were judged dead)
    Atomics.store(this.words, at + 1, 0);
    Atomics.compareExchange(this.words, at, this.self, 0);
  }

  private ref: WeakRef<Barrier> | undefined;

  private arrive(): { index: number; generation: number; opened: boolean } {
    this.checkNotBroken();
    this.register();
    const generation = Atomics.load(this.words, GENERATION);
    const index = Atomics.add(this.words, ARRIVED, 1);
    if (index >= this.parties) {
      this.breakBarrier();
      throw new BarrierBrokenError(`more than ${this.parties} parties arrived at the barrier`);
    }
    if (index === this.parties - 1) {
      Atomics.store(this.words, ARRIVED, 0);
      Atomics.add(this.words, GENERATION, 1); // SYNC POINT: opens the barrier for this generation
      if (Atomics.load(this.words, WAITERS) > 0) this.waiter.notify(this.generationOffset, ALL);
      return { index, generation, opened: true };
    }
    return { index, generation, opened: false };
  }

  private passed(generation: number): boolean {
    if (Atomics.load(this.words, GENERATION) !== generation) return true;
    this.checkNotBroken();
    return false;
  }

  private slice(wait: ParsedWait, slice: number): number {
    try {
      throwIfAborted(wait);
    } catch (error) {
      this.breakBarrier();
      throw error;
    }
    const left = remainingMs(wait);
    if (left === 0) {
      this.breakBarrier();
      throw new BarrierBrokenError(`Barrier.wait timed out after ${wait.timeout} ms; the barrier is now broken`, {
        cause: new TimeoutError(`timed out after ${wait.timeout} ms`),
      });
    }
    return Math.min(slice, left);
  }

  private afterPark(result: WaitResult, slice: number): number {
    if (result !== 'timed-out') return slice;
    const dead = this.deadParty();
    if (dead !== 0) {
      this.breakBarrier();
      throw new BarrierBrokenError(`party pid ${dead} died; the barrier is broken`);
    }
    return Math.min(slice * 2, MAX_PARK_SLICE_MS);
  }

  private checkNotBroken(): void {
    if (Atomics.load(this.words, BROKEN) !== 0) {
      throw new BarrierBrokenError('the barrier is broken (a party died, timed out or gave up); reset() it to reuse');
    }
  }

  private breakBarrier(): void {
    Atomics.store(this.words, BROKEN, 1);
    this.waiter.notify(this.generationOffset, ALL);
    // Parked waiters compare the generation word; bump nothing, but wake them to look.
  }

  private register(): void {
    if (this.entry >= 0) return;
    for (let i = 0; i < this.parties; i++) {
      const at = TABLE + i * ENTRY_WORDS;
      const word = Atomics.load(this.words, at);
      if (word !== 0 && this.waiter.isAlive(ownerPid(word), ownerHash(word))) continue;
      if (Atomics.compareExchange(this.words, at, word, this.self) !== word) continue;
      Atomics.store(this.words, at + 1, this.threadId);
      this.entry = i;
      this.ref ??= new WeakRef(this);
      if (registered.size >= 256) for (const ref of registered) if (ref.deref() === undefined) registered.delete(ref);
      registered.add(this.ref);
      collected.register(this, { words: this.words, at, self: this.self }, this);
      if (!leavesOnExit) {
        leavesOnExit = true;
        process.once('exit', leaveAll);
      }
      return;
    }
    // More registered parties than declared: this one goes unregistered (timeouts still apply).
  }

  private deadParty(): number {
    for (let i = 0; i < this.parties; i++) {
      const word = Atomics.load(this.words, TABLE + i * ENTRY_WORDS);
      if (word !== 0 && !this.waiter.isAlive(ownerPid(word), ownerHash(word))) return ownerPid(word);
    }
    return 0;
  }
}
