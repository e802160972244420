// Pool attack, bad input: tasks the codec refuses, bad options, worker files and handlers that
// misbehave, a run() timeout too large for a timer. Each failure must be a typed error for that
// task alone; the pool must keep working after it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HandlerNotFoundError, Namespace, Pool, TaskTimeoutError, UnserializableValueError, WorkerStartError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { FIXTURES, makePool, within } from '../pool/pool-helpers.js';

const ATTACK_WORKER = path.join(FIXTURES, 'attack-pool-worker.mjs');

function attackPool(options: Parameters<typeof makePool>[0] = {}): Pool {
  return makePool({ filename: ATTACK_WORKER, maxWorkers: 1, ...options });
}

describe('pool attack: tasks the codec refuses', () => {
  it('a function, a symbol, a cyclic object: typed error at run(), nothing queued, the pool still runs', async () => {
    const pool = attackPool();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    for (const task of [() => 1, Symbol('s'), { f: () => 1 }, cyclic]) {
      const error = await within(pool.run(task, { name: 'nothing' }).then(() => undefined, (e: unknown) => e), 5_000, 'refused task');
      expect(error).toBeInstanceOf(UnserializableValueError);
      expect((error as { code: string }).code).toMatch(/^ERR_SHMKIT_/);
    }
    expect(pool.queueSize).toBe(0);
    expect(await within(pool.run({ a: 2, b: 3 }), 20_000, 'after refusals')).toBe(5);
  });

  // Found by the attack: a task larger than the namespace heap made run() THROW synchronously
  // (NamespaceFullError from Submitter.enqueue -> Namespace.set); the failure is a rejection now
  // (Submitter.tryEnqueue). Since namespaces grow (1 GiB reserve), 32 MiB fits and runs.
  it('a 32 MiB task: run() returns a promise (never throws), the task runs, the pool still runs', async () => {
    const pool = attackPool();
    let thrown: unknown;
    let promise: Promise<unknown> | undefined;
    try {
      promise = pool.run(new Uint8Array(32 * 1024 * 1024), { name: 'nothing' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeUndefined();
    expect(await within(promise!, 60_000, 'big task')).toBeUndefined();
    expect(pool.queueSize).toBe(0);
    expect(await within(pool.run({ a: 1, b: 1 }), 20_000, 'after big')).toBe(2);
  });

  it('an 8 MiB task crosses intact (the large-record path)', async () => {
    const pool = attackPool();
    const big = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
    const back = await within(pool.run<Uint8Array>({ key: 'big', ms: 0, big }, { name: 'count' }), 30_000, 'big task');
    expect(back).toBe('big');
    expect(pool.namespace.get('ran.big')).toBe(1);
  });
});

describe('pool attack: bad options', () => {
  it.each([
    ['maxWorkers -1', { maxWorkers: -1 }],
    ['maxWorkers NaN', { maxWorkers: Number.NaN }],
    ['maxWorkers 0', { maxWorkers: 0 }],
    ['maxWorkers 1.5', { maxWorkers: 1.5 }],
    ['maxWorkers Infinity', { maxWorkers: Infinity }],
    ['minWorkers > maxWorkers', { minWorkers: 3, maxWorkers: 2 }],
    ['maxQueue -5', { maxQueue: -5 }],
    ['taskTimeout NaN', { taskTimeout: Number.NaN }],
    ['an unknown key', { maxThreads: 4 }],
    ['mode "cluster"', { mode: 'cluster' }],
  ])('%s: a typed error at construction, nothing left in /dev/shm', (_label, bad) => {
    const name = uniqueName('pool-bad');
    let error: unknown;
    try {
      new Pool({ filename: ATTACK_WORKER, name, ...(bad as object) });
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string } | undefined)?.code).toMatch(/^ERR_SHMKIT_/);
    expect(Namespace.exists(name)).toBe(false);
  });

  it('run() with a bad timeout or unknown key: typed rejection, no throw', async () => {
    const pool = attackPool();
    for (const options of [{ timeout: -1 }, { timeout: Number.NaN }, { timeout: '5' }, { retries: 2 }, { signal: {} }]) {
      const error = await pool.run({ a: 1, b: 1 }, options as never).then(() => undefined, (e: unknown) => e);
      expect((error as { code?: string } | undefined)?.code).toMatch(/^ERR_SHMKIT_/);
    }
  });

  // Found by the attack: a timeout past 2^31-1 ms went to setTimeout, which Node clamps to 1 ms,
  // so a generous timeout failed the task at once. Past 2^30 ms a run timeout is now none.
  it('run({ timeout: 2 ** 32 }) is a generous timeout, not an instant TaskTimeoutError', async () => {
    const pool = attackPool();
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'worker up');
    const outcome = await within(pool.run({ ms: 50 }, { name: 'wait', timeout: 2 ** 32 }).catch((e: unknown) => e), 10_000, 'huge timeout');
    expect(outcome).not.toBeInstanceOf(TaskTimeoutError);
    expect(outcome).toBe(50);
  });
});

describe('pool attack: worker files and handlers that misbehave', () => {
  it('a file that does not exist: WorkerStartError within seconds', async () => {
    const pool = makePool({ filename: path.join(FIXTURES, 'no-such-attack-worker.mjs'), maxWorkers: 1 });
    await expect(within(pool.run({}), 20_000, 'missing file')).rejects.toBeInstanceOf(WorkerStartError);
  });

  it('a module with no default export: HandlerNotFoundError for default runs, named ones still work', async () => {
    const pool = attackPool({ filename: path.join(FIXTURES, 'attack-pool-named-only.mjs') });
    expect(await within(pool.run({ a: 1 }).catch((e: unknown) => e), 20_000, 'default')).toBeInstanceOf(HandlerNotFoundError);
    expect(await within(pool.run(21, { name: 'double' }), 20_000, 'named')).toBe(42);
  });

  // Found while attacking: a worker module whose top-level await never settles. run() must not
  // hang for ever without a timeout, and destroy() must still end the pool.
  it('a worker module that never finishes loading: destroy() ends the pool and fails the task within 10 s', async () => {
    const pool = attackPool({ filename: path.join(FIXTURES, 'attack-pool-hang-load.mjs') });
    const task = pool.run({}).then(() => 'resolved', (e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await within(pool.destroy(), 10_000, 'destroy with a worker stuck loading');
    expect(await within(task, 5_000, 'task after destroy')).toBeInstanceOf(Error);
  });

  it('a handler missing by name fails that task alone, repeatedly, without killing the worker', async () => {
    const pool = attackPool();
    const results = await within(
      Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? pool.run({ a: i, b: 0 }) : pool.run({}, { name: `missing${i}` })).catch((e: unknown) => e))),
      20_000,
      'mixed',
    );
    results.forEach((r, i) => (i % 2 ? expect(r).toBe(i) : expect(r).toBeInstanceOf(HandlerNotFoundError)));
    expect(pool.stats().crashed).toBe(0);
  });

  // A handler that returns undefined: piscina, workerpool and a plain async call give undefined.
  it('a handler returning undefined resolves to undefined (not null)', async () => {
    const pool = attackPool();
    expect(await within(pool.run(null, { name: 'nothing' }), 20_000, 'undefined result')).toBeUndefined();
  });

  it.each(['string', 'null', 'undefined', 'object'])('a handler that throws a non-Error (%s): an Error for that task, the worker lives', async (kind) => {
    const pool = attackPool();
    const error = await within(pool.run({ kind }, { name: 'throwValue' }).then(() => 'resolved', (e: unknown) => e), 20_000, 'non-Error throw');
    expect(error).toBeInstanceOf(Error);
    if (kind === 'string') expect((error as Error).message).toContain('a plain string');
    expect(await within(pool.run({ a: 4, b: 4 }), 20_000, 'after throw')).toBe(8);
    expect(pool.stats().crashed).toBe(0);
  });

  it('a handler returning a rejected promise: its error (name, message) for that task', async () => {
    const pool = attackPool();
    const error = (await within(pool.run({ message: 'nope' }, { name: 'reject' }).catch((e: unknown) => e), 20_000, 'rejected')) as Error;
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('nope');
  });
});
