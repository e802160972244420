/**
 * The pool across hosts: host A submits (its own pool, one local worker, and a second
 * submitter through Pool.connect), host B (another namespace and pool, its own bridge) has
 * workers. Tasks are taken by both hosts' workers; each result comes back to its submitter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { eventually, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';

const WORKER = new URL('../fixtures/bridge-pool-worker.mjs', import.meta.url);

describe.skipIf(!REDIS_SERVER)(`the pool across hosts${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it("tasks submitted on A run on A's and B's workers; every result comes back to its submitter, once", async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 2 });
    let second: Pool | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      // A's worker up before the bridge takes tasks: a worker still starting on a busy machine
      // would leave every task to B, and "both hosts take" would fail for no fault of the bridge.
      expect((await poolA.run<{ pool: string }>({ i: -1 }, { timeout: 30_000 })).pool).toBe(poolA.name);
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 16, block: 200 });
      await b.bridge.importPool(poolB.name, { stream: 'work', concurrency: 8, block: 200 });
      second = await Pool.connect(poolA.name);
      const count = 200;
      const first = Array.from({ length: count }, (_, i) => poolA.run<{ i: number; pool: string }>({ i, ms: 5 }, { timeout: 30_000 }));
      const others = Array.from({ length: count }, (_, i) => second!.run<{ i: number; pool: string }>({ i: count + i, ms: 5 }, { timeout: 30_000 }));
      const results = await Promise.all([...first, ...others]);
      expect(results.map((r) => r.i)).toEqual(Array.from({ length: 2 * count }, (_, i) => i));
      const byPool = { a: results.filter((r) => r.pool === poolA.name).length, b: results.filter((r) => r.pool === poolB.name).length };
      expect(byPool.a + byPool.b).toBe(2 * count);
      expect(byPool.a).toBeGreaterThan(0); // both hosts take
      expect(byPool.b).toBeGreaterThan(0);
      const stats = a.bridge.stats().pools['export:work'] as { exported: number; returned: number; outstanding: number };
      expect(stats.returned).toBe(byPool.b);
      expect(stats.outstanding).toBe(0);
      console.log(`pool across hosts: ${byPool.a} tasks on A, ${byPool.b} on B (of ${2 * count})`);
    } finally {
      await second?.close();
      await stopHost(b);
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
    }
  }, 60_000);

  it("a handler's error on B comes back to A as the same error (message, code); a name B lacks is HandlerNotFoundError", async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    // A's only local worker is busy: the tasks after it go to B.
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 1 });
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      await b.bridge.importPool(poolB.name, { stream: 'work', block: 200 });
      const busy = poolA.run<{ pool: string }>({ i: -1, ms: 3000 }, { timeout: 30_000 });
      await eventually("A's worker busy", () => poolA.stats().running === 1, 10_000);
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 4, block: 200 }); // after: the bridge takes tasks too
      // Both submitted while A's worker is busy: the bridge, the only free taker, takes them.
      const failing = poolA.run({ message: 'boom across hosts' }, { name: 'fail', timeout: 30_000 });
      const missing = poolA.run({}, { name: 'no-such-handler', timeout: 30_000 });
      await expect(failing).rejects.toMatchObject({ message: 'boom across hosts', code: 'E_FIXTURE' });
      await expect(missing).rejects.toMatchObject({ code: 'ERR_SHMKIT_HANDLER_NOT_FOUND' });
      // Both answers came from B (A's worker was busy throughout), not from A's own worker.
      expect((a.bridge.stats().pools['export:work'] as { returned: number }).returned).toBe(2);
      expect((await busy).pool).toBe(poolA.name);
    } finally {
      await stopHost(b);
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
    }
  }, 60_000);
});
