/**
 * Reads a cache object of a namespace (layout in src/store/cache.ts) without touching it:
 * the counters every process adds to, its limits, and its entries as cache.stats() counts
 * them (expired entries not yet reclaimed do not count in `entries`, do in `bytes`). Runs
 * inside the namespace reader's validated read, since counting walks the table.
 */
import {
  CACHE_EVICTIONS_OFFSET,
  CACHE_EXPIRATIONS_OFFSET,
  CACHE_HITS_OFFSET,
  CACHE_MAX_BYTES_OFFSET,
  CACHE_MAX_ENTRIES_OFFSET,
  CACHE_MISSES_OFFSET,
  CACHE_OBJECT_LENGTH,
  CACHE_TABLE_OFFSET,
  CACHE_TTL_OFFSET,
} from '../store/cache.js';
import type { SharedHeap } from '../store/heap.js';
import type { Journal } from '../store/journal.js';
import { HashTable } from '../store/table.js';

export interface CacheReport {
  /** Entries that have not expired. */
  entries: number;
  /** Bytes of entries held (keys and encoded values), expired ones not yet reclaimed included. */
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  /** Limits (0 = none); ttl in ms. */
  maxEntries: number;
  maxBytes: number;
  ttl: number;
}

export function readCache(buffer: ArrayBuffer, at: number, heap: SharedHeap, journal: Journal): CacheReport {
  if (at + CACHE_OBJECT_LENGTH > buffer.byteLength) throw new Error('the cache lies outside the section');
  const words = new Int32Array(buffer, at, CACHE_OBJECT_LENGTH >> 2);
  const word = (offset: number): number => Atomics.load(words, offset >> 2);
  const table = new HashTable(buffer, at + CACHE_TABLE_OFFSET, heap, journal);
  return {
    entries: table.countUnexpired(Date.now()),
    bytes: table.byteSize,
    hits: word(CACHE_HITS_OFFSET) >>> 0,
    misses: word(CACHE_MISSES_OFFSET) >>> 0,
    evictions: word(CACHE_EVICTIONS_OFFSET) >>> 0,
    expirations: word(CACHE_EXPIRATIONS_OFFSET) >>> 0,
    maxEntries: word(CACHE_MAX_ENTRIES_OFFSET),
    maxBytes: word(CACHE_MAX_BYTES_OFFSET),
    ttl: new Float64Array(buffer, at + CACHE_TTL_OFFSET, 1)[0]!,
  };
}
