/**
 * Helpers of the pool tests: the fixture worker's path, a pool with a run-unique name that is
 * destroyed after each test whatever happened, and a bounded wait.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { Pool, type PoolOptions } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const WORKER = path.join(FIXTURES, 'pool-worker.mjs');

const made: Pool[] = [];

/** A pool on the fixture worker (unless `filename` is given), destroyed after the test. */
export function makePool(options: Partial<PoolOptions> = {}): Pool {
  const pool = new Pool({ filename: WORKER, name: uniqueName('pool'), maxWorkers: 2, ...options });
  made.push(pool);
  return pool;
}

afterEach(async () => {
  for (const pool of made.splice(0)) await pool.destroy();
});

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `check()` is true, looking every 10 ms, for at most `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The outcome of every promise: value or error, in order. */
export async function outcomes<T>(promises: Array<Promise<T>>): Promise<Array<{ value?: T; error?: Error }>> {
  return Promise.all(promises.map((p) => p.then((value) => ({ value }), (error: Error) => ({ error }))));
}

/** Nothing crashed, was taken over or timed out: the pool saw no failure. */
export function expectNoFailures(pool: Pool): void {
  const stats = pool.stats();
  expect(stats.crashed).toBe(0);
}
