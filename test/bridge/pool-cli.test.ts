/**
 * `shmkit bridge --import-pool POOL=STREAM`: a worker host's bridge from the command line runs
 * the tasks another host submits, and stops cleanly on SIGTERM with its counters.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace, Pool } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { MAIN } from '../cli/run-cli.js';
import { eventually, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';

const WORKER = new URL('../fixtures/bridge-pool-worker.mjs', import.meta.url);

describe.skipIf(!REDIS_SERVER)(`shmkit bridge --import-pool${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it("runs host A's tasks on host B's pool; SIGTERM closes cleanly (exit 0, counters printed)", async () => {
    const prefix = testPrefix();
    const hostB = uniqueName('cli-pool-b');
    const nsB = Namespace.open(hostB);
    const poolA = new Pool({ filename: WORKER, name: uniqueName('pool-a'), maxWorkers: 1 });
    const poolB = new Pool({ filename: WORKER, name: uniqueName('pool-b'), maxWorkers: 2 });
    let a: Host | undefined;
    const child = spawn(process.execPath, [MAIN, 'bridge', '--redis', redis.url, '--namespace', hostB, '--import-pool', `${poolB.name}=work`, '--prefix', prefix, '--host', 'b', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      a.bridge.exportPool(poolA.name, { stream: 'work', window: 8, block: 200 });
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => poolA.run<{ i: number; pool: string }>({ i, ms: 20 }, { timeout: 30_000 })));
      expect(results.map((r) => r.i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      const onB = results.filter((r) => r.pool === poolB.name).length;
      expect(onB).toBeGreaterThan(0);
      await eventually('the CLI bridge answered', () => (a!.bridge.stats().pools['export:work'] as { returned: number }).returned === onB, 10_000);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 10 s: ${output}`)), 10_000))]);
      expect(code).toBe(0);
      const final = JSON.parse(output.trim().split('\n').pop()!) as { pools: Record<string, { answered: number }> };
      expect(final.pools['import:work']!.answered).toBe(onB);
    } finally {
      child.kill('SIGKILL');
      await stopHost(a);
      await poolB.destroy();
      await poolA.destroy();
      nsB.close();
      Namespace.destroy(hostB);
    }
  }, 60_000);
});
