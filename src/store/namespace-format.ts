/**
 * What a namespace is made of before the Namespace class attaches to it: its options and
 * their defaults, and the layout of a fresh namespace in a section's user area
 * (src/layout/namespace.ts).
 */
import type { CodecOption } from '../channel/codec.js';
import {
  NAMESPACE_MAGIC,
  NAMESPACE_VERSION,
  NS_AREA_LENGTH_OFFSET,
  NS_DIRECTORY_TABLE_OFFSET,
  NS_HEAP_LENGTH_OFFSET,
  NS_HEAP_OFFSET_OFFSET,
  NS_JOURNAL_CAPACITY_OFFSET,
  NS_JOURNAL_OFFSET_OFFSET,
  NS_JOURNAL_START,
  NS_MAGIC_OFFSET,
  NS_VARIABLES_TABLE_OFFSET,
  NS_VERSION_OFFSET,
} from '../layout/namespace.js';
import { SharedHeap } from './heap.js';
import { Journal } from './journal.js';
import { HashTable } from './table.js';

export const DEFAULT_NAMESPACE_SIZE = 16 * 1024 * 1024;
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export interface NamespaceOptions {
  /** Bytes for the whole namespace (default 16 MiB). Only used when it is created. */
  size?: number;
  /** File-backed (persistent, the seeds' swapfile). */
  file?: string;
  /** Create it if missing (default true). */
  create?: boolean;
  /** Never create: open an existing namespace only (Win32::MMF -reuse). */
  reuse?: boolean;
  mode?: number;
  /** Writes take the lock by themselves (default true). Off: call lock() / withLock first. */
  autolock?: boolean;
  /** How long a write waits for the lock, ms (default 10,000; 0 = forever). */
  timeout?: number;
  codec?: CodecOption;
}

export const OPTION_KEYS = ['size', 'file', 'create', 'reuse', 'mode', 'autolock', 'timeout', 'codec'];

export function journalCapacity(size: number): number {
  return Math.max(4096, Math.min(1 << 17, Math.floor(size / 128)));
}

/** Lays out a fresh namespace in a section's user area. */
export function initializeNamespace(buffer: ArrayBuffer): void {
  const all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  const capacity = journalCapacity(buffer.byteLength);
  const heapOffset = Math.ceil((NS_JOURNAL_START + Journal.byteLength(capacity)) / 128) * 128;
  const heapLength = (buffer.byteLength - heapOffset) & ~7;
  all[NS_VERSION_OFFSET >> 2] = NAMESPACE_VERSION;
  all[NS_AREA_LENGTH_OFFSET >> 2] = buffer.byteLength;
  all[NS_JOURNAL_OFFSET_OFFSET >> 2] = NS_JOURNAL_START;
  all[NS_JOURNAL_CAPACITY_OFFSET >> 2] = capacity;
  all[NS_HEAP_OFFSET_OFFSET >> 2] = heapOffset;
  all[NS_HEAP_LENGTH_OFFSET >> 2] = heapLength;
  SharedHeap.initialize(buffer, heapOffset, heapLength);
  const journal = new Journal(buffer, NS_JOURNAL_START, capacity, () => undefined);
  const heap = new SharedHeap(buffer, heapOffset, heapLength);
  new HashTable(buffer, NS_VARIABLES_TABLE_OFFSET, heap, journal).create();
  new HashTable(buffer, NS_DIRECTORY_TABLE_OFFSET, heap, journal).create();
  Atomics.store(all, NS_MAGIC_OFFSET >> 2, NAMESPACE_MAGIC); // SYNC POINT: laid out
}
