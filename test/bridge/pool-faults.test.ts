/**
 * The pool across hosts under faults (a real redis-server): the worker host's bridge
 * SIGKILLed with tasks in flight and restarted; left dead; Redis killed and restarted
 * mid-run. Every task settles exactly once on the submitting host, with its own result or a
 * typed error, never a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace, Pool, TaskTimeoutError } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { eventually, freezeHoldingPending, sleep, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';

const WORKER = new URL('../fixtures/bridge-pool-worker.mjs', import.meta.url);

interface RunnerStats {
  stats: { pools: Record<string, { started: number; answered: number; rerun: number }> };
  errors: string[];
}

type Result = { i: number; pool: string };

/** Every promise settled exactly once (a promise cannot settle twice): the values, in order, or the first failure. */
function inOrder(results: Array<PromiseSettledResult<Result>>): number[] {
  return results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value.i;
  });
}

describe.skipIf(!REDIS_SERVER)(`the pool across hosts, under faults${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it("B's bridge SIGKILLed with tasks in flight, then restarted: every task settles once on A with its own result", async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    const nsB = Namespace.open(uniqueName('host-b'), { size: 4 << 20 });
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 2 });
    const children: Child[] = [];
    const config = { redis: redis.url, prefix, host: 'host-b', namespace: nsB.name, pool: poolB.name, stream: 'work', importOptions: { concurrency: 8, claimIdle: 1000, block: 200 } };
    const startB = async (): Promise<Child> => {
      const child = startChild('bridge-pool-runner.mjs', [JSON.stringify(config)]);
      children.push(child);
      expect(await child.message(20_000)).toBe('ready');
      return child;
    };
    const stats = async (child: Child): Promise<RunnerStats> => {
      child.process.send('stats');
      return child.message<RunnerStats>(10_000);
    };
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 16, block: 200 });
      let b = await startB();
      const count = 150;
      const running = Promise.allSettled(Array.from({ length: count }, (_, i) => poolA.run<Result>({ i, ms: 30 }, { timeout: 60_000 })));
      await eventually('B started 20 tasks', async () => (await stats(b)).stats.pools['import:work']!.started >= 20, 30_000);
      // Killed with tasks taken and not answered, for certain: between two batches it may hold none.
      await freezeHoldingPending(b, redis.client(), `${prefix}:pool:work:tasks`, 'shmkit', 'host-b/pool/work');
      b.kill('SIGKILL'); // tasks running on B's workers, their answers not yet in Redis
      await b.exit();
      await sleep(300);
      b = await startB(); // the same consumer name: runs its own unanswered tasks again at once
      const results = await running;
      expect(inOrder(results)).toEqual(Array.from({ length: count }, (_, i) => i));
      const after = (await stats(b)).stats.pools['import:work']!;
      const onB = results.filter((r) => r.status === 'fulfilled' && r.value.pool === poolB.name).length;
      expect(onB).toBeGreaterThan(0);
      expect(after.rerun).toBeGreaterThan(0); // what the killed bridge held ran again
      await eventually("A's window empty", () => (a!.bridge.stats().pools['export:work'] as { outstanding: number }).outstanding === 0, 10_000);
      const exported = a.bridge.stats().pools['export:work'] as { unmatched: number };
      console.log(`pool, B's bridge killed: ${onB} of ${count} tasks answered by B, ${after.rerun} run again after the restart, ${exported.unmatched} duplicate results dropped on A`);
      b.process.send('close');
      await b.message(10_000);
      await b.exit();
    } finally {
      // Dead before the namespaces go: destroy refuses a section a live process still maps.
      for (const child of children) {
        child.kill('SIGKILL');
        await child.exit(10_000).catch(() => undefined);
      }
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
      nsB.destroy();
    }
  }, 120_000);

  it("B's bridge SIGKILLed and never back: A's tasks that B held fail with TaskTimeoutError at their timeout; the window frees itself", async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    const nsB = Namespace.open(uniqueName('host-b'), { size: 4 << 20 });
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 2 });
    let b: Child | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = startChild('bridge-pool-runner.mjs', [JSON.stringify({ redis: redis.url, prefix, host: 'host-b', namespace: nsB.name, pool: poolB.name, stream: 'work', importOptions: { block: 200 } })]);
      expect(await b.message(20_000)).toBe('ready');
      // A's only worker busy (no timeout), so the next two tasks go to the bridge (its window: 2), for B.
      const busy = poolA.run<Result>({ i: -1, ms: 6_000 });
      await eventually("A's worker busy", () => poolA.stats().running === 1, 10_000);
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 2, block: 200 }); // after: the bridge takes tasks too
      const held = Array.from({ length: 2 }, (_, i) => poolA.run<Result>({ i, ms: 10_000 }, { timeout: 4_000 }));
      const settled = Promise.allSettled(held);
      await eventually('the bridge took both tasks', () => (a!.bridge.stats().pools['export:work'] as { exported: number }).exported === 2, 10_000);
      b.kill('SIGKILL'); // whether B read them or not, nobody answers them now
      await b.exit();
      const results = await settled;
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TaskTimeoutError);
      }
      expect((await busy).pool).toBe(poolA.name);
      // The window frees itself (those tasks timed out): the route is not shut for good.
      await eventually("A's window emptied of timed-out tasks", () => (a!.bridge.stats().pools['export:work'] as { outstanding: number }).outstanding === 0, 10_000);
    } finally {
      b?.kill('SIGKILL');
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
      nsB.destroy();
    }
  }, 60_000);

  it('Redis killed and restarted mid-run: every task settles once on A with its own result', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 2 });
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 16, block: 200 });
      await b.bridge.importPool(poolB.name, { stream: 'work', concurrency: 8, block: 200, claimIdle: 1000 });
      const count = 150;
      const running = Promise.allSettled(Array.from({ length: count }, (_, i) => poolA.run<Result>({ i, ms: 20 }, { timeout: 60_000 })));
      await eventually('20 results back from B', () => (a!.bridge.stats().pools['export:work'] as { returned: number }).returned >= 20, 30_000);
      await redis.stop('SIGKILL');
      await sleep(500);
      await redis.start();
      const results = await running;
      expect(inOrder(results)).toEqual(Array.from({ length: count }, (_, i) => i));
      const returned = (a.bridge.stats().pools['export:work'] as { returned: number }).returned;
      console.log(`pool, Redis restarted: ${results.filter((r) => r.status === 'fulfilled' && r.value.pool === poolB.name).length} of ${count} answered by B; ${returned} results written back`);
    } finally {
      await stopHost(b);
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
    }
  }, 120_000);
});
