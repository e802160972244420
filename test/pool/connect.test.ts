// Pool.connect: three processes submit to the same workers at once; every result goes back
// to the process that submitted it, exactly once.
import { describe, expect, it } from 'vitest';
import { Pool, SectionNotFoundError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { makePool, until, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('Pool.connect (%s workers)', (mode) => {
  it('three submitter processes at once: each gets its own results, every task runs once', async () => {
    const pool = makePool({ mode, maxWorkers: 2 });
    const count = 2_000;
    const children = ['a', 'b', 'c'].map((prefix) => startChild('pool-submitter.mjs', [pool.name, String(count), prefix]));
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const own = Array.from({ length: count }, (_, i) => `own${i}`);
      // Start them together (each waits for a message), while this process submits too.
      const ready = children.map(async (child) => {
        await within(waitConnected(pool, 4), 30_000, 'three connected');
        child.process.send('go');
      });
      await Promise.all(ready);
      const mine = Promise.all(own.map((key) => pool.run({ key }, { name: 'count' })));
      const reports = await within(Promise.all(children.map((child) => child.message<{ done: number; wrong: number }>(120_000))), 150_000, 'children');
      for (const report of reports) expect(report).toEqual({ done: count, wrong: 0 });
      expect(await within(mine, 60_000, 'own tasks')).toEqual(own);
      for (const child of children) expect((await child.exit(30_000)).code).toBe(0);
      for (const prefix of ['a', 'b', 'c', 'own']) {
        for (let i = 0; i < count; i++) expect(pool.namespace.get(`ran.${prefix}${i}`)).toBe(1);
      }
      await until(() => pool.stats().running === 0, 5_000, 'running back to 0'); // let go just after the last result
      const stats = pool.stats();
      expect(stats).toMatchObject({ completed: 4 * count, failed: 0, crashed: 0, queued: 0, running: 0 });
    } finally {
      for (const child of children) child.kill();
    }
  });
});

describe('Pool.connect errors', () => {
  it('no such pool: SectionNotFoundError at once, TimeoutError after a timeout', async () => {
    const name = uniqueName('nopool');
    const error = (await Pool.connect(name).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SectionNotFoundError);
    // It names the pool and how to make one, not Section.create (issue 10).
    expect(error.message).toBe(`no pool '${name}': create it with new Pool({ name: '${name}', ... }) or pass { timeout } to wait for it`);
    await expect(Pool.connect(uniqueName('nopool'), { timeout: 50 })).rejects.toThrow(/within 50 ms/);
  });

  it('a connected handle in the same process shares the workers; close() gives its slot back', async () => {
    const pool = makePool({ maxWorkers: 1 });
    const other = await Pool.connect(pool.name);
    expect(await within(other.run({ a: 20, b: 22 }), 20_000, 'connected run')).toBe(42);
    await other.close();
    await expect(other.run({ a: 1, b: 1 })).rejects.toThrow(/closed/);
    expect(await pool.run({ a: 1, b: 1 })).toBe(2);
  });
});

/** Until `n` submitter slots are taken (the owner's and the children's). */
async function waitConnected(pool: ReturnType<typeof makePool>, n: number): Promise<void> {
  const { readPool } = await import('../../src/cli/read-pool.js');
  const entry = pool.namespace.objects().find((o) => o.kind === 'pool')!;
  while (readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset).submitters < n) await new Promise((resolve) => setTimeout(resolve, 10));
}
