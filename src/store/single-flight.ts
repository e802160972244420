/**
 * cache.getOrSet: the cached value, or one load of it across every process (single flight).
 *
 * The first caller that misses marks the key as loading (a marker in the namespace's loads
 * table, src/store/load-markers.ts, naming its thread), runs the loader, then stores the
 * value and removes the marker in one write and wakes the waiters. Every other caller,
 * in any process, finds the marker and parks on the namespace's `loads done` word until a
 * load ends, then looks again:
 *
 * - the value is there: it returns it;
 * - the loader threw (or returned undefined): the marker is gone, so the next caller to
 *   look claims the key and loads it itself — one at a time, since each claim is a marker;
 *   the thrower alone gets the loader's error;
 * - the loader's thread died (SIGKILL, a terminated worker): its marker stays, but a waiter
 *   whose park slice passes with nothing happening checks the owner's liveness (like a
 *   robust Mutex does) and takes the marker over.
 *
 * Every wait ends by its timeout (default: the namespace's timeout) or signal. The loader
 * itself is not bounded by them: it is the caller's code.
 *
 *   caller A (misses)                 caller B (misses)
 *   lock; no value, no marker         .
 *   claim: marker(A, token); unlock   lock; no value; marker(A) lives; read done; unlock
 *   loader() ...                      park on done (slices; liveness check per slice)
 *   lock; put value; drop marker; unlock
 *   done += 1; wake                   wakes; lock; value: return it
 */
import { InvalidArgTypeError } from '../errors.js';
import { pauseHook } from '../sync/pause-points.js';
import {
  FIRST_PARK_SLICE_MS,
  MAX_PARK_SLICE_MS,
  parkAsync,
  parkSync,
  parseWaitOptions,
  throwIfAborted,
  type ParsedWait,
  type WaitOptions,
} from '../sync/wait-options.js';
import { validateObject, validateTimeout } from '../validate.js';
import type { Cache } from './cache.js';
import { LoadMarkers } from './load-markers.js';

/**
 * Options of cache.getOrSet / getOrSetSync: how long a caller waits for another's load
 * (`timeout` ms, default the namespace's; `signal`) and the ttl of the value it loads. The
 * loader itself is the caller's code and is not bounded by them.
 */
export interface GetOrSetOptions extends WaitOptions {
  /** The loaded value's ttl, ms (default: the cache's). */
  ttl?: number;
}

/** What getOrSet's last argument accepts: GetOrSetOptions, a timeout in ms, or nothing. */
export type GetOrSetOptionsArg = number | GetOrSetOptions | undefined;

interface ParsedGetOrSet {
  wait: ParsedWait;
  ttl: number | undefined;
}

function parseOptions(options: GetOrSetOptionsArg, label: string, defaultTimeout: number): ParsedGetOrSet {
  if (typeof options === 'object' && options !== null && 'ttl' in options) {
    const { ttl, ...rest } = validateObject<GetOrSetOptions>(options, `${label} options`);
    return {
      wait: parseWaitOptions(rest, label, defaultTimeout),
      ttl: ttl === undefined ? undefined : validateTimeout(ttl, `${label} options.ttl`),
    };
  }
  return { wait: parseWaitOptions(options, label, defaultTimeout), ttl: undefined };
}

function checkLoader(loader: unknown, label: string): void {
  if (typeof loader !== 'function') {
    throw new InvalidArgTypeError(`${label}(key, loader): loader must be a function (key => value), got ${loader === null ? 'null' : typeof loader}`);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** cache.getOrSet: the loader may be async; waits never block the event loop. */
export async function getOrSet<T>(
  cache: Cache<T>,
  key: string,
  loader: (key: string) => T | Promise<T>,
  options: GetOrSetOptionsArg,
  defaultTimeout: number,
): Promise<T | undefined> {
  const label = 'cache.getOrSet';
  checkLoader(loader, label);
  const { wait, ttl } = parseOptions(options, label, defaultTimeout);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let slice = FIRST_PARK_SLICE_MS;
  for (;;) {
    throwIfAborted(wait);
    const step = cache.beginLoad(key, false);
    if (step.kind === 'hit') return step.value;
    if (step.kind === 'load') {
      pauseHook?.('cache.load.claimed');
      let value: T;
      try {
        value = await loader(key);
      } catch (error) {
        cache.endLoad(key, step.token, undefined, undefined);
        throw error;
      }
      pauseHook?.('cache.load.publish');
      return cache.endLoad(key, step.token, value, ttl); // the stored, frozen value: what everyone else gets
    }
    const markers = cache.loadMarkers;
    markers.addWaiter(1);
    let result;
    try {
      pauseHook?.('cache.load.park');
      result = await parkAsync(cache.waiter, LoadMarkers.doneOffset, step.done, wait, `${label}('${key}') waiting for another thread's load`, slice);
    } finally {
      markers.addWaiter(-1);
    }
    slice = result === 'timed-out' ? Math.min(slice * 2, MAX_PARK_SLICE_MS) : FIRST_PARK_SLICE_MS;
  }
}

/** cache.getOrSetSync: a synchronous loader, blocking waits (for workers and scripts). */
export function getOrSetSync<T>(
  cache: Cache<T>,
  key: string,
  loader: (key: string) => T,
  options: GetOrSetOptionsArg,
  defaultTimeout: number,
): T | undefined {
  const label = 'cache.getOrSetSync';
  checkLoader(loader, label);
  const tag = Object.prototype.toString.call(loader);
  if (tag === '[object AsyncFunction]' || tag === '[object AsyncGeneratorFunction]') {
    throw new InvalidArgTypeError(`${label}(key, loader): loader must be synchronous; use cache.getOrSet for an async loader`);
  }
  const { wait, ttl } = parseOptions(options, label, defaultTimeout);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let slice = FIRST_PARK_SLICE_MS;
  for (;;) {
    throwIfAborted(wait);
    const step = cache.beginLoad(key, true);
    if (step.kind === 'hit') return step.value;
    if (step.kind === 'load') {
      pauseHook?.('cache.load.claimed');
      let value: T;
      try {
        value = loader(key);
        if (isThenable(value)) {
          if (value instanceof Promise) value.catch(() => undefined); // answered by the error below
          throw new InvalidArgTypeError(`${label}(key, loader): loader returned a Promise; use cache.getOrSet for an async loader`);
        }
      } catch (error) {
        cache.endLoad(key, step.token, undefined, undefined);
        throw error;
      }
      pauseHook?.('cache.load.publish');
      return cache.endLoad(key, step.token, value, ttl); // the stored, frozen value: what everyone else gets
    }
    const markers = cache.loadMarkers;
    markers.addWaiter(1);
    let result;
    try {
      pauseHook?.('cache.load.park');
      result = parkSync(cache.waiter, LoadMarkers.doneOffset, step.done, wait, `${label}('${key}') waiting for another thread's load`, slice);
    } finally {
      markers.addWaiter(-1);
    }
    slice = result === 'timed-out' ? Math.min(slice * 2, MAX_PARK_SLICE_MS) : FIRST_PARK_SLICE_MS;
  }
}
