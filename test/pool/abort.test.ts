// signal: a queued task is dropped at once (and never run); a running one is aborted
// cooperatively through ctx.signal, without killing its worker.
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../src/index.js';
import { makePool, outcomes, until, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('abort (%s mode)', (mode) => {
  it('drops a queued task at once: the promise rejects with the reason, the worker never runs it', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    let blockerDone = false;
    const blocker = pool.run({ ms: 600 }, { name: 'spin' }).finally(() => (blockerDone = true));
    await until(() => pool.stats().running === 1, 20_000, 'blocker running');
    const controller = new AbortController();
    const queued = pool.run({ key: 'dropped' }, { name: 'count', signal: controller.signal });
    const reason = new Error('no longer needed');
    controller.abort(reason);
    const error = await within(queued, 20_000, 'queued').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError); // ERR_SHMKIT_ABORTED, as every blocking call's
    expect((error as AbortError).cause).toBe(reason);
    // At once: while the only worker still spins on the blocker (600 ms of its CPU), not after
    // it (a wall-clock bound would fail on a busy machine).
    expect(blockerDone).toBe(false);
    expect(await within(blocker, 20_000, 'blocker')).toBe('spun');
    expect(await pool.run({ key: 'after' }, { name: 'count' })).toBe('after');
    expect(pool.namespace.get('ran.dropped')).toBeUndefined();
    expect(pool.namespace.get('ran.after')).toBe(1);
  });

  it('aborts a running task cooperatively: the handler sees ctx.signal, the worker lives on', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const before = await within(pool.run<{ pid: number }>(null, { name: 'whoami' }), 20_000, 'whoami');
    const controller = new AbortController();
    const running = pool.run({ ms: 30_000 }, { name: 'wait', signal: controller.signal });
    await until(() => pool.stats().running === 1, 20_000, 'task running');
    controller.abort();
    const [outcome] = await within(outcomes([running]), 5_000, 'aborted task');
    expect(outcome!.error?.name).toBe('AbortError');
    await until(() => pool.stats().running === 0, 5_000, 'the handler returned');
    const after = await pool.run<{ pid: number }>(null, { name: 'whoami' });
    expect(after.pid).toBe(before.pid);
    expect(pool.stats().crashed).toBe(0);
  });

  it('an already aborted signal rejects without queueing', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(pool.run({ key: 'never' }, { name: 'count', signal: controller.signal })).rejects.toThrow();
    expect(await within(pool.run({ a: 1, b: 1 }), 20_000, 'next')).toBe(2);
    expect(pool.namespace.get('ran.never')).toBeUndefined();
    expect(pool.stats().queued).toBe(0);
  });
});
