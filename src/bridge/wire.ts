/**
 * What crosses Redis. A local channel encodes with its namespace's codec, whose record
 * structures live in that namespace's memory and mean nothing on another host: the bridge
 * decodes there and re-encodes here with a plain MessagePack codec (no shared structures),
 * so every host reads every value with the same types (Map, Set, Date, BigInt...).
 */
import { msgpackCodec } from '../codec/index.js';
import type { Codec } from '../codec/index.js';

/** The codec of every value on the wire: self-describing MessagePack. */
export const wireCodec: Codec = msgpackCodec();

/** Stream entry fields: `id` (the message id, "<source>:<n>") and `v` (the value). */
export const ID_FIELD = 'id';
export const VALUE_FIELD = 'v';

/** An encoded value as a Buffer of its own: the codec reuses its output buffer on the next encode. */
export function encodeForWire(value: unknown): Buffer {
  return Buffer.from(wireCodec.encode(value));
}

/** Whole milliseconds to wait before retry `attempt` (1, 2, ...): 50 ms doubling to 1 s. */
export function backoff(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(attempt - 1, 5));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The health counters every relay keeps (its stats object has at least these). */
export interface RetryStats {
  healthy: boolean;
  retries: number;
  lastError?: string | undefined;
}

/**
 * Runs `step` until it succeeds (true) or `signal` aborts (false), backing off between tries
 * and keeping `stats` and `onError` told: every relay's way through a Redis that is down.
 */
export async function retryUntilDone(
  signal: AbortSignal,
  stats: RetryStats,
  onError: (error: unknown) => void,
  step: (attempt: number) => Promise<void>,
): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await step(attempt);
      stats.healthy = true;
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      stats.healthy = false;
      stats.retries++;
      stats.lastError = (error as Error).message;
      onError(error);
      await pause(backoff(attempt), signal);
    }
  }
  return false;
}
