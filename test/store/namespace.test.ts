import { describe, expect, it } from 'vitest';
import {
  InvalidNameError,
  KindMismatchError,
  MessageTooLargeError,
  Namespace,
  NamespaceFullError,
  NotLockedError,
  SectionNotFoundError,
  UnserializableValueError,
} from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

function open(options: Parameters<typeof Namespace.open>[1] = {}): Namespace {
  return Namespace.open(uniqueName('ns'), { size: 1 << 20, ...options });
}

describe('Namespace variables', () => {
  it('set / get / has / delete / keys / size, and undefined deletes', () => {
    using ns = open();
    expect(ns.get('missing')).toBeUndefined();
    ns.set('string', 'hello');
    ns.set('number', 42.5);
    ns.set('object', { list: [1, 'two', null], when: new Date(5), bytes: new Uint8Array([1, 2]) });
    expect(ns.get('string')).toBe('hello');
    expect(ns.get('number')).toBe(42.5);
    expect(ns.get('object')).toEqual({ list: [1, 'two', null], when: new Date(5), bytes: new Uint8Array([1, 2]) });
    expect(ns.has('string')).toBe(true);
    expect(ns.size).toBe(3);
    expect(ns.keys().sort()).toEqual(['number', 'object', 'string']);
    ns.set('string', undefined);
    expect(ns.has('string')).toBe(false);
    expect(ns.delete('number')).toBe(true);
    expect(ns.delete('number')).toBe(false);
    expect(ns.size).toBe(1);
    ns.verify();
    ns.destroy();
  });

  it('values read back are frozen snapshots: changing them fails loudly', () => {
    using ns = open();
    ns.set('config', { limits: { max: 1 } });
    const config = ns.get('config') as { limits: { max: number } };
    expect(() => {
      config.limits.max = 2;
    }).toThrow(TypeError);
    ns.set('config', { limits: { max: 2 } });
    expect((ns.get('config') as { limits: { max: number } }).limits.max).toBe(2);
    ns.destroy();
  });

  it('update() is an atomic read-modify-write', () => {
    using ns = open();
    for (let i = 0; i < 100; i++) ns.update<number>('n', (n) => (n ?? 0) + 1);
    expect(ns.get('n')).toBe(100);
    expect(ns.update('n', () => undefined)).toBeUndefined();
    expect(ns.has('n')).toBe(false);
    ns.destroy();
  });

  it('withLock groups writes; a group that throws leaves nothing behind', () => {
    using ns = open();
    ns.withLock(() => {
      ns.set('a', 1);
      ns.set('b', 2);
    });
    expect(ns.getMany(['a', 'b'])).toEqual([1, 2]);
    expect(() =>
      ns.withLock(() => {
        ns.set('a', 100);
        ns.set('c', 3);
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(ns.getMany(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    ns.verify();
    ns.destroy();
  });

  it('lock / unlock: a bare number is the timeout; unlock without lock is a typed error', () => {
    using ns = open();
    expect(() => ns.unlock()).toThrow(NotLockedError);
    ns.lock(1000);
    ns.set('x', 1);
    ns.lock(); // re-entrant for the holder
    ns.unlock();
    ns.unlock();
    expect(() => ns.unlock()).toThrow(NotLockedError);
    expect(ns.get('x')).toBe(1);
    ns.destroy();
  });


  it('autolock off: writes need an explicit lock', () => {
    using ns = open({ autolock: false });
    expect(() => ns.set('k', 1)).toThrow(NotLockedError);
    ns.withLock(() => ns.set('k', 1));
    expect(ns.get('k')).toBe(1);
    ns.destroy();
  });

  it('rejects bad keys and values before writing anything', () => {
    using ns = open();
    for (const key of [1, null, undefined, {}, '']) expect(() => ns.set(key as string, 1)).toThrow();
    expect(() => ns.set('k'.repeat(1025), 1)).toThrow(/1024 bytes/);
    expect(() => ns.set('fn', () => 1)).toThrow(UnserializableValueError);
    expect(() => ns.set('sym', Symbol('s'))).toThrow(UnserializableValueError);
    expect(() => ns.set('nested', { f: () => 1 })).toThrow(UnserializableValueError);
    expect(ns.size).toBe(0);
    ns.verify();
    ns.destroy();
  });

  it('a full namespace is NamespaceFullError and stays consistent', () => {
    using ns = Namespace.open(uniqueName('full'), { size: 256 * 1024 });
    let written = 0;
    expect(() => {
      for (;;) ns.set(`k${written++}`, 'x'.repeat(1000));
    }).toThrow(NamespaceFullError);
    ns.verify();
    expect(ns.get('k0')).toBe('x'.repeat(1000));
    ns.delete('k0');
    ns.set('fits-again', 'x'.repeat(500));
    ns.verify();
    ns.destroy();
  });

  it('reuse / create: false never create; bad options are typed errors', () => {
    expect(() => Namespace.open(uniqueName('absent'), { reuse: true })).toThrow(SectionNotFoundError);
    expect(() => Namespace.open(uniqueName('absent'), { create: false })).toThrow(SectionNotFoundError);
    expect(() => Namespace.open('../bad')).toThrow(InvalidNameError);
    expect(() => Namespace.open(uniqueName('o'), { size: 10 })).toThrow(/options.size/);
    expect(() => Namespace.open(uniqueName('o'), { autolock: 'yes' } as never)).toThrow(/autolock/);
    expect(() => Namespace.open(uniqueName('o'), { sise: 1 } as never)).toThrow(/not a known option/);
  });

  it('the tied interface', () => {
    using ns = open();
    ns.vars.greeting = 'hello';
    ns.vars.count = 3;
    expect(ns.vars.greeting).toBe('hello');
    expect('count' in ns.vars).toBe(true);
    expect(Object.keys(ns.vars).sort()).toEqual(['count', 'greeting']);
    delete ns.vars.count;
    ns.vars.greeting = undefined;
    expect(ns.size).toBe(0);
    ns.destroy();
  });

  it('inspect() shows the header, heap, objects, variables and counters', () => {
    using ns = open();
    ns.set('a', 'x'.repeat(100));
    ns.mutex('lock-1');
    const report = ns.inspect();
    expect(report.variables).toEqual([{ name: 'a', bytes: expect.any(Number) }]);
    expect(report.objects).toEqual([{ name: 'lock-1', kind: 'mutex', bytes: 16 }]);
    expect(report.heap.used).toBeGreaterThan(0);
    expect(report.counters.writes).toBeGreaterThan(0);
    ns.destroy();
  });
});

describe('Namespace objects', () => {
  it('find or create by name; a name used for another kind is KindMismatchError', () => {
    using ns = open();
    const m1 = ns.mutex('m');
    const m2 = ns.mutex('m');
    m1.lock();
    expect(m2.isLocked).toBe(true);
    m1.unlock();
    expect(() => ns.event('m')).toThrow(KindMismatchError);
    const sem = ns.semaphore('s', 2);
    expect(ns.semaphore('s', 99).count).toBe(2); // the initial count applies once
    expect(sem.tryAcquire()).toBe(true);
    const barrier = ns.barrier('b', 1);
    expect(barrier.wait({ timeout: 100 })).toBe(0);
    expect(ns.objects().map((o) => o.kind).sort()).toEqual(['barrier', 'mutex', 'semaphore']);
    ns.verify();
    ns.destroy();
  });

  it('a channel in a namespace sends values larger than its ring through the heap', async () => {
    using ns = open({ size: 2 << 20 });
    const channel = ns.channel<{ blob: string }>('c', { capacity: 1024 });
    const used = ns.inspect().heap.used;
    await channel.send({ blob: 'y'.repeat(100_000) });
    expect(ns.inspect().heap.used).toBeGreaterThan(used + 100_000);
    expect((await channel.receive({ timeout: 1000 })).blob.length).toBe(100_000);
    expect(ns.inspect().heap.used).toBe(used);
    expect(() => channel.trySend({ blob: 'z'.repeat(3 << 20) })).toThrow(MessageTooLargeError);
    expect(() => channel.trySend({ blob: 'z'.repeat(3 << 20) })).toThrow(/at most \d+ bytes/);
    ns.verify();
    ns.destroy();
  });
});

describe('Cache', () => {
  it('evicts by CLOCK beyond maxEntries, keeping recently read entries', () => {
    using ns = open();
    const cache = ns.cache('c', { maxEntries: 10 });
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    for (let round = 0; round < 3; round++) cache.get('k0'); // keep k0 hot
    for (let i = 10; i < 30; i++) {
      cache.set(`k${i}`, i);
      cache.get('k0');
    }
    expect(cache.size).toBe(10);
    expect(cache.get('k0')).toBe(0);
    expect(cache.get('k29')).toBe(29);
    const stats = cache.stats();
    expect(stats.evictions).toBe(20);
    expect(stats.hits).toBeGreaterThan(20);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.stats().misses).toBeGreaterThan(0);
    ns.verify();
    ns.destroy();
  });

  it('expires entries after ttl', async () => {
    using ns = open();
    const cache = ns.cache('t', { ttl: 30 });
    cache.set('short', 1);
    cache.set('custom', 2, { ttl: 5000 });
    expect(cache.get('short')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cache.get('short')).toBeUndefined();
    expect(cache.has('short')).toBe(false);
    expect(cache.get('custom')).toBe(2);
    ns.destroy();
  });

  it('keeps within maxBytes and refuses a value larger than maxBytes', () => {
    using ns = open();
    const cache = ns.cache('b', { maxBytes: 2000 });
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, 'x'.repeat(100));
    expect(cache.stats().bytes).toBeLessThanOrEqual(2000);
    expect(() => cache.set('huge', 'x'.repeat(5000))).toThrow(MessageTooLargeError);
    expect(cache.delete('k49')).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(() => ns.cache('bad', { maxEntries: 0 })).toThrow(/maxEntries/);
    ns.verify();
    ns.destroy();
  });
});

describe('review fixes', () => {
  it('a group too large for the journal fails with NamespaceFullError and is undone whole', () => {
    using ns = Namespace.open(uniqueName('biggroup'), { size: 256 * 1024 });
    for (let i = 0; i < 50; i++) ns.set(`base${i}`, i);
    expect(() =>
      ns.withLock(() => {
        for (let i = 0; i < 400; i++) ns.set(`g${i}`, 'x'.repeat(50));
      }),
    ).toThrow(NamespaceFullError);
    expect(ns.size).toBe(50);
    ns.verify();
    expect(() =>
      ns.withLock(() => {
        for (let i = 0; i < 20; i++) ns.set(`g${i}`, i);
        throw new Error('undo me');
      }),
    ).toThrow('undo me');
    expect(ns.size).toBe(50);
    ns.verify();
    ns.destroy();
  });

  it('named objects are not created inside a group (an undone group would free them under a live handle)', () => {
    using ns = open();
    ns.mutex('made-outside');
    ns.withLock(() => {
      expect(ns.mutex('made-outside').isLocked).toBe(false); // finding one is fine
      expect(() => ns.cache('inside')).toThrow(/outside lock/);
    });
    ns.verify();
    ns.destroy();
  });
});
