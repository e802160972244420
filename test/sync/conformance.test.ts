import { describe, expect, it } from 'vitest';
import { BACKENDS, runScenario, SYNC_OFFSETS } from '../helpers/sync-harness.js';

// One suite, both Waiter backends: worker threads over a SharedArrayBuffer (Atomics.wait /
// waitAsync) and processes over a section (futex and doorbells).
// A million wake-ups between processes: over a minute when every core is busy.
describe.each(BACKENDS)('sync conformance: %s', { timeout: 300_000 }, (backend) => {
  const workers = backend === 'processes' ? 4 : 3;

  it(`mutual exclusion: ${workers} x 100,000 lock/unlock around a non-atomic counter is exact`, async () => {
    const run = await runScenario(
      backend,
      Array.from({ length: workers }, () => ({ scenario: 'mutex-counter', params: { iterations: 100_000, async: false } })),
    );
    try {
      expect(new Int32Array(run.memory, SYNC_OFFSETS.plain, 1)[0]).toBe(workers * 100_000);
    } finally {
      run.close();
    }
  });

  it('mutual exclusion with async lockers and a sync one', async () => {
    const run = await runScenario(backend, [
      { scenario: 'mutex-counter', params: { iterations: 5_000, async: true } },
      { scenario: 'mutex-counter', params: { iterations: 5_000, async: true } },
      { scenario: 'mutex-counter', params: { iterations: 5_000, async: false } },
    ]);
    try {
      expect(new Int32Array(run.memory, SYNC_OFFSETS.plain, 1)[0]).toBe(15_000);
    } finally {
      run.close();
    }
  });

  const rounds = backend === 'processes' ? 1_000_000 : 200_000;
  it(`no lost wake-up: ${rounds.toLocaleString('en')} signal/wait pairs through two auto-reset events`, async () => {
    const run = await runScenario(
      backend,
      [
        { scenario: 'ping', params: { rounds, async: false } },
        { scenario: 'pong', params: { rounds, async: false } },
      ],
      { timeoutMs: 120_000 },
    );
    run.close();
    expect(run.results.map((result) => result.rounds)).toEqual([rounds, rounds]);
  });

  it('no lost wake-up with async waiters: 20,000 pairs', async () => {
    const run = await runScenario(backend, [
      { scenario: 'ping', params: { rounds: 20_000, async: true } },
      { scenario: 'pong', params: { rounds: 20_000, async: true } },
    ]);
    run.close();
    expect(run.results.map((result) => result.rounds)).toEqual([20_000, 20_000]);
  });

  it('semaphore: every permit released is acquired exactly once', async () => {
    const run = await runScenario(backend, [
      { scenario: 'produce', params: { permits: 30_000 } },
      { scenario: 'consume', params: { permits: 10_000, async: false } },
      { scenario: 'consume', params: { permits: 20_000, async: true } },
    ]);
    try {
      expect(run.results[1]).toEqual({ acquired: 10_000 });
      expect(run.results[2]).toEqual({ acquired: 20_000 });
      expect(Atomics.load(new Int32Array(run.memory, SYNC_OFFSETS.semaphore, 1), 0)).toBe(0);
    } finally {
      run.close();
    }
  });

  it('barrier: 3 parties x 2,000 generations, nobody runs ahead', async () => {
    const run = await runScenario(backend, [
      { scenario: 'barrier', params: { generations: 2_000, index: 0, async: false } },
      { scenario: 'barrier', params: { generations: 2_000, index: 1, async: true } },
      { scenario: 'barrier', params: { generations: 2_000, index: 2, async: false } },
    ]);
    run.close();
    expect(run.results.map((result) => result.behind)).toEqual([0, 0, 0]);
  });
});
