// Issue 10: a handler that exits its worker (process.exit) or throws outside the task must fail
// that task with WorkerCrashedError every time, never leave run() unsettled. Looped: the hang
// was intermittent (the dying worker's parked wait kept it from finishing its exit).
import { describe, expect, it } from 'vitest';
import { WorkerCrashedError } from '../../src/index.js';
import { makePool, until, within } from './pool-helpers.js';

const ROUNDS = 20;

async function crashRounds(mode: 'thread' | 'process', handler: string): Promise<void> {
  const pool = makePool({ mode, maxWorkers: 2, minWorkers: 2 });
  for (let round = 1; round <= ROUNDS; round++) {
    const error = await within(pool.run(null, { name: handler }).catch((e: unknown) => e), 20_000, `${mode} ${handler} round ${round}`);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(await within(pool.run({ a: round, b: 1 }), 20_000, `task after round ${round}`)).toBe(round + 1);
    // Counted before its result arrives (issue 10 saw completed lag by one after a crash).
    expect(pool.stats().completed).toBe(round);
  }
  // running drops when the worker lets its task go, just after the result is sent.
  await until(() => pool.stats().running === 0, 20_000, 'running back to 0');
  await until(() => pool.stats().workers === 2, 20_000, 'replacement workers');
  expect(pool.stats().crashed).toBe(ROUNDS);
}

describe('a worker that dies in a handler, again and again (issue 10)', () => {
  it('thread: process.exit(3) in the handler', { timeout: 240_000 }, () => crashRounds('thread', 'exitNow'));
  it('process: process.exit(3) in the handler', { timeout: 240_000 }, () => crashRounds('process', 'exitNow'));
  it('process: an error thrown from a timer the handler set', { timeout: 240_000 }, () => crashRounds('process', 'throwOutside'));
  it('thread: an error thrown from a timer the handler set', { timeout: 240_000 }, () => crashRounds('thread', 'throwOutside'));
});
