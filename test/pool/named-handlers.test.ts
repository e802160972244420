// Worker modules: default and named exports, ESM and CommonJS, handler errors, missing handlers.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HandlerNotFoundError, WorkerStartError } from '../../src/index.js';
import { expectNoFailures, FIXTURES, makePool, within } from './pool-helpers.js';

describe.each(['thread', 'process'] as const)('pool handlers (%s mode)', (mode) => {
  it('runs the default export and named exports', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    expect(await within(pool.run({ a: 2, b: 3 }), 20_000, 'default')).toBe(5);
    expect(await pool.run(new Map([['x', 1]]), { name: 'echo' })).toEqual(new Map([['x', 1]]));
    const who = await pool.run<{ pid: number; workerId: number }>(null, { name: 'whoami' });
    expect(who.workerId).toBe(0);
    if (mode === 'process') expect(who.pid).not.toBe(process.pid);
    else expect(who.pid).toBe(process.pid);
    expectNoFailures(pool);
  });

  it("passes the handler's error back (name, message, code) and keeps the worker", async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const error = (await pool.run({ message: 'bad input' }, { name: 'fail' }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('bad input');
    expect(error.code).toBe('E_FIXTURE');
    expect(await pool.run({ a: 1, b: 1 })).toBe(2);
    expect(pool.stats().failed).toBe(1);
    expectNoFailures(pool);
  });

  it('an Error subclass comes back as a plain Error keeping its name, message and code', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    const error = (await pool.run({ message: 'typed' }, { name: 'failSubclass' }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('FixtureError');
    expect(error.message).toBe('typed');
    expect(error.code).toBe('E_FIXTURE_SUBCLASS');
  });

  it('a missing named export fails that task alone with HandlerNotFoundError', async () => {
    const pool = makePool({ mode, maxWorkers: 1 });
    await expect(pool.run(1, { name: 'nope' })).rejects.toBeInstanceOf(HandlerNotFoundError);
    expect(await pool.run({ a: 1, b: 1 })).toBe(2);
  });
});

describe('CommonJS worker files', () => {
  it('runs module.exports and its named functions', async () => {
    const pool = makePool({ filename: path.join(FIXTURES, 'pool-worker.cjs'), maxWorkers: 1 });
    expect(await within(pool.run(4), 20_000, 'cjs default')).toBe(8);
    expect(await pool.run(4, { name: 'square' })).toBe(16);
  });
});

describe('worker files that cannot load', () => {
  it('a missing file fails run() with WorkerStartError and no endless restarts', async () => {
    const pool = makePool({ filename: path.join(FIXTURES, 'pool-no-such-file.mjs'), maxWorkers: 2 });
    await expect(within(pool.run(1), 20_000, 'run on a missing file')).rejects.toBeInstanceOf(WorkerStartError);
    await expect(pool.run(1)).rejects.toBeInstanceOf(WorkerStartError);
  });
});
