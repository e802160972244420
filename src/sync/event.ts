/**
 * Event: Win32-style events across processes (layout in src/layout/sync.ts).
 *
 * - Manual reset: set() releases every waiter and stays set until reset().
 * - Auto reset: set() releases exactly one waiter, which resets the event as it leaves (a CAS
 *   1 -> 0, so two waiters can never both consume one set). Setting an event that is already
 *   set changes nothing, as in Win32.
 *
 * Waiters park on the generation word, which every set() bumps: a set() followed at once by
 * reset() still releases the manual-reset waiters that were parked (no lost pulse).
 */
import {
  EVENT_FLAG_MANUAL_RESET,
  EVENT_FLAGS_OFFSET,
  EVENT_GENERATION_OFFSET,
  EVENT_LENGTH,
  EVENT_STATE_OFFSET,
  EVENT_WAITERS_OFFSET,
} from '../layout/sync.js';
import { validateBoolean, validateKnownKeys, validateObject } from '../validate.js';
import { checkPlacement, placeWords } from './placement.js';
import { parseWaitOptions, parkAsync, parkSync, spinWhile, type WaitOptionsArg } from './wait-options.js';
import { assertOpen, type Waiter } from './waiter.js';

const STATE = EVENT_STATE_OFFSET >> 2;
const GENERATION = EVENT_GENERATION_OFFSET >> 2;
const WAITERS = EVENT_WAITERS_OFFSET >> 2;
const FLAGS = EVENT_FLAGS_OFFSET >> 2;
const ALL = 0x7fff_ffff;

/** How Event.initialize sets up an event (and Namespace.event creates one). */
export interface EventOptions {
  /** true: stays set until reset() (Win32 manual-reset); false (default): auto-reset. */
  manualReset?: boolean;
  /** Start set. */
  initialState?: boolean;
}

/**
 * A Win32-style event shared by threads and processes, placed at an 8-byte aligned offset of
 * shared memory. Manual reset: set() releases every waiter and stays set until reset(). Auto
 * reset (the default): set() releases one waiter, which resets it; setting it twice before
 * anyone waits still releases only one.
 */
export class Event {
  /** Bytes an Event takes in the buffer (16). */
  static readonly byteLength = EVENT_LENGTH;

  private readonly words: Int32Array;
  private readonly generationOffset: number;

  /**
   * A handle on the event at `byteOffset` of `buffer` (initialized once, by its creator),
   * waiting through `waiter`, which must be bound to the same buffer. A bad placement is
   * InvalidArgTypeError, OutOfRangeError or InvalidArgValueError.
   */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, private readonly waiter: Waiter) {
    this.words = placeWords('Event', buffer, byteOffset, EVENT_LENGTH, waiter);
    this.generationOffset = byteOffset + EVENT_GENERATION_OFFSET;
  }

  /** Writes the reset mode and initial state. Only while nobody uses the event. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, options: EventOptions = {}): void {
    checkPlacement('Event.initialize', buffer, byteOffset, EVENT_LENGTH);
    validateObject<EventOptions>(options, 'Event options');
    validateKnownKeys(options, ['manualReset', 'initialState'], 'Event options');
    const manual = options.manualReset === undefined ? false : validateBoolean(options.manualReset, 'options.manualReset');
    const initial = options.initialState === undefined ? false : validateBoolean(options.initialState, 'options.initialState');
    const words = new Int32Array(buffer, byteOffset, EVENT_LENGTH >> 2);
    words.fill(0);
    Atomics.store(words, FLAGS, manual ? EVENT_FLAG_MANUAL_RESET : 0);
    Atomics.store(words, STATE, initial ? 1 : 0);
  }

  /** Whether the event stays set until reset() (fixed by initialize). */
  get manualReset(): boolean {
    return (Atomics.load(this.words, FLAGS) & EVENT_FLAG_MANUAL_RESET) !== 0;
  }

  /** Whether the event is set at this instant (a look only: it consumes nothing). */
  get isSet(): boolean {
    return Atomics.load(this.words, STATE) === 1;
  }

  /**
   * Sets the event: wakes every waiter (manual reset) or one (auto reset). With manual reset,
   * the waiters parked when set() ran are released even if reset() follows at once.
   */
  set(): void {
    assertOpen(this.waiter, 'Event');
    Atomics.store(this.words, STATE, 1);
    Atomics.add(this.words, GENERATION, 1); // SYNC POINT: publishes the set to parked waiters
    if (Atomics.load(this.words, WAITERS) > 0) {
      this.waiter.notify(this.generationOffset, this.manualReset ? ALL : 1);
    }
  }

  /** Clears the event; later waits block until the next set(). */
  reset(): void {
    assertOpen(this.waiter, 'Event');
    Atomics.store(this.words, STATE, 0);
  }

  /**
   * An auto-reset waiter leaving on timeout or abort may have been the one set() woke: if the
   * event is still set, wake another waiter in its place, so the set is not lost.
   */
  private passWakeOn(): void {
    if (Atomics.load(this.words, STATE) === 1 && Atomics.load(this.words, WAITERS) > 1) {
      this.waiter.notify(this.generationOffset, 1);
    }
  }

  /** Without waiting: true if the event is set (and, for auto-reset, consumes it). */
  private readonly probe = (): boolean => this.tryWait();

  /** True if the event is set, without waiting; for an auto-reset event this consumes the set. */
  tryWait(): boolean {
    assertOpen(this.waiter, 'Event');
    if (this.manualReset) return Atomics.load(this.words, STATE) === 1;
    return Atomics.compareExchange(this.words, STATE, 1, 0) === 1;
  }

  /** Blocks this thread until the event is set (for workers); else TimeoutError or AbortError. */
  wait(options?: WaitOptionsArg): void {
    if (this.tryWait()) return;
    const wait = parseWaitOptions(options, 'Event.wait');
    if (spinWhile(wait, this.probe, false)) return;
    const manual = this.manualReset;
    const start = Atomics.load(this.words, GENERATION);
    Atomics.add(this.words, WAITERS, 1);
    try {
      for (;;) {
        const generation = Atomics.load(this.words, GENERATION);
        if (this.tryWait() || (manual && generation !== start)) return;
        parkSync(this.waiter, this.generationOffset, generation, wait, 'Event.wait');
      }
    } catch (error) {
      this.passWakeOn();
      throw error;
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }

  /** Like wait(), without blocking the event loop. */
  async waitAsync(options?: WaitOptionsArg): Promise<void> {
    const wait = parseWaitOptions(options, 'Event.waitAsync');
    if (this.tryWait()) return;
    if (spinWhile(wait, this.probe, true)) return;
    const manual = this.manualReset;
    const start = Atomics.load(this.words, GENERATION);
    Atomics.add(this.words, WAITERS, 1);
    try {
      for (;;) {
        const generation = Atomics.load(this.words, GENERATION);
        if (this.tryWait() || (manual && generation !== start)) return;
        await parkAsync(this.waiter, this.generationOffset, generation, wait, 'Event.waitAsync');
      }
    } catch (error) {
      this.passWakeOn();
      throw error;
    } finally {
      Atomics.sub(this.words, WAITERS, 1);
    }
  }
}
