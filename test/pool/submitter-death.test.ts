// A submitter SIGKILLed with tasks in flight: its running tasks are aborted, its queued ones
// are skipped, its slot and results channel are reclaimed; nothing runs for ever.
import { describe, expect, it } from 'vitest';
import { startChild } from '../helpers/child.js';
import { makePool, until, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('submitter death (%s workers)', (mode) => {
  it('no task of a dead submitter runs for ever, and its slot is freed', async () => {
    const pool = makePool({ mode, maxWorkers: 2 });
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'warm up');
    const child = startChild('pool-submitter.mjs', [pool.name, '2', 'dead', 'hang']);
    try {
      expect(await child.message(30_000)).toEqual({ submitted: 4 });
      await until(() => pool.stats().running === 2, 20_000, 'the hanging tasks run');
      child.kill('SIGKILL');
      await child.exit(10_000);
      // The supervisor sees the dead submitter within a second, aborts its two running tasks
      // (they stop on ctx.signal) and its two queued ones are skipped, not run.
      await until(() => pool.stats().running === 0 && pool.stats().queued === 0, 20_000, 'dead submitter tasks gone');
      expect(pool.namespace.get('ran.dead0')).toBeUndefined();
      expect(pool.namespace.get('ran.dead1')).toBeUndefined();
      const { readPool } = await import('../../src/cli/read-pool.js');
      const entry = pool.namespace.objects().find((o) => o.kind === 'pool')!;
      await until(() => readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset).submitters === 1, 10_000, 'slot freed');
      expect(readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset)).toMatchObject({ skipped: 2, crashed: 0 });
      expect(await within(pool.run({ a: 2, b: 3 }), 20_000, 'pool still serves')).toBe(5);
    } finally {
      child.kill();
    }
  });
});
