/** cache.options: the limits in force, whoever created the cache. */
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

describe('cache.options', () => {
  it('gives the limits the cache was created with, to a handle opened without them', () => {
    using ns = Namespace.open(uniqueName('copts'), { size: 1 << 20 });
    expect(ns.cache('full', { maxEntries: 10, maxBytes: 4096, ttl: 5000 }).options).toEqual({ maxEntries: 10, maxBytes: 4096, ttl: 5000 });
    using other = Namespace.open(ns.name);
    const opened = other.cache('full');
    expect(opened.options).toEqual({ maxEntries: 10, maxBytes: 4096, ttl: 5000 });
    expect(Object.isFrozen(opened.options)).toBe(true);
    expect(ns.cache('plain').options).toEqual({ maxEntries: undefined, maxBytes: undefined, ttl: undefined });
    expect(ns.cache('forever', { ttl: Infinity }).options.ttl).toBeUndefined(); // Infinity = no ttl
    ns.destroy();
  });

  it('opening a cache again with its own options is never a mismatch', () => {
    using ns = Namespace.open(uniqueName('copts'), { size: 1 << 20 });
    const cache = ns.cache('c', { maxEntries: 3, ttl: 100 });
    using other = Namespace.open(ns.name);
    expect(other.cache('c', cache.options).options).toEqual(cache.options);
    expect(other.cache('plain', ns.cache('plain').options).options.maxEntries).toBeUndefined();
    ns.destroy();
  });
});
