/**
 * Waiter: how a shared data structure parks a thread until a 32-bit word changes, and wakes
 * the threads parked on one. Every structure in sync/, channel/ and store/ takes a Waiter
 * bound to the memory it lives in, and never talks to the OS itself:
 *
 * - SharedArrayBufferWaiter: threads of one process, Atomics.wait / waitAsync / notify.
 * - SectionWaiter (src/section/section-waiter.ts): processes, futex through src/platform,
 *   async waits through the section's doorbells.
 *
 * Offsets are byte offsets into the buffer the Waiter is bound to, 4-byte aligned.
 */

import { SectionClosedError } from '../errors.js';

/**
 * How a Waiter's wait ended: 'ok' woken (or possibly woken: callers re-check the word),
 * 'not-equal' the word already differed, 'timed-out' the time ran out.
 */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** Who is waiting or owning: enough to tell later whether that process is still alive. */
export interface WaiterIdentity {
  /** process.pid; with startTime, tells this process from a later one given the same pid. */
  readonly pid: number;
  /** OS-specific process start time (0 if unknown); see src/platform/types.ts. */
  readonly startTime: number;
  /** worker_threads threadId (0 on the main thread). */
  readonly threadId: number;
}

/**
 * How a shared structure parks a thread until a 32-bit word changes, and wakes the threads
 * parked on one. Use a section's `waiter` for memory shared by processes, or a
 * SharedArrayBufferWaiter between threads; implement it to bring another kind of memory.
 */
export interface Waiter {
  /** The memory the offsets refer to. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** This thread and process, as structures record it for owners and parties. */
  readonly identity: WaiterIdentity;

  /** Blocks this thread while the word at `byteOffset` equals `expected` (Infinity = no timeout). */
  wait(byteOffset: number, expected: number, timeoutMs: number): WaitResult;
  /**
   * Resolves once the word differs from `expected` (or may have: callers re-check), or with
   * 'timed-out'. Never blocks the event loop. Rejects with AbortError if `signal` aborts.
   */
  waitAsync(byteOffset: number, expected: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult>;
  /** Wakes up to `count` waiters (sync and async) parked on the word. */
  notify(byteOffset: number, count: number): void;

  /**
   * True once the memory is gone (its section closed): every operation of a structure on it
   * throws SectionClosedError instead of working on the zero pages left in its place.
   */
  readonly closed: boolean;

  /**
   * Whether the process with this pid and start-time hash (see layout/owner.ts) still lives.
   * Robust structures call it when a wait for an owner takes long.
   */
  isAlive(pid: number, startTimeHash: number): boolean;
}

/**
 * Throws SectionClosedError if the waiter's memory is gone. Every public operation of a
 * shared structure calls it first: after close() the mapping reads zeros, on which a lock
 * looks free and a ring looks empty, so going on would lie to the caller.
 */
export function assertOpen(waiter: Waiter, what: string): void {
  if (waiter.closed) throw new SectionClosedError(`the section under this ${what}`);
}
