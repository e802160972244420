/**
 * SectionWaiter: the Waiter (src/sync/waiter.ts) for structures that live in a section.
 * Sync waits are futex waits on the word itself; async waits go through this thread's
 * DoorbellHub; notify wakes both kinds.
 */
import { threadId } from 'node:worker_threads';
import { SectionClosedError } from '../errors.js';
import { startTimeHash } from '../layout/owner.js';
import {
  ARMED_SLOTS_OFFSET,
  HEADER_LENGTH,
  SLOT_ARMED_OFFSET,
  SLOT_DOORBELL_OFFSET,
  SLOT_HIGH_WATER_OFFSET,
  slotOffset,
} from '../layout/section-header.js';
import { UNKNOWN_START_TIME, type Platform } from '../platform/index.js';
import { ARMED_WATCHED, SLOT_POKE_OFFSET } from './attach-table.js';
import { DoorbellHub, type HubSection } from './doorbell-hub.js';
import type { Section } from './section.js';

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

export interface SectionWaiterIdentity {
  readonly pid: number;
  readonly startTime: number;
  readonly threadId: number;
}

let hub: DoorbellHub | undefined;
function doorbellHub(platform: Platform): DoorbellHub {
  hub ??= new DoorbellHub(platform);
  return hub;
}

/** Pending async waits of this thread across all sections (tests, inspect). */
export function pendingAsyncWaits(): number {
  return hub?.pending ?? 0;
}

/**
 * The Waiter of a section (`section.waiter`): pass it with `section.buffer` to the Mutex,
 * Event, ring or channel you place in the section, and their waits work across processes.
 * Sync waits are futex waits (or the OS's equivalent); async ones never block the event loop.
 */
export class SectionWaiter {
  /** The section's user area (`section.buffer`); offsets are relative to it. */
  readonly buffer: ArrayBuffer;
  /** This thread and process, with the start time that tells it from a reused pid. */
  readonly identity: SectionWaiterIdentity;
  private readonly base: bigint;
  private readonly header: Int32Array;
  private readonly hubSection: HubSection;

  /** @internal Made by `section.waiter` (the Platform it takes is not public). */
  constructor(
    private readonly section: Section,
    private readonly platform: Platform,
  ) {
    this.buffer = section.buffer;
    this.base = section.mapping.address + BigInt(HEADER_LENGTH);
    this.header = section.header.i32;
    // Owner words name the thread where the OS can tell a thread's liveness (Linux): a worker
    // terminated holding a lock or a ring claim is then recovered like a dead process.
    const owner = platform.currentThread ?? platform.currentProcess;
    this.identity = { pid: owner.pid, startTime: owner.startTime, threadId };
    const table = section.attachTable;
    const slot = section.attachSlot;
    this.hubSection = {
      mapping: section.mapping,
      attachSlot: slot,
      words: new Int32Array(this.buffer, 0, this.buffer.byteLength >> 2),
      arm: (mode) => table.arm(slot, mode),
      disarm: () => table.disarm(slot),
      watch: (onChange, onError) => section.watchPokes(onChange, onError),
    };
  }

  /** Set when the section closes (detach): a field, since every channel operation reads it. */
  closed = false;

  /**
   * Blocks this thread while the 32-bit word at `byteOffset` equals `expected`, for at most
   * `timeoutMs` (Infinity: no limit). SectionClosedError once the section is closed.
   */
  wait(byteOffset: number, expected: number, timeoutMs: number): WaitResult {
    if (this.section.closed) throw new SectionClosedError(`section '${this.section.name}'`);
    return this.platform.wait(this.base + BigInt(byteOffset), expected, timeoutMs);
  }

  /**
   * Resolves once the word may have changed from `expected` (callers re-check it) or with
   * 'timed-out'; never blocks the event loop. Read-only sections have no doorbell and poll
   * every 5 ms instead.
   */
  waitAsync(byteOffset: number, expected: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    if (this.section.closed) return Promise.reject(new SectionClosedError(`section '${this.section.name}'`));
    if (this.section.attachSlot < 0) {
      // Read-only sections have no doorbell: fall back to polling in short slices.
      return this.pollAsync(byteOffset, expected, timeoutMs, signal);
    }
    return doorbellHub(this.platform).waitAsync(this.hubSection, byteOffset, expected, timeoutMs, signal);
  }

  /** Wakes up to `count` threads parked on the word, in any process, sync and async waits alike. */
  notify(byteOffset: number, count: number): void {
    this.platform.wake(this.base + BigInt(byteOffset), count);
    if (Atomics.load(this.header, ARMED_SLOTS_OFFSET >> 2) === 0) return;
    const highWater = Atomics.load(this.header, SLOT_HIGH_WATER_OFFSET >> 2);
    for (let slot = 0; slot < highWater; slot++) {
      const at = slotOffset(slot);
      const armed = Atomics.load(this.header, (at + SLOT_ARMED_OFFSET) >> 2);
      if (armed === 0) continue;
      Atomics.add(this.header, (at + SLOT_DOORBELL_OFFSET) >> 2, 1); // SYNC POINT: rung after the change
      this.platform.wake(this.section.mapping.address + BigInt(at + SLOT_DOORBELL_OFFSET), 1);
      // A hub watching more sections than one futex_waitv holds watches this one through
      // inotify: a one-byte write (of the zero that is there) after the change wakes it.
      if (armed === ARMED_WATCHED) this.section.poke(at + SLOT_POKE_OFFSET);
    }
  }

  /**
   * Whether the process `pid` whose start time hashes to `hash` still runs (a reused pid does
   * not count). When the OS cannot tell right now, it answers true.
   */
  isAlive(pid: number, hash: number): boolean {
    const startTime = this.platform.processStartTime(pid);
    if (startTime === UNKNOWN_START_TIME) return true; // cannot tell now: never judge a live one dead
    return startTime !== 0 && startTimeHash(startTime) === hash;
  }

  /** Stops this thread's async waits on the section (it is closing). */
  detach(): void {
    this.closed = true;
    hub?.detach(this.hubSection);
  }

  private async pollAsync(byteOffset: number, expected: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    const words = this.hubSection.words;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (Atomics.load(words, byteOffset >> 2) !== expected) return 'ok';
      signal?.throwIfAborted();
      const left = deadline - performance.now();
      if (left <= 0) return 'timed-out';
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 5)));
    }
  }
}
