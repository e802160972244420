/**
 * Issue 9, item 6: a namespace accepts keys until it is really full, and steady churn at
 * about half full runs for ever. Each test reports the fill level it reached: heap bytes in
 * use over the namespace size (the journal and header take the rest) and over the heap.
 */
import { describe, expect, it } from 'vitest';
import { Namespace, NamespaceFullError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

const VALUE = 'v'.repeat(30);

function fill(ns: Namespace): { used: number; heap: number; ofNamespace: number; ofHeap: number } {
  const heap = ns.inspect().heap;
  return { used: heap.used, heap: heap.size, ofNamespace: heap.used / ns.section.size, ofHeap: heap.used / heap.size };
}

function report(what: string, ns: Namespace, extra = ''): ReturnType<typeof fill> {
  const level = fill(ns);
  console.log(
    `[fill] ${what}: ${level.used} bytes used, ${(100 * level.ofNamespace).toFixed(1)}% of the namespace, ` +
      `${(100 * level.ofHeap).toFixed(1)}% of the heap${extra}`,
  );
  return level;
}

/** Inserts keys prefix0, prefix1, ... until NamespaceFullError; returns how many went in. */
function fillUp(ns: Namespace, prefix: string, from = 0, limit = 1_000_000): number {
  let i = from;
  try {
    for (; i < limit; i++) ns.set(`${prefix}${i}`, VALUE);
  } catch (error) {
    expect(error).toBeInstanceOf(NamespaceFullError);
    return i - from;
  }
  throw new Error(`no NamespaceFullError after ${limit} keys`);
}

describe('a namespace fills up', () => {
  it('steady churn at half full (insert one, delete the oldest) runs for 60,000 steps', () => {
    const ns = Namespace.open(uniqueName('churn'), { size: 256 * 1024 });
    try {
      for (let i = 0; i < 1500; i++) ns.set(`k${i}`, VALUE);
      const start = report('churn, 1,500 live keys', ns);
      expect(start.ofNamespace).toBeGreaterThan(0.3);
      let oldest = 0;
      for (let i = 1500; i < 61_500; i++) {
        ns.set(`k${i}`, VALUE);
        expect(ns.delete(`k${oldest++}`)).toBe(true);
      }
      expect(ns.size).toBe(1500);
      report('churn, after 60,000 steps', ns);
      ns.verify();
      // And from there it still fills to the brim.
      fillUp(ns, 'more');
      const level = report('churn, then filled until NamespaceFullError', ns);
      expect(level.ofHeap).toBeGreaterThan(0.95);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('a 4 MiB namespace at half full churns, then takes keys until it is really full', () => {
    const ns = Namespace.open(uniqueName('full'), { size: 4 << 20 });
    try {
      for (let i = 0; i < 20_000; i++) ns.set(`k${i}`, VALUE);
      report('4 MiB, 20,000 live keys', ns);
      for (let i = 20_000; i < 60_000; i++) {
        ns.set(`k${i}`, VALUE);
        ns.delete(`k${i - 20_000}`);
      }
      const keys = fillUp(ns, 'more');
      const level = report('fill until full (4 MiB)', ns, `, ${keys} keys`);
      expect(level.ofHeap).toBeGreaterThan(0.95);
      const heap = ns.inspect().heap;
      // Really full: what is left cannot hold one more entry of this size.
      expect(heap.largestFree).toBeLessThan(200);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('after deleting half of a full namespace, new keys fill it again', () => {
    const ns = Namespace.open(uniqueName('refill'), { size: 1 << 20 });
    try {
      const keys = fillUp(ns, 'k');
      for (let i = 0; i < keys; i += 2) ns.delete(`k${i}`);
      const half = report('full, then every other key deleted', ns);
      expect(half.ofHeap).toBeLessThan(0.6);
      // New keys as long as the deleted ones: each fits a hole one left.
      let again = 0;
      for (let i = 0; i < keys; i += 2, again++) ns.set(`x${i}`, VALUE);
      const level = report('refilled with new keys', ns, `, ${again} new keys`);
      expect(level.ofHeap).toBeGreaterThan(0.95);
      fillUp(ns, 'y');
      ns.verify();
    } finally {
      ns.destroy();
    }
  });

  it('a cache with ttl churns at half full without running out of room', () => {
    const ns = Namespace.open(uniqueName('cchurn'), { size: 256 * 1024 });
    try {
      const cache = ns.cache('c', { maxEntries: 1500 });
      for (let i = 0; i < 40_000; i++) cache.set(`k${i}`, VALUE);
      expect(cache.size).toBe(1500);
      report('cache churn, maxEntries 1,500, 40,000 sets', ns);
      ns.verify();
    } finally {
      ns.destroy();
    }
  });
});
