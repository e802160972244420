/**
 * The store's fast write path: small values rewritten in their block, keys encoded and
 * hashed in one pass, decoded values kept per version. Each must give exactly what the slow
 * paths gave (verify() recomputes every key's hash from its bytes and re-walks the heap).
 */
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { NS_VARIABLES_TABLE_OFFSET } from '../../src/layout/namespace.js';
import { uniqueName } from '../helpers/names.js';

/** The heap offset of the entry block that holds `key` (internals: which block, not what). */
function entryOf(ns: Namespace, key: string): number {
  const core = ns.core;
  core.encodeKey(key);
  return core.table(NS_VARIABLES_TABLE_OFFSET).find(core.key, core.keyLength, core.keyHash);
}

function open(): Namespace {
  return Namespace.open(uniqueName('write'), { size: 4 << 20 });
}

describe('values rewritten in place', () => {
  it('a value replaced by one of the same size keeps its block; another handle reads the new value', () => {
    using ns = open();
    using other = Namespace.open(ns.name);
    ns.set('k', 'aaaa');
    expect(other.get('k')).toBe('aaaa'); // decoded and kept by the other handle
    const entry = entryOf(ns, 'k');
    for (const value of ['bbbb', 'cccc', 'dddd']) {
      ns.set('k', value);
      expect(other.get('k')).toBe(value); // a new stamp: not the kept 'aaaa'
    }
    expect(entryOf(ns, 'k')).toBe(entry);
    ns.verify();
    ns.destroy();
  });

  it('a value that outgrows its block moves to a new one; one that shrinks a lot too; all verify', () => {
    using ns = open();
    ns.set('k', 'x');
    let moves = 0;
    for (const length of [2, 3, 8, 30, 100, 127, 128, 129, 500, 5000, 3, 60, 1]) {
      const before = entryOf(ns, 'k');
      const value = 'y'.repeat(length);
      ns.set('k', value);
      expect(ns.get('k')).toBe(value);
      if (entryOf(ns, 'k') !== before) moves++;
      ns.verify();
    }
    expect(moves).toBeGreaterThan(5);
    ns.destroy();
  });

  it('objects are rewritten too, and readers get a new frozen object, the same one until it changes', () => {
    using ns = open();
    ns.set('o', { n: 1 });
    const first = ns.get('o');
    expect(ns.get('o')).toBe(first);
    ns.set('o', { n: 2 });
    const second = ns.get('o') as { n: number };
    expect(second).toEqual({ n: 2 });
    expect(second).not.toBe(first);
    expect(Object.isFrozen(second)).toBe(true);
    ns.destroy();
  });

  it('a cache entry rewritten in place takes its new expiry', async () => {
    using ns = open();
    const cache = ns.cache('c');
    cache.set('k', 'aaaa', { ttl: 20 });
    cache.set('k', 'bbbb'); // same size, no ttl: must not expire with the old one's
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.get('k')).toBe('bbbb');
    cache.set('k', 'cccc', { ttl: 20 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.get('k')).toBeUndefined();
    ns.verify();
    ns.destroy();
  });

  it('a group that rewrites and then fails is undone word for word', () => {
    using ns = open();
    ns.set('a', 'old-a');
    ns.set('b', 12345);
    expect(() =>
      ns.withLock(() => {
        ns.set('a', 'new-a');
        ns.set('b', 54321);
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(ns.getMany(['a', 'b'])).toEqual(['old-a', 12345]);
    ns.verify();
    ns.destroy();
  });
});

describe('keys', () => {
  it('ASCII and non-ASCII keys are found again by every handle; verify() recomputes their hashes', () => {
    using ns = open();
    const keys = ['plain', 'with space', 'x'.repeat(1024), 'ключ', 'clé', 'emoji-😀', '中文', 'a\u0000b'];
    keys.forEach((key, i) => ns.set(key, i));
    using other = Namespace.open(ns.name);
    keys.forEach((key, i) => expect(other.get(key), key).toBe(i));
    expect(other.keys().sort()).toEqual([...keys].sort());
    ns.verify();
    ns.destroy();
  });

  it('more keys than a process keeps decoded values for still read right, round after round', () => {
    using ns = open();
    for (let i = 0; i < 12_000; i++) ns.set(`key-${i}`, { i });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 12_000; i += 7) expect((ns.get(`key-${i}`) as { i: number }).i).toBe(i);
    }
    ns.set('key-7', { i: -7 });
    expect(ns.get('key-7')).toEqual({ i: -7 });
    ns.destroy();
  });
});
