// Pool attack, races: run and destroy at once, close while map feeds, abort at the moment a
// worker takes the task, timeout against completion, maxQueue with waiters, 10,000 queued
// tasks, many connects. Every promise must settle exactly once, and the pool must be usable
// (or cleanly closed) afterwards.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PoolClosedError, Pool, QueueFullError, TaskTimeoutError } from '../../src/index.js';
import { FIXTURES, makePool, outcomes, until, within } from '../pool/pool-helpers.js';

const ATTACK_WORKER = path.join(FIXTURES, 'attack-pool-worker.mjs');

function attackPool(options: Parameters<typeof makePool>[0] = {}): Pool {
  return makePool({ filename: ATTACK_WORKER, maxWorkers: 2, ...options });
}

describe('pool attack: races', () => {
  it('run() and destroy() in the same turn: every task settles (value or PoolClosedError) within 10 s', async () => {
    const pool = attackPool();
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'up');
    const tasks = Array.from({ length: 500 }, (_, i) => pool.run({ key: `d${i}`, ms: 1 }, { name: 'count' }));
    const destroyed = pool.destroy();
    const results = await within(outcomes(tasks), 10_000, 'tasks after destroy');
    await within(destroyed, 10_000, 'destroy');
    for (const r of results) if (r.error) expect(r.error).toBeInstanceOf(PoolClosedError);
    await expect(pool.run({ a: 1, b: 1 })).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('close() while map() feeds from an async iterable: the map ends (done or PoolClosedError), no hang', async () => {
    const pool = attackPool();
    async function* feed(): AsyncGenerator<unknown> {
      for (let i = 0; i < 10_000; i++) {
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        yield { key: `m${i}` };
      }
    }
    const seen: unknown[] = [];
    const consuming = (async () => {
      for await (const value of pool.map(feed(), { name: 'count', concurrency: 16 })) seen.push(value);
    })().then(() => undefined, (e: unknown) => e);
    await until(() => seen.length >= 100, 30_000, '100 map results');
    const closed = pool.close();
    const ended = await within(consuming, 20_000, 'map after close');
    await within(closed, 20_000, 'close');
    if (ended !== undefined) expect(ended).toBeInstanceOf(PoolClosedError);
    seen.forEach((value, i) => expect(value).toBe(`m${i}`)); // in order, no gaps
  });

  it('abort at the instant a worker takes the task: each task settles once, nothing stays running', async () => {
    const pool = attackPool();
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'up');
    const all: Array<Promise<unknown>> = [];
    for (let round = 0; round < 200; round++) {
      const controller = new AbortController();
      const task = pool.run({ ms: 2 }, { name: 'wait', signal: controller.signal });
      let settled = 0;
      all.push(task.then(() => ++settled, () => ++settled).then(() => expect(settled).toBe(1)));
      const delay = round % 4;
      if (delay === 0) queueMicrotask(() => controller.abort());
      else setTimeout(() => controller.abort(), delay - 1);
      if (round % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await within(Promise.all(all), 20_000, 'aborted tasks');
    await until(() => pool.stats().running === 0 && pool.stats().queued === 0, 10_000, 'nothing running');
    expect(pool.stats().crashed).toBe(0);
    expect(await within(pool.run({ a: 3, b: 4 }), 20_000, 'after aborts')).toBe(7);
  });

  it('timeout against completion: a task that ends as its timeout fires settles once, value or TaskTimeoutError', async () => {
    const pool = attackPool();
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'up');
    const tasks = Array.from({ length: 200 }, (_, i) => pool.run<number>({ ms: 10 + (i % 5) }, { name: 'wait', timeout: 12 }));
    const results = await within(outcomes(tasks), 30_000, 'timed tasks');
    for (const r of results) if (r.error) expect(r.error).toBeInstanceOf(TaskTimeoutError);
    await until(() => pool.stats().running === 0 && pool.stats().queued === 0, 10_000, 'nothing running');
    expect(pool.stats().crashed).toBe(0);
    expect(await within(pool.run({ a: 3, b: 4 }), 20_000, 'after timeouts')).toBe(7);
  });

  // Found by the attack: every waiter was released by the same reading of the queued count,
  // and each enqueued a microtask later, so the queue overshot maxQueue by the waiters.
  it('{ wait: true } waiters never push the queue past maxQueue', async () => {
    const pool = attackPool({ maxWorkers: 1, maxQueue: 2 });
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'up');
    const first = pool.run({ ms: 300 }, { name: 'wait' }); // the worker is busy
    await new Promise((resolve) => setTimeout(resolve, 50));
    const queued = [pool.run({ ms: 1 }, { name: 'wait' }), pool.run({ ms: 1 }, { name: 'wait' })];
    const waiters = Array.from({ length: 20 }, () => pool.run({ ms: 1 }, { name: 'wait', wait: true, timeout: 30_000 }));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, pool.queueSize)), 1);
    try {
      await within(outcomes([first, ...queued, ...waiters]), 30_000, 'all tasks');
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBeLessThanOrEqual(2);
  });

  // Found by the attack: map() did not pass { wait: true }, so a maxQueue below its
  // concurrency failed the whole map with QueueFullError.
  it('map() on a pool whose maxQueue is below the map concurrency waits for room instead of failing', async () => {
    const pool = attackPool({ maxWorkers: 1, maxQueue: 2 });
    const results: unknown[] = [];
    const items = Array.from({ length: 40 }, (_, i) => ({ a: i, b: 0 }));
    await within(
      (async () => {
        for await (const value of pool.map(items)) results.push(value);
      })(),
      30_000,
      'map with small maxQueue',
    );
    expect(results).toEqual(items.map((item) => item.a));
  });

  it('10,000 queued tasks with maxQueue 10,000: the 10,001st is QueueFullError, all 10,000 run exactly once', async () => {
    const pool = attackPool({ maxWorkers: 2, maxQueue: 10_000 });
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'up');
    const keys = Array.from({ length: 10_000 }, (_, i) => `q${i}`);
    const tasks = keys.map((key) => pool.run({ key }, { name: 'count' }));
    await expect(pool.run({ key: 'over' }, { name: 'count' })).rejects.toBeInstanceOf(QueueFullError);
    expect(await within(Promise.all(tasks), 120_000, '10,000 tasks')).toEqual(keys);
    for (const key of keys) expect(pool.namespace.get(`ran.${key}`)).toBe(1);
    expect(pool.namespace.get('ran.over')).toBeUndefined();
  });

  it('many connects in one process: the 33rd is a typed error, closing one frees a slot', async () => {
    const pool = attackPool({ maxWorkers: 1 });
    const handles: Pool[] = [];
    let refused: unknown;
    try {
      for (let i = 0; i < 40; i++) {
        try {
          handles.push(await Pool.connect(pool.name));
        } catch (e) {
          refused = e;
          break;
        }
      }
      expect((refused as { code?: string } | undefined)?.code).toMatch(/^ERR_SHMKIT_/);
      expect(handles.length).toBe(31); // 32 slots, the owner holds one
      const results = await within(Promise.all(handles.map((h, i) => h.run({ a: i, b: 1 }))), 30_000, 'every handle runs');
      expect(results).toEqual(handles.map((_, i) => i + 1));
      await handles.pop()!.close();
      handles.push(await Pool.connect(pool.name));
    } finally {
      for (const h of handles) await h.close();
    }
  });
});
