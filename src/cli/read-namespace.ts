/**
 * Reads a namespace (src/layout/namespace.ts) without taking its lock or writing a byte: the
 * directory of named objects, the variables table, the heap and the counters, validated the
 * way lock-free readers of the store validate theirs (the sequence counter must be even and
 * unchanged around the read). A write that stays in progress past a deadline (a long group,
 * or a writer that died mid-write: the next writer repairs it) gives a best-effort picture
 * marked `consistent: false`, never a wait on the lock.
 */
import { STRUCTURES_PUBLISHED_OFFSET } from '../layout/structures.js';
import {
  NS_DIRECTORY_TABLE_OFFSET,
  NS_LOCK_OFFSET,
  NS_RECOVERIES_OFFSET,
  NS_ROLLBACKS_OFFSET,
  NS_SEQUENCE_OFFSET,
  NS_VARIABLES_TABLE_OFFSET,
  NS_WRITES_OFFSET,
  TABLE_BYTES_OFFSET,
  TABLE_COUNT_OFFSET,
} from '../layout/namespace.js';
import { OBJECT_KINDS, type ObjectKind } from '../store/directory.js';
import { SharedHeap, type HeapStats } from '../store/heap.js';
import { Journal } from '../store/journal.js';
import { readNamespaceHeader } from '../store/namespace-format.js';
import { HashTable, type EntryView } from '../store/table.js';
import { readCache, type CacheReport } from './read-cache.js';
import { readBroadcast, readRing, type BroadcastReport, type RingReport } from './read-ring.js';
import { readBarrier, readEvent, readMutex, readSemaphore, type BarrierReport, type EventReport, type MutexReport, type SemaphoreReport } from './read-sync.js';

/** The codec's shared record structures: how many are published, in how many bytes. */
export interface StructuresReport {
  structures: number;
  bytes: number;
}

export type ObjectDetails = MutexReport | SemaphoreReport | EventReport | BarrierReport | RingReport | BroadcastReport | CacheReport | StructuresReport;

export interface ObjectReport {
  name: string;
  kind: ObjectKind;
  /** Byte offset in the namespace's user area. */
  offset: number;
  bytes: number;
  /** What the object holds now (by kind); null if it could not be read (see `error`). */
  details: ObjectDetails | null;
  error: string | null;
}

export interface NamespaceReport {
  /** Read between two equal, even values of the sequence counter: a consistent picture. */
  consistent: boolean;
  /** Why the picture may not be consistent; null when it is. */
  note: string | null;
  /** The write lock of the namespace. */
  lock: MutexReport;
  counters: { writes: number; rollbacks: number; recoveries: number; sequence: number };
  heap: HeapStats;
  variables: { count: number; bytes: number };
  objects: ObjectReport[];
}

/** How long a write may stay in progress before the report settles for an unvalidated read. */
const STABLE_READ_MS = 1000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A directory entry's value: kind (u32), offset (u32), length (u32), as src/store/directory.ts writes it. */
const DIRECTORY_VALUE_LENGTH = 12;
const OBJECT_ALIGNMENT = 128;

/** `committed`: bytes of `buffer` backed by memory (the section's committed user bytes); nothing past them is read. */
export function readNamespace(buffer: ArrayBuffer, name: string, committed: number = buffer.byteLength): NamespaceReport {
  const layout = readNamespaceHeader(buffer, name); // IncompatibleSectionError for a damaged header
  const all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  // Built for reading only: nothing below calls a method that writes through them.
  const journal = new Journal(buffer, layout.journalOffset, layout.journalCapacity, () => undefined);
  const heap = new SharedHeap(buffer, layout.heapOffset, layout.heapLength, undefined, { committed: () => committed });
  const directory = new HashTable(buffer, NS_DIRECTORY_TABLE_OFFSET, heap, journal);
  // A cache that cannot be read (damaged) is that object's error, not the whole report's.
  const caches = (offset: number): CacheReport | Error => {
    try {
      return readCache(buffer, offset, heap, journal);
    } catch (error) {
      return error as Error;
    }
  };

  const { value, consistent } = stableRead(all, () => {
    const entries = listDirectory(buffer, directory);
    return {
      heap: heap.stats(),
      variables: {
        count: Atomics.load(all, (NS_VARIABLES_TABLE_OFFSET + TABLE_COUNT_OFFSET) >> 2),
        bytes: Atomics.load(all, (NS_VARIABLES_TABLE_OFFSET + TABLE_BYTES_OFFSET) >> 2),
      },
      entries,
      caches: new Map(entries.filter((entry) => entry.kind === 'cache').map((entry) => [entry.offset, caches(entry.offset)])),
    };
  });
  const lock = readMutex(buffer, NS_LOCK_OFFSET);
  const sequence = Atomics.load(all, NS_SEQUENCE_OFFSET >> 2);
  let note: string | null = null;
  if (!consistent) {
    note =
      lock.owner && !lock.owner.alive
        ? `writer pid ${lock.owner.pid} died mid-write; the next writer rolls it back`
        : 'a write was in progress throughout: figures may be mid-change';
  }
  return {
    consistent,
    note,
    lock,
    counters: {
      writes: Atomics.load(all, NS_WRITES_OFFSET >> 2) >>> 0,
      rollbacks: Atomics.load(all, NS_ROLLBACKS_OFFSET >> 2) >>> 0,
      recoveries: Atomics.load(all, NS_RECOVERIES_OFFSET >> 2) >>> 0,
      sequence: sequence >>> 0,
    },
    heap: value.heap,
    variables: value.variables,
    objects: value.entries.map((entry) => describeObject(buffer, entry, value.caches.get(entry.offset))),
  };
}

interface Entry {
  name: string;
  kind: ObjectKind;
  offset: number;
  length: number;
}

function listDirectory(buffer: ArrayBuffer, table: HashTable): Entry[] {
  const view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  const fields = new DataView(buffer);
  const entries: Entry[] = [];
  for (const entry of table.entries()) {
    if (!table.read(entry, view) || view.valueLength !== DIRECTORY_VALUE_LENGTH) throw new Error(`directory entry at ${entry} is not one`);
    const kind = OBJECT_KINDS[fields.getUint32(view.valueAt, true)];
    const offset = fields.getUint32(view.valueAt + 4, true);
    const length = fields.getUint32(view.valueAt + 8, true);
    if (!kind || offset % OBJECT_ALIGNMENT !== 0 || offset + length > buffer.byteLength) throw new Error(`directory entry at ${entry} points nowhere`);
    entries.push({ name: table.keyOf(entry), kind, offset, length });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

function describeObject(buffer: ArrayBuffer, entry: Entry, cache: CacheReport | Error | undefined): ObjectReport {
  const report: ObjectReport = { name: entry.name, kind: entry.kind, offset: entry.offset, bytes: entry.length, details: null, error: null };
  try {
    report.details = readObject(buffer, entry, cache);
  } catch (error) {
    report.error = (error as Error).message;
  }
  return report;
}

function readObject(buffer: ArrayBuffer, entry: Entry, cache: CacheReport | Error | undefined): ObjectDetails {
  switch (entry.kind) {
    case 'mutex':
      return readMutex(buffer, entry.offset);
    case 'semaphore':
      return readSemaphore(buffer, entry.offset);
    case 'event':
      return readEvent(buffer, entry.offset);
    case 'barrier':
      return readBarrier(buffer, entry.offset);
    case 'channel':
    case 'mailbox':
      return readRing(buffer, entry.offset);
    case 'broadcast':
      return readBroadcast(buffer, entry.offset);
    case 'cache':
      if (cache instanceof Error) throw cache;
      if (!cache) throw new Error('the cache could not be read');
      return cache;
    case 'structures': {
      const published = Atomics.load(new Int32Array(buffer, entry.offset + STRUCTURES_PUBLISHED_OFFSET, 1), 0);
      return { structures: published >>> 16, bytes: published & 0xffff };
    }
  }
}

/**
 * Runs `read` between two loads of an even, unchanged sequence (retrying while writes
 * overlap it). Past STABLE_READ_MS of writes in progress, runs it once more unvalidated.
 * A read that throws with no write overlapping it met damage: the error goes up.
 */
export function stableRead<T>(all: Int32Array, read: () => T): { value: T; consistent: boolean } {
  const index = NS_SEQUENCE_OFFSET >> 2;
  const deadline = performance.now() + STABLE_READ_MS;
  while (performance.now() < deadline) {
    const before = Atomics.load(all, index);
    if ((before & 1) !== 0) {
      Atomics.wait(sleeper, 0, 0, 1); // a write is in progress: let it finish
      continue;
    }
    let value: T;
    try {
      value = read();
    } catch (error) {
      if (Atomics.load(all, index) !== before) continue; // torn by a write: read again
      throw error;
    }
    if (Atomics.load(all, index) === before) return { value, consistent: true };
  }
  return { value: read(), consistent: false };
}
