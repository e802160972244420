/**
 * Public namespace calls with bad arguments are typed errors; named objects opened again with
 * other options are refused, not silently swapped; closed namespaces say so (issue 9, items
 * 5, 9 and 10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Namespace, NamespaceFullError, OptionsMismatchError, SectionClosedError, ShmkitError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

const any = (value: unknown) => value as never;
let ns: Namespace;
afterEach(() => {
  try {
    ns.destroy();
  } catch {
    // closed by the test
  }
});

describe('bad arguments to namespace calls', () => {
  const CASES: Array<[string, () => unknown]> = [
    ['update(k, 5)', () => ns.update('k', any(5))],
    ['withLock(5)', () => ns.withLock(any(5))],
    ['getMany(5)', () => ns.getMany(any(5))],
    ['event("e", null)', () => ns.event('e', any(null))],
    ['event("e", { manual: true })', () => ns.event('e2', any({ manual: true }))],
    ['channel("c", null)', () => ns.channel('c', any(null))],
    ['channel("c", { capacty })', () => ns.channel('c2', any({ capacty: 1024 }))],
    ['mailbox("m", 5)', () => ns.mailbox('m', any(5))],
    ['broadcast("b", { kind })', () => ns.broadcast('b', any({ kind: 'mpsc' }))],
    ['semaphore("s", -1)', () => ns.semaphore('s', -1)],
    ['lock("x")', () => ns.lock(any('x'))],
    ['lock({ timeout: -1 })', () => ns.lock({ timeout: -1 })],
    ['withLock(fn, { timeout: -1, bogus: 1 })', () => ns.withLock(() => 1, any({ timeout: -1, bogus: 1 }))],
    ['lockAsync({ bogus: 1 })', () => ns.lockAsync(any({ bogus: 1 }))],
  ];
  for (const [what, call] of CASES) {
    it(`${what} is a typed error and changes nothing`, async () => {
      ns = Namespace.open(uniqueName('args'), { size: 1 << 20 });
      let caught: unknown;
      try {
        await call();
      } catch (error) {
        caught = error;
      }
      expect(caught, what).toBeInstanceOf(ShmkitError);
      expect(ns.objects()).toEqual([]);
      expect(ns.size).toBe(0);
      expect(() => ns.set('after', 1)).not.toThrow(); // not left locked
    });
  }

  it('a value larger than the whole heap says so (NamespaceFullError naming the size), not SharedHeap internals', () => {
    ns = Namespace.open(uniqueName('args-big'), { size: 1 << 20 });
    expect(() => ns.set('big', new Uint8Array(4 << 20))).toThrow(NamespaceFullError);
    expect(() => ns.set('big', new Uint8Array(4 << 20))).toThrow(/do not fit in this namespace/);
    expect(ns.has('big')).toBe(false);
  });
});

describe('named objects opened again with other options', () => {
  it('are refused with OptionsMismatchError naming the option and both values; without options they open as they are', () => {
    ns = Namespace.open(uniqueName('conflicts'), { size: 4 << 20 });
    const channel = ns.channel('c', { kind: 'spsc', capacity: 1024 });
    expect(() => ns.channel('c', { kind: 'mpmc' })).toThrow(OptionsMismatchError);
    expect(() => ns.channel('c', { capacity: 65536 })).toThrow(/capacity 1024, not 65536/);
    expect(ns.channel('c').options).toEqual({ kind: 'spsc', capacity: 1024 });
    expect(channel.options).toEqual({ kind: 'spsc', capacity: 1024 });
    ns.mailbox('m', { capacity: 2048 });
    expect(() => ns.mailbox('m', { capacity: 4096 })).toThrow(OptionsMismatchError);
    ns.broadcast('b', { capacity: 2048 });
    expect(() => ns.broadcast('b', { capacity: 4096 })).toThrow(OptionsMismatchError);
    expect(ns.barrier('p', 2).parties).toBe(2);
    expect(() => ns.barrier('p', 5)).toThrow(/parties 2, not 5/);
    ns.event('e', { manualReset: true });
    expect(() => ns.event('e', { manualReset: false })).toThrow(OptionsMismatchError);
    expect(ns.event('e').manualReset).toBe(true);
    ns.cache('k', { maxEntries: 10, ttl: 5000 });
    expect(() => ns.cache('k', { maxEntries: 20 })).toThrow(/maxEntries 10, not 20/);
    expect(() => ns.cache('k', { ttl: 1000 })).toThrow(OptionsMismatchError);
    expect(() => ns.cache('k', { maxBytes: 1 << 20 })).toThrow(/maxBytes unset/);
    expect(ns.cache('k').stats()).toMatchObject({ maxEntries: 10, ttl: 5000 });
    expect(ns.cache('k', { maxEntries: 10 }).stats().maxEntries).toBe(10); // the same values are fine
  });
});

describe('a closed namespace', () => {
  it('every call is SectionClosedError, not CorruptHeapError or NamespaceFullError', () => {
    ns = Namespace.open(uniqueName('closed-ns'), { size: 1 << 20 });
    ns.set('a', 1);
    const cache = ns.cache('kept', { maxEntries: 10 });
    cache.set('x', 1);
    ns.close();
    expect(() => cache.get('x'), 'cache.get').toThrow(SectionClosedError);
    expect(() => cache.set('x', 2), 'cache.set').toThrow(SectionClosedError);
    const calls: Array<[string, () => unknown]> = [
      ['get', () => ns.get('a')],
      ['set', () => ns.set('a', 2)],
      ['has', () => ns.has('a')],
      ['delete', () => ns.delete('a')],
      ['update', () => ns.update('a', () => 3)],
      ['keys', () => ns.keys()],
      ['size', () => ns.size],
      ['getMany', () => ns.getMany(['a'])],
      ['lock', () => ns.lock()],
      ['withLock', () => ns.withLock(() => 1)],
      ['channel', () => ns.channel('c')],
      ['mutex', () => ns.mutex('m')],
      ['cache', () => ns.cache('k')],
      ['inspect', () => ns.inspect()],
      ['verify', () => ns.verify()],
      ['vars.a', () => ns.vars['a']],
    ];
    for (const [what, call] of calls) expect(call, what).toThrow(SectionClosedError);
    Namespace.destroy(ns.name);
  });
});
