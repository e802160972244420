/**
 * The bridge against a real redis-server: a channel, a broadcast and a cache across two
 * "hosts" (two namespaces, two bridges).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, SKIP_REASON, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { eventually, receiveDistinct, sleep, startHost, stopHost, testPrefix, type Host } from './bridge-helpers.js';
import { BridgeClosedError } from '../../src/bridge/index.js';

describe.skipIf(!REDIS_SERVER)(`bridge relays${SKIP_REASON}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  it('a channel crosses two hosts: every message once, in order, with ids "<source>:<n>"; the stream holds each once', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      a.bridge.exportChannel('jobs', { batch: 64 });
      b.bridge.importChannel('jobs', { ids: true });
      const out = a.ns.channel<{ i: number; when: Date; tags: Set<string> }>('jobs');
      const inbox = b.ns.channel('jobs');
      const count = 3000;
      for (let i = 0; i < count; i++) await out.send({ i, when: new Date(i), tags: new Set(['x']) }, { timeout: 10_000 });
      const { ids, duplicates, values } = await receiveDistinct(inbox, count, 30_000);
      expect(duplicates).toBe(0);
      expect(values).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(ids.has('host-a/jobs:1') && ids.has(`host-a/jobs:${count}`)).toBe(true);
      expect(await redis.client().xlen(`${prefix}:stream:jobs`)).toBe(count);
      // Types survive the wire (the namespaces' own record structures never cross it).
      out.send({ i: -1, when: new Date(5), tags: new Set(['y']) });
      const last = (await inbox.receive({ timeout: 10_000 })) as { value: { when: Date; tags: Set<string> } };
      expect(last.value.when).toEqual(new Date(5));
      expect(last.value.tags).toEqual(new Set(['y']));
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
      await eventually('the last entry acknowledged', () => (b!.bridge.stats().imports['jobs'] as { acknowledged: number }).acknowledged === count + 1);
      expect(b.bridge.stats().imports['jobs']).toMatchObject({ imported: count + 1, redelivered: 0 });
      expect(await redis.client().xpending(`${prefix}:stream:jobs`, 'shmkit')).toEqual([0, null, null, null]);
      out.close();
      inbox.close();
    } finally {
      await stopHost(a);
      await stopHost(b);
    }
  });

  it('an mpmc channel (a work queue, like a pool queue) exports too, without held reads (stats say so); many workers on the other host share it', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      const exported = a.bridge.exportChannel('tasks', { channel: { kind: 'mpmc' } });
      b.bridge.importChannel('tasks', { channel: { kind: 'mpmc' } });
      const queue = a.ns.channel<number>('tasks');
      const workers = [b.ns.channel<number>('tasks'), b.ns.channel<number>('tasks')];
      for (let i = 0; i < 1000; i++) await queue.send(i, { timeout: 10_000 });
      const got: number[] = [];
      const deadline = Date.now() + 20_000;
      await Promise.all(
        workers.map(async (worker) => {
          while (got.length < 1000 && Date.now() < deadline) {
            const taken = await worker.receiveMany(50, { timeout: 100 }).catch(() => []); // short: the other worker may take the last ones
            got.push(...taken);
          }
        }),
      );
      expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(exported.stats.heldReads).toBe(false);
      queue.close();
      for (const worker of workers) worker.close();
    } finally {
      await stopHost(a);
      await stopHost(b);
    }
  });

  it('a broadcast published on one host reaches the readers of the other; its own messages do not loop back', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      a.bridge.exportBroadcast('news');
      await b.bridge.importBroadcast('news');
      const reader = b.ns.broadcast<number>('news');
      const writer = a.ns.broadcast<number>('news');
      // No wait needed before publishing: exportBroadcast opened the export's reader (a reader
      // sees what is published after it opens), and importBroadcast resolved once subscribed.
      for (let i = 0; i < 100; i++) writer.publish(i);
      const got: number[] = [];
      while (got.length < 100) got.push((await reader.receive({ timeout: 10_000 })).value);
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(b.bridge.stats().broadcasts['news']).toMatchObject({ relayed: 100, lost: 0 });
      reader.close();
      writer.close();
    } finally {
      await stopHost(a);
      await stopHost(b);
    }
  });

  it('two-tier cache: a set on one host is read on the other, then served from its local tier; invalidated by the next set', async () => {
    const prefix = testPrefix();
    let a: Host | undefined;
    let b: Host | undefined;
    try {
      a = await startHost(redis.url, prefix, 'host-a');
      b = await startHost(redis.url, prefix, 'host-b');
      const ca = await a.bridge.cache<{ name: string }>('users', { staleness: 200 });
      const cb = await b.bridge.cache<{ name: string }>('users', { staleness: 200 });
      await eventually('b trusts its tier', () => cb.stats().trusted);
      await ca.set('u1', { name: 'ann' });
      expect(await cb.get('u1')).toEqual({ name: 'ann' });
      // A fill that raced the set's own invalidation is not kept (conservative): read until one is.
      await eventually('b holds the value in its tier', async () => (await cb.get('u1'))?.name === 'ann' && cb.tryGet('u1')?.name === 'ann');
      expect(cb.stats().localHits).toBeGreaterThanOrEqual(1);
      expect(b.ns.cache('users').get('u1')).toEqual({ name: 'ann' }); // every process of host b sees it in memory
      await ca.set('u1', { name: 'bob' });
      await sleep(200); // the bound
      expect(cb.tryGet('u1')).toBeUndefined();
      expect(await cb.get('u1')).toEqual({ name: 'bob' });
      expect(await cb.get('missing')).toBeUndefined();
      // A key with a TTL, read on b while it lives (b's tier keeps the remaining TTL), then gone
      // after it on b too. A read that came after the TTL (a descheduled test) proves nothing:
      // that round is done again, with a fresh key.
      const ttl = 300;
      for (let round = 1; ; round++) {
        const key = `short-${round}`;
        await ca.set(key, { name: 'ttl' }, { ttl });
        const setAt = performance.now();
        const read = await cb.get(key);
        if (read === undefined && performance.now() - setAt >= ttl && round < 5) continue;
        expect(read).toEqual({ name: 'ttl' });
        await sleep(setAt + ttl + 100 - performance.now());
        expect(await cb.get(key)).toBeUndefined(); // the local tier kept Redis's remaining TTL
        break;
      }
      expect(await ca.delete('u1')).toBe(true);
      await sleep(200);
      expect(await cb.get('u1')).toBeUndefined();
      await b.bridge.close();
      await expect(cb.get('u1')).rejects.toBeInstanceOf(BridgeClosedError);
    } finally {
      await stopHost(a);
      await stopHost(b);
    }
  });
});
