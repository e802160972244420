// Pool attack, other processes and kills: a pool name held by a non-pool namespace, connecting
// to a destroyed pool or one whose owner was SIGKILLed, the owner killed under a connected
// submitter, process.exit() and SIGKILL inside process workers, a handler that never settles.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Namespace, Pool, PoolClosedError, SectionNotFoundError, WorkerCrashedError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { FIXTURES, makePool, outcomes, until, within } from '../pool/pool-helpers.js';

const ATTACK_WORKER = path.join(FIXTURES, 'attack-pool-worker.mjs');

function attackPool(options: Parameters<typeof makePool>[0] = {}): Pool {
  return makePool({ filename: ATTACK_WORKER, maxWorkers: 2, ...options });
}

describe('pool attack: another user of the name', () => {
  it('a pool name already used by a plain namespace: typed error, the namespace is left intact', () => {
    const name = uniqueName('pool-taken');
    const ns = Namespace.open(name);
    try {
      ns.set('mine', 42);
      let error: unknown;
      try {
        new Pool({ filename: ATTACK_WORKER, name });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string } | undefined)?.code).toMatch(/^ERR_SHMKIT_/);
      expect(ns.get('mine')).toBe(42);
      expect(Namespace.exists(name)).toBe(true);
    } finally {
      ns.destroy();
    }
  });

  it('Pool.connect to a destroyed pool: SectionNotFoundError at once', async () => {
    const pool = attackPool({ maxWorkers: 1 });
    await pool.destroy();
    await expect(within(Pool.connect(pool.name), 5_000, 'connect to destroyed')).rejects.toBeInstanceOf(SectionNotFoundError);
  });
});

describe('pool attack: the owner process dies', () => {
  it('SIGKILL the owner under a connected submitter: its running and queued tasks fail with PoolClosedError within 2 s', async () => {
    const name = uniqueName('pool-owner');
    const owner = startChild('attack-pool-owner.mjs', [name, 'process']);
    let handle: Pool | undefined;
    try {
      await owner.message(30_000);
      handle = await Pool.connect(name, { timeout: 5_000 });
      const tasks = [handle.run({ ms: 60_000 }, { name: 'wait' }), handle.run({ ms: 60_000 }, { name: 'wait' }), handle.run({ a: 1, b: 2 })];
      await new Promise((resolve) => setTimeout(resolve, 200));
      const killedAt = Date.now();
      owner.kill('SIGKILL');
      const results = await within(outcomes(tasks), 10_000, 'tasks after the owner died');
      const took = Date.now() - killedAt;
      for (const r of results.slice(0, 2)) expect(r.error).toBeInstanceOf(PoolClosedError);
      expect(took).toBeLessThan(2_000);
    } finally {
      owner.kill('SIGKILL');
      await owner.exit(10_000).catch(() => undefined);
      await handle?.destroy();
      try {
        Namespace.open(name, { reuse: true }).destroy();
      } catch {
        // gone already
      }
    }
  });

  it('Pool.connect after the owner was SIGKILLed: refused, or every run() fails with PoolClosedError within 2 s', async () => {
    const name = uniqueName('pool-dead-owner');
    const owner = startChild('attack-pool-owner.mjs', [name, 'thread']);
    let handle: Pool | undefined;
    try {
      await owner.message(30_000);
      owner.kill('SIGKILL');
      await owner.exit(10_000);
      let connectError: unknown;
      try {
        handle = await Pool.connect(name);
      } catch (e) {
        connectError = e;
      }
      if (handle) {
        const error = await within(handle.run({ a: 1, b: 1 }).catch((e: unknown) => e), 5_000, 'run on a dead pool');
        expect(error).toBeInstanceOf(PoolClosedError);
      } else {
        expect((connectError as { code?: string }).code).toMatch(/^ERR_SHMKIT_/);
      }
      // A new pool of the name replaces the dead one.
      const fresh = makePool({ filename: ATTACK_WORKER, name, maxWorkers: 1 });
      expect(await within(fresh.run({ a: 2, b: 2 }), 20_000, 'fresh pool')).toBe(4);
    } finally {
      owner.kill('SIGKILL');
      await handle?.destroy();
    }
  });
});

describe('pool attack: workers that die or hang', () => {
  it('process.exit() inside a task in a process worker: that task fails with WorkerCrashedError, others complete once', async () => {
    const pool = attackPool({ mode: 'process', maxWorkers: 2 });
    await within(pool.run({ a: 1, b: 1 }), 30_000, 'up');
    const exiting = pool.run(null, { name: 'exitNow' });
    const keys = Array.from({ length: 100 }, (_, i) => `x${i}`);
    const others = keys.map((key) => pool.run({ key, ms: 1 }, { name: 'count' }));
    const [exitOutcome] = await within(outcomes([exiting]), 20_000, 'exiting task');
    expect(exitOutcome!.error).toBeInstanceOf(WorkerCrashedError);
    const results = await within(outcomes(others), 30_000, 'other tasks');
    for (const [i, r] of results.entries()) {
      if (r.error) expect(r.error).toBeInstanceOf(WorkerCrashedError);
      else expect(pool.namespace.get(`ran.${keys[i]}`)).toBe(1);
    }
    expect(results.filter((r) => r.error)).toHaveLength(0);
    await until(() => pool.stats().workers === 2, 20_000, 'replacement');
  });

  it('SIGKILL a process worker holding two long tasks in turn: exactly the held task fails each time', async () => {
    const pool = attackPool({ mode: 'process', maxWorkers: 1 });
    for (let round = 0; round < 2; round++) {
      const who = await within(pool.run<{ pid: number } | number>({ a: 0, b: 0 }), 30_000, 'up');
      expect(who).toBe(0);
      const { readPool } = await import('../../src/cli/read-pool.js');
      const held = pool.run({ ms: 60_000 }, { name: 'wait' });
      const queued = Array.from({ length: 5 }, (_, i) => pool.run({ key: `r${round}-${i}` }, { name: 'count' }));
      // The worker holds `wait` and has taken none of the 5 (running alone can still count the
      // warm-up task for a moment after its result: stats().running's doc).
      await until(() => pool.stats().running === 1 && pool.stats().queued === 5, 10_000, 'held');
      const directory = pool.namespace.objects().find((o) => o.kind === 'pool')!;
      const report = readPool(pool.namespace.section.buffer as ArrayBuffer, directory.offset);
      const pid = report.workers.find((w) => w.owner?.alive)!.owner!.pid;
      process.kill(pid, 'SIGKILL');
      await expect(within(held, 10_000, 'held task')).rejects.toBeInstanceOf(WorkerCrashedError);
      expect(await within(Promise.all(queued), 30_000, 'queued after kill')).toEqual(queued.map((_, i) => `r${round}-${i}`));
      for (let i = 0; i < 5; i++) expect(pool.namespace.get(`ran.r${round}-${i}`)).toBe(1);
    }
    expect(pool.stats().crashed).toBe(2);
  });

  it('a handler that never settles, no timeout: destroy() fails it and ends within 10 s (thread and process)', async () => {
    for (const mode of ['thread', 'process'] as const) {
      const pool = attackPool({ mode, maxWorkers: 1 });
      const task = pool.run(null, { name: 'never' }).then(() => 'resolved', (e: unknown) => e);
      await until(() => pool.stats().running === 1, 20_000, 'running');
      await within(pool.destroy(), 10_000, `destroy (${mode})`);
      expect(await within(task, 5_000, 'never task')).toBeInstanceOf(PoolClosedError);
    }
  });

  it('a module whose top-level await never settles while a timer keeps it alive: destroy() ends it within 10 s (thread and process)', async () => {
    for (const mode of ['thread', 'process'] as const) {
      const pool = attackPool({ mode, maxWorkers: 1, filename: path.join(FIXTURES, 'pool-hang-load-alive.mjs') });
      const task = pool.run({}).then(() => 'resolved', (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // its module is running by now
      await within(pool.destroy(), 10_000, `destroy (${mode})`);
      expect(await within(task, 5_000, 'task after destroy')).toBeInstanceOf(PoolClosedError);
    }
  });

  it('an aborted never-settling handler: the run() rejects at once, the held worker is not freed but other workers serve', async () => {
    const pool = attackPool({ maxWorkers: 2 });
    const controller = new AbortController();
    const stuck = pool.run(null, { name: 'never', signal: controller.signal }).catch((e: unknown) => e);
    await until(() => pool.stats().running === 1, 20_000, 'running');
    controller.abort();
    expect(await within(stuck, 2_000, 'aborted')).toBeInstanceOf(Error);
    expect(await within(Promise.all(Array.from({ length: 20 }, (_, i) => pool.run({ a: i, b: 1 }))), 20_000, 'others')).toHaveLength(20);
  });
});

describe('pool attack: a worker module that makes a pool', () => {
  // A worker whose module makes a thread pool at top level supervises threads of its own. It
  // used to hang the outer destroy(): the stopped (or terminated) worker thread exited without
  // ending its inner pool, Node's teardown of that thread then waits for the inner pool's
  // worker threads, and each of those waits for its own parked futex_waitv, which nobody woke
  // (their supervisor's JS was gone). Now a stopping worker destroys the pools it made first,
  // and a terminated one's nested threads finish within their hub's 250 ms wait slice
  // (src/section/doorbell-hub.ts). In process mode the inner workers see their parent's IPC
  // pipe close and end likewise.
  const cases = [
    { mode: 'thread', outer: 'idle' },
    { mode: 'thread', outer: 'busy' },
    { mode: 'process', outer: 'idle' },
  ] as const;
  for (const { mode, outer } of cases) {
    it(`${mode === 'thread' ? 'threads' : 'processes'}, the outer worker ${outer}: destroy() of the outer pool ends within 10 s and no inner worker outlives it`, async () => {
      const name = uniqueName('pool-nest');
      const owner = startChild('attack-pool-nest-owner.mjs', [name, mode, outer]);
      try {
        const report = await owner.message<{ destroyed: boolean; ms: number; pids: number[] }>(60_000);
        expect(report.destroyed).toBe(true);
        expect(report.pids).toHaveLength(3);
        // The owner's process.exit() waits for every thread of the nest: it returns only if none is stuck.
        expect(await owner.exit(15_000)).toEqual({ code: 0, signal: null });
        await until(() => report.pids.every((pid) => !isRunning(pid)), 10_000, 'every worker process of the nest exits');
      } finally {
        owner.kill('SIGKILL');
        await owner.exit(10_000).catch(() => undefined);
        for (const n of [name, `${name}-0`, `${name}-1`]) {
          try {
            Namespace.open(n, { reuse: true }).destroy();
          } catch {
            // not there
          }
        }
      }
    });
  }
});

/** Whether process `pid` runs (a zombie nobody reaped yet does not). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return existsSync('/proc/self') ? false : true; // no /proc here: kill(0) said it runs
  }
}
