// close() finishes queued work, then stops the workers; destroy() fails it with
// PoolClosedError; both idempotent; `await using`; nothing left in /dev/shm.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Pool, PoolClosedError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { makePool, outcomes, WORKER, within } from './pool-helpers.js';

const shmExists = (name: string): boolean => fs.existsSync(`/dev/shm/shmkit.${name}`);

describe.each(['thread', 'process'] as const)('close and destroy (%s mode)', (mode) => {
  it('close() drains: every queued task completes, later run() is PoolClosedError, the namespace is removed', async () => {
    const pool = makePool({ mode, maxWorkers: 2 });
    const tasks = Array.from({ length: 500 }, (_, i) => pool.run({ key: `c${i}`, ms: i % 50 === 0 ? 20 : 0 }, { name: 'count' }));
    const closing = pool.close();
    await expect(pool.run({ a: 1, b: 1 })).rejects.toBeInstanceOf(PoolClosedError);
    const results = await within(Promise.all(tasks), 60_000, 'drained tasks');
    expect(results).toHaveLength(500);
    await within(closing, 30_000, 'close');
    expect(pool.close()).toBe(closing); // idempotent: the same promise
    await pool.destroy(); // after close: nothing left to do
    expect(shmExists(pool.name)).toBe(false);
  });

  it('destroy() fails queued and running tasks with PoolClosedError, at once', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'warm up');
    const running = pool.run({ ms: 60_000 }, { name: 'spin' });
    const queued = Array.from({ length: 20 }, (_, i) => pool.run({ key: `d${i}` }, { name: 'count' }));
    const settled = outcomes([running, ...queued]); // handled from now on
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await within(pool.destroy(), 20_000, 'destroy');
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const outcome of await settled) expect(outcome.error).toBeInstanceOf(PoolClosedError);
    await pool.destroy(); // idempotent
    expect(shmExists(pool.name)).toBe(false);
  });
});

describe('await using', () => {
  it('closes the pool at the end of the block', async () => {
    const name = uniqueName('pool');
    {
      await using pool = new Pool({ filename: WORKER, name, maxWorkers: 1 });
      expect(await within(pool.run({ a: 1, b: 2 }), 20_000, 'run')).toBe(3);
    }
    expect(shmExists(name)).toBe(false);
  });

  it('a second pool of a running pool\'s name is refused, pointing at Pool.connect', async () => {
    const pool = makePool({ maxWorkers: 1 });
    expect(() => new Pool({ filename: WORKER, name: pool.name })).toThrow(/Pool.connect/);
  });
});
