/**
 * `shmkit bridge`: two bridge processes started from the command line relay a channel
 * between two namespaces, and stop cleanly on SIGTERM with their counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { MAIN } from '../cli/run-cli.js';
import { testPrefix } from './bridge-helpers.js';

function startCli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN, 'bridge', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe.skipIf(!REDIS_SERVER)(`shmkit bridge${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it('relays a channel between two namespaces; SIGTERM closes cleanly (exit 0, counters printed)', async () => {
    const prefix = testPrefix();
    const hostA = uniqueName('cli-bridge-a');
    const hostB = uniqueName('cli-bridge-b');
    const nsA = Namespace.open(hostA);
    const nsB = Namespace.open(hostB);
    const a = startCli(['--redis', redis.url, '--namespace', hostA, '--export', 'jobs', '--prefix', prefix, '--host', 'a']);
    const b = startCli(['--redis', redis.url, '--namespace', hostB, '--import', 'jobs', '--prefix', prefix, '--host', 'b', '--json']);
    try {
      const out = nsA.channel<number>('jobs');
      const inbox = nsB.channel<number>('jobs');
      for (let i = 0; i < 500; i++) await out.send(i, { timeout: 10_000 });
      const got: number[] = [];
      while (got.length < 500) got.push(await inbox.receive({ timeout: 20_000 }));
      expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(a.output()).toContain(`bridge: namespace '${hostA}' as host 'a'`);
      for (const cli of [a, b]) {
        const exited = once(cli.child, 'exit');
        cli.child.kill('SIGTERM');
        const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 10 s')), 10_000))]);
        expect(code).toBe(0);
      }
      const final = JSON.parse(b.output().trim().split('\n').pop()!) as { imports: { jobs: { imported: number } } };
      expect(final.imports.jobs.imported).toBe(500);
      out.close();
      inbox.close();
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      nsA.close();
      nsB.close();
      Namespace.destroy(hostA);
      Namespace.destroy(hostB);
    }
  });
});
