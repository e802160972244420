// maxQueue: QueueFullError past it, or a wait for room with { wait: true } (bounded by
// timeout and signal).
import { describe, expect, it } from 'vitest';
import { AbortError, QueueFullError, TaskTimeoutError } from '../../src/index.js';
import { makePool, until, within } from './pool-helpers.js';

describe('queue limits', () => {
  it('maxQueue full: QueueFullError; the queued tasks still run', async () => {
    const pool = makePool({ maxWorkers: 1, maxQueue: 3 });
    const blocker = pool.run({ ms: 500 }, { name: 'spin' });
    await until(() => pool.stats().running === 1, 20_000, 'blocker running');
    const queued = [1, 2, 3].map((i) => pool.run({ a: i, b: 0 }));
    await until(() => pool.queueSize === 3, 5_000, 'three queued');
    await expect(pool.run({ a: 9, b: 9 })).rejects.toBeInstanceOf(QueueFullError);
    expect(await within(Promise.all([blocker, ...queued]), 20_000, 'queued tasks')).toEqual(['spun', 1, 2, 3]);
  });

  it('{ wait: true } waits for room, then runs', async () => {
    const pool = makePool({ maxWorkers: 1, maxQueue: 1 });
    const blocker = pool.run({ ms: 300 }, { name: 'spin' });
    await until(() => pool.stats().running === 1, 20_000, 'blocker running');
    const first = pool.run({ a: 1, b: 1 });
    await until(() => pool.queueSize === 1, 5_000, 'one queued');
    const waiting = pool.run({ a: 2, b: 2 }, { wait: true });
    expect(await within(Promise.all([blocker, first, waiting]), 20_000, 'all')).toEqual(['spun', 2, 4]);
  });

  it('a wait for room ends with its timeout or its signal', async () => {
    const pool = makePool({ maxWorkers: 1, maxQueue: 1 });
    const blocker = pool.run({ ms: 1_000 }, { name: 'spin' });
    await until(() => pool.stats().running === 1, 20_000, 'blocker running');
    const first = pool.run({ a: 1, b: 1 });
    await until(() => pool.queueSize === 1, 5_000, 'one queued');
    await expect(pool.run({ a: 2, b: 2 }, { wait: true, timeout: 100 })).rejects.toBeInstanceOf(TaskTimeoutError);
    const controller = new AbortController();
    const aborted = pool.run({ a: 3, b: 3 }, { wait: true, signal: controller.signal });
    controller.abort(new Error('gave up'));
    const error = await within(aborted, 5_000, 'aborted wait').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(((error as AbortError).cause as Error).message).toBe('gave up');
    expect(await within(Promise.all([blocker, first]), 20_000, 'the rest')).toEqual(['spun', 2]);
  });
});
