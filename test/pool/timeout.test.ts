// timeout / taskTimeout: TaskTimeoutError; a handler that stops when told keeps its worker;
// one that does not stop within the grace period is killed and replaced.
import { describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/index.js';
import { makePool, outcomes, until, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('timeouts (%s mode)', (mode) => {
  it('run({ timeout }): TaskTimeoutError; a cooperative handler stops and its worker stays', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const before = await within(pool.run<{ pid: number; workerId: number }>(null, { name: 'whoami' }), 20_000, 'whoami');
    const started = Date.now();
    await expect(pool.run({ ms: 30_000 }, { name: 'wait', timeout: 200 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => pool.stats().running === 0, 5_000, 'handler stopped');
    expect((await pool.run<{ pid: number }>(null, { name: 'whoami' })).pid).toBe(before.pid);
    expect(pool.stats().crashed).toBe(0);
  });

  it('taskTimeout: a handler that ignores its signal is killed after the grace and replaced; others still complete', async () => {
    const pool = makePool({ mode, maxWorkers: 1, taskTimeout: 300 });
    await within(pool.run({ a: 1, b: 1 }, { timeout: 20_000 }), 25_000, 'warm up'); // taskTimeout counts from run(): not during the worker's start
    const hung = pool.run({ ms: 60_000 }, { name: 'spin' });
    const next = pool.run({ a: 2, b: 2 });
    const [hungOutcome, nextOutcome] = await within(outcomes([hung, next]), 30_000, 'tasks');
    expect(hungOutcome!.error).toBeInstanceOf(TaskTimeoutError);
    // The next task waited behind the spinning one; it ran on the replacement (or timed out too, if the machine is slow).
    if (nextOutcome!.error) expect(nextOutcome!.error).toBeInstanceOf(TaskTimeoutError);
    else expect(nextOutcome!.value).toBe(4);
    await until(() => pool.stats().workers === 1, 20_000, 'replacement');
    expect(await within(pool.run({ a: 3, b: 3 }, { timeout: 20_000 }), 25_000, 'after')).toBe(6);
  });
});
