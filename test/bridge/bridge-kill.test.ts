/**
 * Bridges in processes of their own ("two hosts": two namespaces, two bridges), SIGKILLed
 * mid-batch and restarted. The exporting bridge dies with reads held (read, maybe appended,
 * not committed); the importing one with entries sent into its channel but not acknowledged.
 * Nothing is lost; the stream holds every message exactly once; duplicates delivered are
 * told apart by id and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { eventually, freezeHoldingPending, receiveDistinct, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';

interface Stats {
  stats: { exports: Record<string, { exported: number; skipped: number }>; imports: Record<string, { imported: number; redelivered: number }> };
  errors: string[];
}

describe.skipIf(!REDIS_SERVER)(`bridge processes killed mid-batch${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it('export and import bridges SIGKILLed mid-stream, then restarted: every message arrives, the stream holds each once', async () => {
    const prefix = testPrefix();
    const hostA = uniqueName('bridge-host-a');
    const hostB = uniqueName('bridge-host-b');
    const nsA = Namespace.open(hostA, { size: 16 << 20 });
    const nsB = Namespace.open(hostB, { size: 16 << 20 });
    const children: Child[] = [];
    const start = async (config: object): Promise<Child> => {
      const child = startChild('bridge-runner.mjs', [JSON.stringify({ redis: redis.url, prefix, ...config })]);
      children.push(child);
      expect(await child.message(20_000)).toBe('ready');
      return child;
    };
    const stats = async (child: Child): Promise<Stats> => {
      child.process.send('stats');
      return child.message<Stats>(10_000);
    };
    const exporter = { namespace: hostA, exports: ['jobs'], exportOptions: { batch: 200, source: 'host-a/jobs' } };
    const importer = { namespace: hostB, imports: ['jobs'], importOptions: { ids: true, batch: 200, claimIdle: 1000, block: 200, consumer: 'host-b/jobs' } };
    try {
      const out = nsA.channel<{ i: number }>('jobs', { capacity: 256 * 1024 });
      const inbox = nsB.channel('jobs', { capacity: 16 * 1024 }); // small: the import blocks mid-batch when nobody reads
      let a = await start(exporter);
      let b = await start(importer);
      const count = 30_000;
      const sending = (async () => {
        for (let i = 0; i < count; i++) await out.send({ i }, { timeout: 120_000 });
      })();

      await eventually('a quarter exported', async () => (await stats(a)).stats.exports['jobs']!.exported > count / 4, 60_000);
      a.kill('SIGKILL'); // mid-batch: it reads (holding) and appends batches back to back
      await a.exit();
      a = await start(exporter);

      // Read half, then stop reading: the import fills the small ring and waits with a batch
      // taken from Redis, partly sent, not acknowledged. Killed there.
      const received = await receiveDistinct(inbox, count / 2, 60_000);
      let last = -1;
      await eventually('the import stuck on a full ring', async () => {
        const now = (await stats(b)).stats.imports['jobs']!.imported;
        const stuck = now === last;
        last = now;
        return stuck;
      }, 30_000);
      // Killed holding a batch: a lull that looked like "stuck" (a descheduled bridge) may have
      // had nothing pending, and then nothing would be delivered again.
      await freezeHoldingPending(b, redis.client(), `${prefix}:stream:jobs`, 'shmkit', 'host-b/jobs');
      b.kill('SIGKILL');
      await b.exit();
      b = await start(importer);
      const receiving = receiveDistinct(inbox, count, 120_000, received);

      await sending;
      const { duplicates, values } = await receiving;
      expect(new Set(values).size).toBe(count);
      expect(await redis.client().xlen(`${prefix}:stream:jobs`)).toBe(count);
      const [after, imported] = [await stats(a), await stats(b)];
      console.log(
        `bridges SIGKILLed mid-batch: ${count} messages, 0 lost, ${duplicates} duplicates delivered (told apart by id); ` +
          `restarted export skipped ${after.stats.exports['jobs']!.skipped} already in Redis; restarted import redelivered ${imported.stats.imports['jobs']!.redelivered}`,
      );
      expect(imported.stats.imports['jobs']!.redelivered).toBeGreaterThan(0); // it died holding a batch
      for (const child of [a, b]) {
        child.process.send('close');
        await child.message(10_000);
        await child.exit();
      }
      out.close();
      inbox.close();
    } finally {
      // Dead before the namespaces go: destroy refuses a section a live process still maps.
      for (const child of children) {
        child.kill('SIGKILL');
        await child.exit(10_000).catch(() => undefined);
      }
      nsA.close();
      nsB.close();
      Namespace.destroy(hostA);
      Namespace.destroy(hostB);
    }
  });

  it('an importer SIGKILLed for good: another importer of the group takes its pending entries over (XAUTOCLAIM) after claimIdle', async () => {
    const prefix = testPrefix();
    const hostA = uniqueName('bridge-host-a');
    const hostB = uniqueName('bridge-host-b');
    const nsA = Namespace.open(hostA, { size: 16 << 20 });
    const nsB = Namespace.open(hostB, { size: 16 << 20 });
    const children: Child[] = [];
    let hostC: Host | undefined;
    try {
      const count = 5000;
      const out = nsA.channel<{ i: number }>('jobs');
      const inboxB = nsB.channel('jobs', { capacity: 8 * 1024 }); // small: B blocks holding a batch
      for (const config of [
        { namespace: hostA, exports: ['jobs'], exportOptions: { source: 'host-a/jobs' } },
        { namespace: hostB, imports: ['jobs'], importOptions: { ids: true, batch: 100, claimIdle: 500, block: 200, consumer: 'host-b/jobs' } },
      ]) {
        const child = startChild('bridge-runner.mjs', [JSON.stringify({ redis: redis.url, prefix, ...config })]);
        children.push(child);
        expect(await child.message(20_000)).toBe('ready');
      }
      for (let i = 0; i < count; i++) await out.send({ i }, { timeout: 30_000 });
      const importerB = children[1]!;
      let last = -1;
      await eventually('B stuck on its full ring', async () => {
        importerB.process.send('stats');
        const now = (await importerB.message<Stats>(10_000)).stats.imports['jobs']!.imported;
        const stuck = now === last && now > 0;
        last = now;
        const [pending] = (await redis.client().xpending(`${prefix}:stream:jobs`, 'shmkit')) as [number];
        return stuck && pending > 0;
      }, 30_000);
      // Killed holding entries, for certain (it could have acknowledged its batch since the check).
      await freezeHoldingPending(importerB, redis.client(), `${prefix}:stream:jobs`, 'shmkit', 'host-b/jobs');
      importerB.kill('SIGKILL');
      await importerB.exit();
      // What B put into its ring before dying is there for host B's readers.
      const fromB = { ids: new Set<string>(), duplicates: 0, values: [] as number[] };
      for (let message = inboxB.tryReceive(); message; message = inboxB.tryReceive()) {
        const { id, value } = message.value as { id: string; value: { i: number } };
        if (fromB.ids.has(id)) fromB.duplicates++;
        fromB.ids.add(id);
        fromB.values.push(value.i);
      }
      hostC = await startHost(redis.url, prefix, 'host-c');
      hostC.bridge.importChannel('jobs', { ids: true, claimIdle: 500, block: 200, consumer: 'host-c/jobs' });
      const inboxC = hostC.ns.channel('jobs');
      const all = { ids: new Set(fromB.ids), duplicates: fromB.duplicates, values: [...fromB.values] };
      await receiveDistinct(inboxC, count, 60_000, all);
      const claimed = (hostC.bridge.stats().imports['jobs'] as { redelivered: number }).redelivered;
      console.log(`importer killed for good: ${fromB.ids.size} delivered on host b before, ${claimed} taken over by host c (XAUTOCLAIM), ${all.duplicates} duplicates across hosts, 0 lost`);
      expect(claimed).toBeGreaterThan(0);
      expect(all.ids.size).toBe(count);
      out.close();
      inboxB.close();
      inboxC.close();
    } finally {
      // Dead before the namespaces go: destroy refuses a section a live process still maps.
      for (const child of children) {
        child.kill('SIGKILL');
        await child.exit(10_000).catch(() => undefined);
      }
      await stopHost(hostC);
      nsA.close();
      nsB.close();
      Namespace.destroy(hostA);
      Namespace.destroy(hostB);
    }
  });
});
