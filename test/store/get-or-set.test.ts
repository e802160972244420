/** cache.getOrSet / getOrSetSync in one process (across processes: test/process, test/fault). */
import { describe, expect, it } from 'vitest';
import { AbortError, DeadlockError, InvalidArgTypeError, MessageTooLargeError, Namespace, TimeoutError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

function open(): Namespace {
  return Namespace.open(uniqueName('gos'), { size: 1 << 20 });
}

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('cache.getOrSet', () => {
  it("gives the loader's caller the stored value, frozen as everyone gets it, and leaves the loader's object alone", async () => {
    using ns = open();
    const cache = ns.cache('c');
    const loaded = { list: [1, 2], when: new Date(0) };
    const value = (await cache.getOrSet('k', () => loaded)) as typeof loaded;
    expect(value).toEqual(loaded);
    expect(value).not.toBe(loaded);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.list)).toBe(true);
    expect(Object.isFrozen(loaded)).toBe(false);
    expect(Object.isFrozen(loaded.list)).toBe(false);
    expect(cache.get('k')).toBe(value); // later reads: the very same object
    const syncLoaded = { n: 1 };
    const syncValue = cache.getOrSetSync('s', () => syncLoaded);
    expect(syncValue).toEqual(syncLoaded);
    expect(Object.isFrozen(syncValue)).toBe(true);
    expect(Object.isFrozen(syncLoaded)).toBe(false);
    expect(cache.get('s')).toBe(syncValue);
  });

  it('returns the cached value without calling the loader, and counts a hit', async () => {
    using ns = open();
    const cache = ns.cache('c');
    cache.set('k', 'cached');
    let calls = 0;
    expect(await cache.getOrSet('k', () => (calls++, 'loaded'))).toBe('cached');
    expect(cache.getOrSetSync('k', () => (calls++, 'loaded'))).toBe('cached');
    expect(calls).toBe(0);
    expect(cache.stats().hits).toBe(2);
    ns.destroy();
  });

  it('concurrent callers of one thread share one load, and get its value', async () => {
    using ns = open();
    const cache = ns.cache('c');
    const load = deferred<{ n: number }>();
    let calls = 0;
    const loader = () => (calls++, load.promise);
    const callers = [1, 2, 3, 4].map(() => cache.getOrSet('k', loader, { timeout: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    load.resolve({ n: 7 });
    const values = await Promise.all(callers);
    expect(calls).toBe(1);
    for (const value of values) expect(value).toEqual({ n: 7 });
    expect(cache.get('k')).toEqual({ n: 7 });
    ns.verify();
    ns.destroy();
  });

  it('a loader that throws: its caller gets the error, a waiter loads next, one at a time', async () => {
    using ns = open();
    const cache = ns.cache('c');
    const first = deferred<string>();
    let calls = 0;
    const loader = () => (++calls === 1 ? first.promise : Promise.resolve(`load ${calls}`));
    const thrower = cache.getOrSet('k', loader);
    const waiters = [cache.getOrSet('k', loader, 10_000), cache.getOrSet('k', loader, 10_000)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.reject(new Error('backend down'));
    await expect(thrower).rejects.toThrow('backend down');
    expect(await Promise.all(waiters)).toEqual(['load 2', 'load 2']);
    expect(calls).toBe(2);
    ns.destroy();
  });

  it('a loader that returns undefined stores nothing; the next call loads again', async () => {
    using ns = open();
    const cache = ns.cache('c');
    let calls = 0;
    expect(await cache.getOrSet('k', () => (calls++, undefined))).toBeUndefined();
    expect(cache.has('k')).toBe(false);
    expect(await cache.getOrSet('k', () => (calls++, 'now'))).toBe('now');
    expect(calls).toBe(2);
    ns.destroy();
  });

  it('takes ttl for the loaded value', async () => {
    using ns = open();
    const cache = ns.cache('c', { ttl: 60_000 });
    await cache.getOrSet('short', () => 1, { ttl: 30 });
    await cache.getOrSet('long', () => 2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long')).toBe(2);
    ns.destroy();
  });

  it('a value the cache refuses: the caller gets the error, the key is free for the next load', async () => {
    using ns = open();
    const cache = ns.cache('c', { maxBytes: 256 });
    await expect(cache.getOrSet('k', () => 'x'.repeat(1000))).rejects.toThrow(MessageTooLargeError);
    expect(() => cache.getOrSetSync('k', () => (() => 1) as unknown as string)).toThrow(/cannot be encoded|function/);
    expect(await cache.getOrSet('k', () => 'small', 1000)).toBe('small');
    ns.verify();
    ns.destroy();
  });

  it('waiting ends with TimeoutError at the timeout, and with AbortError when the signal aborts', async () => {
    using ns = open();
    const cache = ns.cache('c');
    const load = deferred<string>();
    const loading = cache.getOrSet('k', () => load.promise);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await expect(cache.getOrSet('k', () => 'never', { timeout: 50 })).rejects.toThrow(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const controller = new AbortController();
    const aborted = cache.getOrSet('k', () => 'never', { signal: controller.signal, timeout: 10_000 });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toThrow(AbortError);
    load.resolve('late');
    expect(await loading).toBe('late');
    expect(cache.get('k')).toBe('late');
    ns.destroy();
  });

  it('getOrSetSync takes a synchronous loader only; it cannot wait for a load of its own thread', async () => {
    using ns = open();
    const cache = ns.cache('c');
    expect(() => cache.getOrSetSync('k', (async () => 1) as unknown as () => number)).toThrow(InvalidArgTypeError);
    expect(() => cache.getOrSetSync('k', () => Promise.resolve(1) as unknown as number)).toThrow(/returned a Promise/);
    expect(cache.has('k')).toBe(false);
    expect(cache.getOrSetSync('k', (key) => `${key}!`)).toBe('k!');
    const load = deferred<string>();
    const loading = cache.getOrSet('other', () => load.promise);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(() => cache.getOrSetSync('other', () => 'x', 1000)).toThrow(DeadlockError);
    load.resolve('done');
    expect(await loading).toBe('done');
    ns.destroy();
  });

  it("inside a lock() group it waits for this thread's own load, which stores into the group", async () => {
    using ns = open();
    const cache = ns.cache('c');
    const load = deferred<string>();
    const loading = cache.getOrSet('k', () => load.promise);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await ns.lockAsync();
    try {
      const waiting = cache.getOrSet('k', () => 'not called', 5_000);
      setTimeout(() => load.resolve('done'), 20);
      expect(await waiting).toBe('done');
    } finally {
      ns.unlock();
    }
    expect(await loading).toBe('done');
    expect(cache.get('k')).toBe('done');
    ns.destroy();
  });

  it('bad arguments are typed errors', async () => {
    using ns = open();
    const cache = ns.cache('c');
    await expect(cache.getOrSet('k', 5 as never)).rejects.toThrow(InvalidArgTypeError);
    expect(() => cache.getOrSetSync('k', null as never)).toThrow(InvalidArgTypeError);
    await expect(cache.getOrSet('k', () => 1, { timeout: -1 })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SHMKIT_/) });
    await expect(cache.getOrSet('k', () => 1, { ttl: 'long' } as never)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SHMKIT_/) });
    await expect(cache.getOrSet('k', () => 1, { tll: 5 } as never)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SHMKIT_/) });
    expect(cache.has('k')).toBe(false);
    ns.destroy();
  });
});
