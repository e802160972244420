// A task or result the codec cannot carry is a typed error for that task alone.
import { describe, expect, it } from 'vitest';
import { UnserializableValueError } from '../../src/index.js';
import { makePool, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('codec refusals (%s mode)', (mode) => {
  it('a task the codec refuses: UnserializableValueError at run(), nothing queued', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    await expect(pool.run({ f: () => 1 })).rejects.toBeInstanceOf(UnserializableValueError);
    await expect(pool.run(Symbol('s'))).rejects.toBeInstanceOf(UnserializableValueError);
    expect(pool.stats().queued).toBe(0);
    expect(await within(pool.run({ a: 1, b: 2 }), 20_000, 'next task')).toBe(3);
  });

  it('a result the codec refuses: UnserializableValueError for that task, the worker lives on', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    await expect(within(pool.run(null, { name: 'unserializable' }), 20_000, 'bad result')).rejects.toBeInstanceOf(UnserializableValueError);
    expect(await pool.run({ a: 2, b: 2 })).toBe(4);
    expect(pool.stats()).toMatchObject({ failed: 1, crashed: 0 });
  });

  it('carries large tasks and results (past a queue record) and rich values', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const back = await within(pool.run<Uint8Array>(big, { name: 'echo' }), 20_000, 'large echo');
    expect(back).toEqual(big);
    const rich = { when: new Date(0), set: new Set([1, 2]), map: new Map([['k', [1n]]]), nested: { list: [1, 'two', null] } };
    expect(await pool.run(rich, { name: 'echo' })).toEqual(rich);
  });
});
