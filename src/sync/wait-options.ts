/**
 * The `{ timeout, signal }` every blocking call takes (a bare number is the timeout in ms),
 * deadlines, and the spin-then-park budget shared by the primitives.
 */
import { AbortError, TimeoutError } from '../errors.js';
import type { Waiter, WaitResult } from './waiter.js';
import { validateAbortSignal, validateInteger, validateKnownKeys, validateObject, validateTimeout } from '../validate.js';

/**
 * How long a blocking call may wait. Every blocking call takes these, or a bare number as the
 * timeout in ms. A wait that runs out throws TimeoutError (Barrier: BarrierBrokenError); an
 * aborted one, AbortError.
 */
export interface WaitOptions {
  /** Milliseconds; Infinity (the default) waits forever; 0 tries once. */
  timeout?: number;
  /** Aborting it ends the wait with AbortError (its cause the signal's reason). */
  signal?: AbortSignal;
  /**
   * Busy checks before parking (default SPIN_ITERATIONS, about a microsecond). Raise it when
   * the other side answers within microseconds and a core is free; 0 parks at once.
   */
  spin?: number;
}

/** What a blocking call's last argument accepts: WaitOptions, a timeout in ms, or nothing. */
export type WaitOptionsArg = number | WaitOptions | undefined;

/** Busy-check iterations before parking: about a microsecond, enough for a short hand-off. */
export const SPIN_ITERATIONS = 256;
/** First park slice; slices double up to MAX_PARK_SLICE_MS, then liveness is re-checked. */
export const FIRST_PARK_SLICE_MS = 5;
export const MAX_PARK_SLICE_MS = 200;

export interface ParsedWait {
  timeout: number;
  signal: AbortSignal | undefined;
  spin: number;
  /** performance.now() value at which to give up; Infinity for none. */
  deadline: number;
}

const NO_WAIT_OPTIONS: ParsedWait = Object.freeze({
  timeout: Infinity, signal: undefined, spin: SPIN_ITERATIONS, deadline: Infinity,
});

export function parseWaitOptions(options: WaitOptionsArg, label: string, defaultTimeout = Infinity): ParsedWait {
  if (options === undefined && defaultTimeout === Infinity) return NO_WAIT_OPTIONS;
  let timeout: number;
  let signal: AbortSignal | undefined;
  let spin = SPIN_ITERATIONS;
  if (typeof options === 'number' || options === undefined) {
    timeout = validateTimeout(options, `${label} timeout`, defaultTimeout);
  } else {
    const object = validateObject<WaitOptions>(options, `${label} options`);
    validateKnownKeys(object, ['timeout', 'signal', 'spin'], `${label} options`);
    timeout = validateTimeout(object.timeout, `${label} options.timeout`, defaultTimeout);
    signal = validateAbortSignal(object.signal, `${label} options.signal`);
    if (object.spin !== undefined) spin = validateInteger(object.spin, `${label} options.spin`, 0, 2 ** 31 - 1);
  }
  return { timeout, signal, spin, deadline: timeout === Infinity ? Infinity : performance.now() + timeout };
}

export function remainingMs(wait: ParsedWait): number {
  return wait.deadline === Infinity ? Infinity : Math.max(0, wait.deadline - performance.now());
}

export function throwIfAborted(wait: ParsedWait): void {
  if (wait.signal?.aborted) throw new AbortError(undefined, { cause: wait.signal.reason });
}

export function timeoutError(what: string, wait: ParsedWait): TimeoutError {
  return new TimeoutError(`${what} timed out after ${wait.timeout} ms`);
}

/**
 * One park of a waiting loop: throws AbortError / TimeoutError when the wait is over,
 * otherwise parks for at most `sliceMs` while the word still equals `expected`.
 */
export function parkSync(
  waiter: Waiter,
  byteOffset: number,
  expected: number,
  wait: ParsedWait,
  what: string,
  sliceMs = Infinity,
): WaitResult {
  throwIfAborted(wait);
  const left = remainingMs(wait);
  if (left === 0) throw timeoutError(what, wait);
  return waiter.wait(byteOffset, expected, Math.min(sliceMs, left));
}

export async function parkAsync(
  waiter: Waiter,
  byteOffset: number,
  expected: number,
  wait: ParsedWait,
  what: string,
  sliceMs = Infinity,
): Promise<WaitResult> {
  throwIfAborted(wait);
  const left = remainingMs(wait);
  if (left === 0) throw timeoutError(what, wait);
  if (wait.spin > 0 && (await spinOnTurns(waiter, byteOffset, expected, left))) return 'ok';
  return waiter.waitAsync(byteOffset, expected, Math.min(sliceMs, remainingMs(wait)), wait.signal);
}

/**
 * Synchronous checks an async wait makes in one go before it yields: a few microseconds at
 * most, so an async wait never holds up the event loop (longer spins go on, one check per
 * event-loop turn, in parkAsync).
 */
export const ASYNC_SPIN_BURST = 64;

/**
 * Calls `probe` until it returns true: at most `wait.spin` times (an async caller: at most
 * ASYNC_SPIN_BURST), and never past the deadline. True if the probe succeeded.
 */
export function spinWhile(wait: ParsedWait, probe: () => boolean, asyncCaller: boolean): boolean {
  const count = asyncCaller ? Math.min(wait.spin, ASYNC_SPIN_BURST) : wait.spin;
  const deadline = wait.deadline;
  for (let i = 0; i < count; i++) {
    if (probe()) return true;
    if ((i & 255) === 255 && performance.now() >= deadline) return false;
  }
  return false;
}

/** How long an async wait polls on event-loop turns before it parks. */
export const ASYNC_SPIN_MS = 0.05;
/** Resolves on the next event-loop turn, after I/O and timers (setImmediate). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The async form of spinning: look at the word once per event-loop turn (setImmediate, so
 * I/O and timers still run) for up to ASYNC_SPIN_MS. A peer that answers within microseconds
 * is seen this way far sooner than through an OS wake-up delivered to the loop by another
 * thread (tens of µs). Returns true if the word changed.
 */
async function spinOnTurns(waiter: Waiter, byteOffset: number, expected: number, leftMs: number): Promise<boolean> {
  const word = new Int32Array(waiter.buffer, byteOffset, 1);
  const until = performance.now() + Math.min(ASYNC_SPIN_MS, leftMs);
  do {
    if (Atomics.load(word, 0) !== expected) return true;
    await nextTurn();
  } while (performance.now() < until);
  return Atomics.load(word, 0) !== expected;
}
