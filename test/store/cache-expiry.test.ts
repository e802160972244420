/**
 * Issue 9, item 12: expired cache entries stop counting at once, are reclaimed by the writes
 * that follow (or purgeStale()), and the expirations counter counts each one.
 */
import { describe, expect, it } from 'vitest';
import { Namespace, NamespaceFullError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cache expiry', () => {
  it('expired entries stop counting in size and stats at once', async () => {
    const ns = Namespace.open(uniqueName('cexp'), { size: 1 << 20 });
    try {
      const cache = ns.cache('c');
      for (let i = 0; i < 5; i++) cache.set(`short${i}`, i, { ttl: 30 });
      for (let i = 0; i < 5; i++) cache.set(`long${i}`, i);
      expect(cache.size).toBe(10);
      await sleep(60);
      expect(cache.size).toBe(5);
      expect(cache.stats().entries).toBe(5);
      expect(cache.get('short0')).toBeUndefined();
      expect(cache.get('long0')).toBe(0);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('the writes that follow reclaim expired entries and count them as expirations', async () => {
    const ns = Namespace.open(uniqueName('cexp'), { size: 1 << 20 });
    try {
      const cache = ns.cache('c', { ttl: 300 });
      const before = ns.inspect().heap.used;
      for (let i = 0; i < 100; i++) cache.set(`k${i}`, 'x'.repeat(100));
      const full = ns.inspect().heap.used;
      expect(full).toBeGreaterThan(before + 100 * 100);
      await sleep(350);
      // A sweep runs once count/8 writes have passed since an entry expired.
      for (let i = 0; i < 20; i++) cache.set('fresh', i);
      const stats = cache.stats();
      expect(stats.expirations).toBe(100);
      expect(stats.evictions).toBe(0);
      expect(stats.entries).toBe(1);
      expect(stats.bytes).toBeLessThan(100);
      expect(cache.size).toBe(1);
      expect(ns.inspect().heap.used).toBeLessThan(before + 1000); // the 100 blocks are free again
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('purgeStale() reclaims without a write of a key, and returns how many', async () => {
    const ns = Namespace.open(uniqueName('cexp'), { size: 1 << 20 });
    try {
      const cache = ns.cache('c');
      for (let i = 0; i < 20; i++) cache.set(`k${i}`, i, { ttl: i < 10 ? 20 : 0 });
      expect(cache.purgeStale()).toBe(0);
      await sleep(50);
      expect(cache.purgeStale()).toBe(10);
      expect(cache.stats().expirations).toBe(10);
      expect(cache.stats().bytes).toBeGreaterThan(0);
      expect(cache.size).toBe(10);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('a ttl cache without limits runs for ever in a small namespace: expired entries make room', async () => {
    const ns = Namespace.open(uniqueName('cexp'), { size: 256 * 1024 });
    try {
      const cache = ns.cache('c', { ttl: 10 });
      const deadline = Date.now() + 20_000;
      let sets = 0;
      while (sets < 4000 && Date.now() < deadline) {
        for (let i = 0; i < 50; i++) cache.set(`k${sets++}`, 'v'.repeat(200));
        await sleep(2);
      }
      const stats = cache.stats();
      expect(sets).toBe(4000); // four times what the namespace holds at once (~1,000)
      expect(stats.expirations).toBeGreaterThan(sets / 2);
      expect(stats.expirations + stats.entries + stats.evictions).toBeLessThanOrEqual(sets);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('a thousand entries expiring at once are swept in bounded steps: the next set never overflows the journal', async () => {
    const ns = Namespace.open(uniqueName('cexp-burst'), { size: 256 * 1024 });
    try {
      const cache = ns.cache('c', { ttl: 50 });
      let sets = 0;
      try {
        for (; sets < 5000; sets++) cache.set(`k${sets}`, 'v'.repeat(100)); // until the namespace is full
      } catch (error) {
        expect(error).toBeInstanceOf(NamespaceFullError);
      }
      expect(sets).toBeGreaterThan(600);
      await sleep(120); // every one of them has expired: one sweep would journal thousands of words
      for (let i = 0; i < 200; i++) cache.set(`after${i}`, 'w'.repeat(100));
      expect(cache.stats().expirations).toBeGreaterThan(0);
      expect(cache.purgeStale() + cache.stats().expirations).toBeGreaterThanOrEqual(sets);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });
});
