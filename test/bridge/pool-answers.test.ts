/**
 * The pool across hosts when a reply or the bridge goes while an answer is on its way:
 * - the submitting host's read of its results stream answered by Redis, the reply lost with
 *   the connection: the result is pending for that host's consumer and must still be
 *   delivered (nobody else claims a results stream);
 * - the worker host's bridge closed between the XADD of a result and its XACK: the answer
 *   finishes, so the task is not left pending to run again, and `answered` counts it.
 * The test plays the other host itself (raw stream entries) so each moment is exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';
import { RESULT_OK } from '../../src/layout/pool.js';
import { encodeForWire } from '../../src/bridge/wire.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { eventually, sleep, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';

const WORKER = new URL('../fixtures/bridge-pool-worker.mjs', import.meta.url);

describe.skipIf(!REDIS_SERVER)(`pool answers across a lost reply or a close${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it('a result whose XREADGROUP reply was lost (pending for the submitting host, never seen) is delivered after the reconnect', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      // A's only worker busy, so the next task goes to the bridge.
      const busy = poolA.run<{ i: number; pool: string }>({ i: -1, ms: 2000 });
      await eventually("A's worker busy", () => poolA.stats().running === 1, 10_000);
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 1, block: 200 });
      const task = poolA.run<{ i: number; pool: string }>({ i: 7 }, { timeout: 15_000 });
      const exported = (): { exported: number; returned: number } => a!.bridge.stats().pools['export:work'] as { exported: number; returned: number };
      await eventually('the bridge exported the task', () => exported().exported === 1, 10_000);

      // The worker host's part, by hand: take the task, answer it.
      const client = redis.client();
      const tasks = `${prefix}:pool:work:tasks`;
      const results = `${prefix}:pool:work:results:host-a`;
      await client.xgroup('CREATE', tasks, 'test', '0');
      const read = (await client.xreadgroup('GROUP', 'test', 'test', 'COUNT', 1, 'STREAMS', tasks, '>')) as Array<[string, Array<[string, string[]]>]>;
      const fields = read[0]![1][0]![1];
      const key = fields[fields.indexOf('k') + 1]!;
      expect(fields[fields.indexOf('r') + 1]).toBe(results);
      await eventually("A's results group exists", async () => ((await client.xinfo('GROUPS', results).catch(() => [])) as unknown[]).length === 1, 10_000);
      // The lost reply, made exact: in one transaction the result is appended and read as A's
      // consumer (Redis serves A's blocked read only after the transaction, and finds nothing
      // new). The entry is now pending for A, as after a reply lost with the connection.
      const [, [, stolen]] = (await client
        .multi()
        .xadd(results, '*', 'k', key, 'st', String(RESULT_OK), 'm', '0', 'v', encodeForWire({ i: 7, pool: 'by hand' }))
        .xreadgroup('GROUP', 'shmkit', 'host-a/pool/work', 'COUNT', 10, 'STREAMS', results, '>')
        .exec()) as [[null, string], [null, Array<[string, unknown[]]>]];
      expect(stolen[0]![1]).toHaveLength(1);
      await sleep(300); // A's blocking read came back empty at least once: it did not see the entry
      expect(exported().returned).toBe(0);
      // The connection drops (what lost the reply).
      await client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await expect(task).resolves.toEqual({ i: 7, pool: 'by hand' });
      expect(exported().returned).toBe(1);
      expect((await busy).pool).toBe(poolA.name);
    } finally {
      await stopHost(a);
      await poolA.destroy();
    }
  }, 60_000);

  it("a worker host's bridge closed between a result's XADD and its XACK: the answer finishes (acknowledged, counted), the task does not run again", async () => {
    const prefix = testPrefix();
    let b: Host | undefined;
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 1 });
    try {
      b = await startHost(redis.url, prefix, 'host-b');
      // The XACK of every answer waits 1 s before it goes out: the close lands in between.
      const commands = b.bridge.client as unknown as { xack(...args: unknown[]): Promise<number> };
      const xack = commands.xack.bind(commands);
      commands.xack = async (...args: unknown[]) => {
        await sleep(1000);
        return xack(...args);
      };
      const imported = await b.bridge.importPool(poolB.name, { stream: 'work', block: 200 });
      const client = redis.client();
      const tasks = `${prefix}:pool:work:tasks`;
      const results = `${prefix}:pool:work:results:host-a`;
      // The submitting host's part, by hand: one task.
      await client.xadd(tasks, '*', 'k', '0:1:1', 'r', results, 'd', '0', 'v', encodeForWire({ i: 3 }));
      await eventually('the result is in Redis', async () => (await client.xlen(results)) === 1, 20_000);
      await b.bridge.close();
      expect(imported.stats.answered).toBe(1);
      expect(await client.xpending(tasks, 'shmkit')).toEqual([0, null, null, null]); // acknowledged: not run again
    } finally {
      await stopHost(b);
      await poolB.destroy();
    }
  }, 60_000);
});
