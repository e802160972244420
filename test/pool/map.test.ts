// pool.map(): results in input order, at most `concurrency` in flight, sync and async
// iterables; an error rejects the iteration and stops feeding.
import { describe, expect, it } from 'vitest';
import { makePool, within } from './pool-helpers.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('pool.map()', () => {
  it('gives results in input order from a sync iterable', async () => {
    const pool = makePool({ maxWorkers: 2 });
    // Early items slower than later ones: order must still be the input's.
    const items = Array.from({ length: 200 }, (_, i) => ({ key: `m${i}`, ms: i < 10 ? 20 - i : 0 }));
    const results = await within(collect(pool.map(items, { name: 'count', concurrency: 16 })), 60_000, 'map');
    expect(results).toEqual(items.map((item) => item.key));
  });

  it('takes an async iterable and keeps at most `concurrency` tasks in flight', async () => {
    const pool = makePool({ maxWorkers: 2 });
    let pulled = 0;
    let maxAhead = 0;
    let yielded = 0;
    async function* source(): AsyncGenerator<{ a: number; b: number }> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - yielded);
        yield { a: i, b: i };
      }
    }
    const results: number[] = [];
    for await (const value of pool.map<number>(source(), { concurrency: 4 })) {
      yielded++;
      results.push(value);
    }
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i));
    expect(maxAhead).toBeLessThanOrEqual(5); // 4 in flight + the one being pulled
  });

  it('an error rejects the iteration and stops feeding', async () => {
    const pool = makePool({ maxWorkers: 1 });
    const seen2: unknown[] = [];
    let pulled2 = 0;
    function* failingSource(): Generator<unknown> {
      for (let i = 0; i < 1_000; i++) {
        pulled2++;
        yield { message: `boom ${i}` };
      }
    }
    await expect(
      within(
        (async () => {
          for await (const value of pool.map(failingSource(), { concurrency: 3, name: 'fail' })) seen2.push(value);
        })(),
        30_000,
        'failing map',
      ),
    ).rejects.toThrow('boom 0');
    expect(seen2).toEqual([]);
    expect(pulled2).toBeLessThanOrEqual(4);
  });
});

describe('pool.map() over many items (issue 10)', () => {
  it('adds one abort listener to its signal, not one per task: no MaxListenersExceededWarning', async () => {
    const { getEventListeners } = (await import('node:events')) as unknown as { getEventListeners(target: EventTarget, type: string): unknown[] };
    const pool = makePool({ maxWorkers: 2 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const outer = new AbortController();
      let most = 0;
      let seen = 0;
      for await (const value of pool.map(Array.from({ length: 1_000 }, (_, i) => ({ a: i, b: 1 })), { signal: outer.signal, concurrency: 64 })) {
        expect(value).toBe(seen + 1);
        seen++;
        most = Math.max(most, getEventListeners(outer.signal, 'abort').length);
      }
      expect(seen).toBe(1_000);
      expect(most).toBe(1);
      expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
      const plain = await within(collect(pool.map(Array.from({ length: 1_000 }, (_, i) => ({ a: i, b: 0 })))), 60_000, 'map without a signal');
      expect(plain).toHaveLength(1_000);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      expect(warnings.filter((name) => name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  }, 120_000);
});
