/**
 * pool.map(): results in input order with at most `concurrency` tasks in flight; sync and
 * async iterables; the first error stops feeding and rejects the iteration, and whatever is
 * still in flight is dropped (aborted) when the iteration ends early.
 */
import { InvalidArgTypeError } from '../errors.js';
import { validateInteger, validateKnownKeys, validateObject } from '../validate.js';
import type { RunOptions } from './options.js';

/** Options of pool.map(). */
export interface MapOptions {
  /** Tasks in flight at most (default: 8 per worker slot). */
  concurrency?: number;
  /** A named export of the worker module for every task. */
  name?: string;
  /** Aborts the whole map: queued tasks are dropped, running ones see ctx.signal abort. */
  signal?: AbortSignal;
}

type Run = (task: unknown, options: RunOptions) => Promise<unknown>;

export async function* mapTasks<R>(run: Run, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: MapOptions | undefined, defaultConcurrency: number): AsyncGenerator<R, void, undefined> {
  const parsed = validateObject<MapOptions>(options, 'pool.map options');
  validateKnownKeys(parsed, ['concurrency', 'name', 'signal'], 'pool.map options');
  const concurrency = parsed.concurrency === undefined ? defaultConcurrency : validateInteger(parsed.concurrency, 'pool.map options.concurrency', 1, 2 ** 31 - 1);
  const iterator = iteratorOf(iterable);
  const controller = new AbortController();
  const outer = parsed.signal;
  const onOuterAbort = (): void => controller.abort(outer!.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  // One controller per task in flight, aborted by the map's: one listener each (a shared
  // signal with one listener per task warned MaxListenersExceeded past 10 tasks).
  const aborts: AbortController[] = [];
  controller.signal.addEventListener('abort', () => {
    for (const task of aborts) task.abort(controller.signal.reason);
  }, { once: true });
  const window: Array<Promise<unknown>> = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && window.length < concurrency) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const task = new AbortController();
        if (controller.signal.aborted) task.abort(controller.signal.reason);
        // wait: map bounds its own tasks in flight, so a maxQueue below its concurrency means
        // waiting for room, not failing the whole map.
        const promise = run(next.value, { signal: task.signal, wait: true, ...(parsed.name === undefined ? {} : { name: parsed.name }) });
        aborts.push(task);
        promise.catch(() => undefined); // its rejection surfaces when its turn comes
        window.push(promise);
      }
      const head = window.shift();
      aborts.shift();
      if (head === undefined) return;
      yield (await head) as R;
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    if (window.length > 0) controller.abort(); // stopped early: drop what is still in flight
    if (!exhausted) await iterator.return?.();
  }
}

function iteratorOf(iterable: Iterable<unknown> | AsyncIterable<unknown>): Iterator<unknown> | AsyncIterator<unknown> {
  if (iterable !== null && typeof iterable === 'object') {
    const asyncIterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator];
    if (typeof asyncIterator === 'function') return asyncIterator.call(iterable);
  }
  if (iterable !== null && iterable !== undefined && typeof (iterable as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return (iterable as Iterable<unknown>)[Symbol.iterator]();
  }
  throw new InvalidArgTypeError('pool.map(iterable): iterable must be an iterable or async iterable');
}
