// The Redis bridge (shmkit/bridge) next to what a Node user runs on Redis instead, all on one
// redis-server on loopback (no persistence), measured in turns in the same run:
// - channel across two hosts: 200-byte messages sent into a channel of namespace A, exported
//   by a bridge process to a stream, imported by a second bridge process into a channel of
//   namespace B, received here; vs BullMQ (Queue.addBulk + a Worker, jobs/s) and the engine's
//   floor, raw ioredis (pipelined XADD of 256, XREADGROUP COUNT 256 + XACK).
// - cache hit: the two-tier cache's hit (async get, and tryGet) vs the local namespace cache's
//   get (the target: within 1.5x) and a Redis GET (ioredis, one round trip each).
import { Queue, Worker } from 'bullmq';
import * as shmkit from '../../dist/index.js';
import * as bridgeModule from '../../dist/bridge/index.js';
import { benchName, startChild } from '../lib/processes.mjs';
import { obtainRedis, startRedis, LOOPBACK } from '../lib/redis-server.mjs';
import { microTrials } from '../lib/micro.mjs';
import { rateRow, skippedRow } from '../lib/rows.mjs';

export const family = 'bridge';
const CHANNEL = 'bridge: channel across two hosts, 200 B';
const CACHE = 'bridge: cache read (hit)';
const BODY = 'x'.repeat(185); // { i, body } is ~200 bytes in MessagePack and in JSON
const CHUNK = 256;

const message = (i) => ({ i, body: BODY });

async function timeAll(run) {
  const started = performance.now();
  const count = await run();
  return count / ((performance.now() - started) / 1000);
}

/** shmkit: send `count` into A's channel, receive them all from B's. */
function shmkitTrial(out, inbox, count) {
  return timeAll(async () => {
    const sending = (async () => {
      const batch = [];
      for (let i = 0; i < count; i += CHUNK) {
        batch.length = 0;
        for (let j = i; j < Math.min(count, i + CHUNK); j++) batch.push(message(j));
        await out.sendMany(batch, { timeout: 60_000 });
      }
    })();
    let received = 0;
    while (received < count) received += (await inbox.receiveMany(CHUNK, { timeout: 60_000 })).length;
    await sending;
    return received;
  });
}

/** BullMQ: addBulk in chunks, a Worker (concurrency 256) processes them. */
async function bullTrial(queue, worker, state, count) {
  return timeAll(async () => {
    const done = new Promise((resolve) => {
      state.target = count;
      state.processed = 0;
      state.resolve = resolve;
    });
    for (let i = 0; i < count; i += CHUNK) {
      const jobs = [];
      for (let j = i; j < Math.min(count, i + CHUNK); j++) jobs.push({ name: 'job', data: message(j), opts: { removeOnComplete: true } });
      await queue.addBulk(jobs);
    }
    await done;
    return count;
  });
}

/** Raw ioredis: pipelined XADD of CHUNK entries; XREADGROUP COUNT CHUNK + XACK on another connection. */
async function rawTrial(producer, consumer, key, count) {
  await producer.del(key);
  await producer.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  const payload = Buffer.alloc(200, 7);
  return timeAll(async () => {
    const sending = (async () => {
      for (let i = 0; i < count; i += CHUNK) {
        const pipeline = producer.pipeline();
        for (let j = i; j < Math.min(count, i + CHUNK); j++) pipeline.xadd(key, '*', 'v', payload);
        await pipeline.exec();
      }
    })();
    let received = 0;
    while (received < count) {
      const reply = await consumer.xreadgroupBuffer('GROUP', 'g', 'c', 'COUNT', CHUNK, 'BLOCK', 1000, 'STREAMS', key, '>');
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      received += entries.length;
      await consumer.xack(key, 'g', ...entries.map(([id]) => id));
    }
    await sending;
    return received;
  });
}

export default async function bridgeScenario({ quick, trials }) {
  const obtained = obtainRedis();
  if (obtained.reason) return [skippedRow(CHANNEL, 'all rows', obtained.reason)];
  const redis = await startRedis(obtained.binary);
  console.error(`  bridge: redis-server ${redis.version} on ${LOOPBACK}:${redis.port}, ${obtained.how}`);
  const url = `redis://${LOOPBACK}:${redis.port}`;
  const { Redis } = await import('ioredis');
  const rows = [];
  const cleanup = [];
  try {
    const count = quick ? 10_000 : 40_000;
    const prefix = benchName('bridge');
    const nameA = benchName('bridge-host-a');
    const nameB = benchName('bridge-host-b');
    const nsA = shmkit.Namespace.open(nameA, { size: 64 << 20 });
    const nsB = shmkit.Namespace.open(nameB, { size: 64 << 20 });
    cleanup.push(() => nsA.destroy(), () => nsB.destroy());
    const out = nsA.channel('jobs', { capacity: 4 << 20, kind: 'spsc' });
    const inbox = nsB.channel('jobs', { capacity: 4 << 20, kind: 'spsc' });
    const hosts = [
      startChild('bridge-host.mjs', [JSON.stringify({ redis: url, namespace: nameA, prefix, host: 'a', exports: ['jobs'] })]),
      startChild('bridge-host.mjs', [JSON.stringify({ redis: url, namespace: nameB, prefix, host: 'b', imports: ['jobs'] })]),
    ];
    cleanup.push(async () => {
      for (const host of hosts) host.child.send({ type: 'stop' });
      await Promise.all(hosts.map((host) => host.exit(10_000)));
    });
    await Promise.all(hosts.map((host) => host.result(30_000)));

    const connection = { host: LOOPBACK, port: redis.port, maxRetriesPerRequest: null };
    const queue = new Queue(`${prefix}-bull`, { connection });
    const state = { target: 0, processed: 0, resolve: () => {} };
    const worker = new Worker(
      `${prefix}-bull`,
      async (job) => {
        if (++state.processed === state.target) state.resolve();
        return job.data.i;
      },
      { connection, concurrency: 256 },
    );
    cleanup.push(async () => {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    });
    const producer = new Redis({ host: LOOPBACK, port: redis.port });
    const consumer = new Redis({ host: LOOPBACK, port: redis.port });
    cleanup.push(() => producer.disconnect(), () => consumer.disconnect());

    const channelRows = [
      ['shmkit bridge: channel -> stream -> channel (2 bridge processes)', 'shmkit', () => shmkitTrial(out, inbox, count)],
      ['BullMQ 6: addBulk + Worker (jobs/s)', 'peer', () => bullTrial(queue, worker, state, count)],
      ['raw ioredis: pipelined XADD + XREADGROUP/XACK (the floor)', 'peer', () => rawTrial(producer, consumer, `${prefix}-raw`, count)],
    ];
    const samples = channelRows.map(() => []);
    for (const [, , run] of channelRows) await run(); // warm-up round
    for (let trial = 0; trial < trials; trial++) {
      for (let r = 0; r < channelRows.length; r++) samples[r].push(await channelRows[r][2]());
    }
    channelRows.forEach(([name, kind], r) => rows.push(rateRow(CHANNEL, name, kind, samples[r])));
    await runCleanup(cleanup); // the bridges, BullMQ's worker and the clients go before the cache rows

    // The cache: a bridge in this process (host C) and its two-tier cache, filled and trusted.
    const nameC = benchName('bridge-host-c');
    const nsC = shmkit.Namespace.open(nameC, { size: 64 << 20 });
    cleanup.push(() => nsC.destroy());
    const bridge = await bridgeModule.Bridge.start({ redis: url, namespace: nsC, prefix, host: 'c' });
    cleanup.push(() => bridge.close());
    const cache = await bridge.cache('users', { staleness: 1000 });
    const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    for (const key of keys) await cache.set(key, { id: key, name: BODY.slice(0, 60) });
    while (!cache.stats().trusted) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const key of keys) await cache.get(key);
    for (const key of keys) if (cache.tryGet(key) === undefined) await cache.get(key); // fills lost to a race are read again
    const local = nsC.cache('users');
    const getter = new Redis({ host: LOOPBACK, port: redis.port });
    cleanup.push(() => getter.disconnect());
    let k = 0;
    const next = () => keys[(k = (k + 1) % 1000)];
    const cases = [
      { name: 'shmkit two-tier cache: await get() (hit)', async: true, operation: () => cache.get(next()) },
      { name: 'shmkit two-tier cache: tryGet() (hit, sync)', operation: () => cache.tryGet(next()) },
      { name: 'local namespace cache: get() (the same memory, no Redis)', operation: () => local.get(next()) },
      { name: 'Redis GET (ioredis, loopback, one at a time)', async: true, operation: () => getter.getBuffer(`${prefix}:cache:users:${next()}`) },
    ];
    const measured = await microTrials(cases, { trials, warmupMs: quick ? 100 : 300, trialMs: quick ? 200 : 1000 });
    measured.forEach(({ name, samples: caseSamples }, i) => rows.push(rateRow(CACHE, name, i < 2 ? 'shmkit' : 'peer', caseSamples, { unit: 'ops/s' })));
    const hits = cache.stats();
    if (hits.redisReads > 3000) console.error(`  bridge: the cache went to Redis ${hits.redisReads} times during the hit rows`);
  } finally {
    await runCleanup(cleanup);
    await redis.stop();
  }
  return rows;
}

/** Runs the cleanup steps, last registered first, and empties the list. */
async function runCleanup(steps) {
  for (const step of steps.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      console.error(`  bridge: cleanup: ${error.message}`);
    }
  }
}
