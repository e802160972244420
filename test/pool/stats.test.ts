// stats(): counts, run-time and wait-time percentiles (perf_hooks histograms), utilization.
import { describe, expect, it } from 'vitest';
import { makePool, until, within } from './pool-helpers.js';

describe('pool.stats()', () => {
  it('counts and times what ran', async () => {
    const pool = makePool({ maxWorkers: 2 });
    const empty = pool.stats();
    expect(empty).toMatchObject({ completed: 0, failed: 0, crashed: 0, queued: 0, running: 0 });
    expect(empty.runTime.count).toBe(0);
    await within(Promise.all(Array.from({ length: 20 }, () => pool.run({ ms: 5 }, { name: 'spin' }))), 30_000, 'spins');
    await pool.run({ message: 'x' }, { name: 'fail' }).catch(() => undefined);
    // The worker lets go of its task just after sending the result (stats().running's doc).
    await until(() => pool.stats().running === 0, 5_000, 'running back to 0');
    const stats = pool.stats();
    expect(stats).toMatchObject({ completed: 20, failed: 1, crashed: 0, queued: 0, running: 0, workers: 2 });
    expect(stats.runTime.count).toBe(21);
    expect(stats.runTime.p50).toBeGreaterThanOrEqual(4);
    expect(stats.runTime.p50).toBeLessThan(1_000);
    expect(stats.runTime.max).toBeGreaterThanOrEqual(stats.runTime.p99);
    expect(stats.runTime.p99).toBeGreaterThanOrEqual(stats.runTime.p50);
    expect(stats.waitTime.count).toBe(21);
    expect(stats.waitTime.p50).toBeGreaterThan(0);
    expect(stats.utilization).toBeGreaterThan(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
    expect(pool.completed).toBe(20);
    expect(pool.queueSize).toBe(0);
  });
});
