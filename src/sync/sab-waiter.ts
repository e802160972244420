/**
 * Waiter for threads of one process sharing a SharedArrayBuffer: Atomics.wait / waitAsync /
 * notify do everything, and V8 wakes async waiters without any thread of ours.
 */
import { threadId } from 'node:worker_threads';
import { AbortError, InvalidArgTypeError } from '../errors.js';
import type { Waiter, WaiterIdentity, WaitResult } from './waiter.js';

const noop = (): void => {};

/**
 * The Waiter for structures in a SharedArrayBuffer shared by the threads of one process
 * (Atomics.wait / waitAsync / notify). Between processes, use a section's `waiter` instead.
 */
export class SharedArrayBufferWaiter implements Waiter {
  /** This process and thread; startTime 0, as every party lives in this process. */
  readonly identity: WaiterIdentity = { pid: process.pid, startTime: 0, threadId };
  /** A SharedArrayBuffer lives as long as anyone references it: never closed. */
  readonly closed = false;
  private readonly words: Int32Array;

  /** A waiter over `buffer`; anything other than a SharedArrayBuffer is InvalidArgTypeError. */
  constructor(readonly buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgTypeError('SharedArrayBufferWaiter needs a SharedArrayBuffer');
    }
    this.words = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }

  wait(byteOffset: number, expected: number, timeoutMs: number): WaitResult {
    return Atomics.wait(this.words, byteOffset >> 2, expected, timeoutMs);
  }

  waitAsync(byteOffset: number, expected: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const result = Atomics.waitAsync(this.words, byteOffset >> 2, expected, timeoutMs);
    if (!result.async) return Promise.resolve(result.value);
    // V8's pending waitAsync does not keep the event loop alive: a process awaiting a receive
    // would exit (code 13, unsettled await) instead of waiting. A ref'd timer holds it open.
    const keepAlive = setInterval(noop, 2 ** 30);
    result.value.then(() => clearInterval(keepAlive), () => clearInterval(keepAlive));
    if (!signal) return result.value;
    // V8 cannot cancel one waitAsync; an aborted caller stops listening and the wait ends at
    // its timeout or the next notify, whichever comes first.
    return new Promise<WaitResult>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      result.value.then((value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      }, reject);
    });
  }

  notify(byteOffset: number, count: number): void {
    Atomics.notify(this.words, byteOffset >> 2, count);
  }

  /** All users of a SharedArrayBuffer live in this process, which is alive by definition. */
  isAlive(_pid: number, _startTimeHash: number): boolean {
    return true;
  }
}
