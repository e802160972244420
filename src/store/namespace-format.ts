/**
 * What a namespace is made of before the Namespace class attaches to it: its options and
 * their defaults, and the layout of a fresh namespace in a section's user area
 * (src/layout/namespace.ts).
 */
import type { CodecOption } from '../codec/index.js';
import { CorruptHeapError, IncompatibleSectionError, OptionsMismatchError } from '../errors.js';
import { HEAP_OVERHEAD, MIN_HEAP_LENGTH } from '../layout/heap.js';
import {
  CODEC_ID_CUSTOM,
  CODEC_ID_MSGPACK,
  CODEC_ID_MSGPACK_JAVASCRIPT,
  CODEC_ID_RAW,
  CODEC_ID_UNRECORDED,
  NAMESPACE_MAGIC,
  NS_CODEC_OFFSET,
  NAMESPACE_VERSION,
  NS_AREA_LENGTH_OFFSET,
  NS_DIRECTORY_TABLE_OFFSET,
  NS_HEAP_LENGTH_OFFSET,
  NS_LOADS_TABLE_OFFSET,
  NS_HEAP_OFFSET_OFFSET,
  NS_JOURNAL_CAPACITY_OFFSET,
  NS_JOURNAL_OFFSET_OFFSET,
  NS_JOURNAL_START,
  NS_MAGIC_OFFSET,
  NS_VARIABLES_TABLE_OFFSET,
  NS_VERSION_OFFSET,
  TABLE_HEADER_LENGTH,
} from '../layout/namespace.js';
import { SharedHeap } from './heap.js';
import { Journal } from './journal.js';
import { HashTable } from './table.js';

/**
 * The fixed size of a namespace where sections cannot grow (macOS; Windows until its backend
 * implements Platform.growObject) and neither size nor maxSize is given: 16 MiB, committed
 * when it is created.
 */
export const DEFAULT_NAMESPACE_SIZE = 16 * 1024 * 1024;
/** The reserve of a growable namespace without options.maxSize: 1 GiB of address space. */
export const DEFAULT_MAX_SIZE = 1024 * 1024 * 1024;
/** The largest namespace: offsets in it are 32-bit words. */
export const MAX_NAMESPACE_SIZE = 2 ** 31 - 1;
/** The smallest options.size or options.maxSize. */
export const MIN_NAMESPACE_SIZE = 64 * 1024;
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** Options of Namespace.open(); an unknown key or a bad value is a typed error naming it. */
export interface NamespaceOptions {
  /**
   * Bytes committed when the namespace is created (64 KiB to 2 GiB - 1). Alone, it is the
   * namespace's fixed size, as before growth existed: everything committed at create,
   * NamespaceFullError past it. With maxSize, what to commit up front (and what the undo
   * journal is sized from: large lock() groups need a larger size). Only used when created.
   */
  size?: number;
  /**
   * The most the namespace may grow to, in bytes (64 KiB to 2 GiB - 1; default 1 GiB when
   * size is not given either). The namespace reserves this much address space in every
   * process that opens it, and commits memory only as it fills: a fresh one costs a few
   * pages. Where the OS cannot grow shared memory (macOS) the whole maxSize is committed at
   * create, and the default is a fixed 16 MiB. Only used when created.
   */
  maxSize?: number;
  /** File-backed (persistent, the seeds' swapfile). */
  file?: string;
  /** Create it if missing (default true). */
  create?: boolean;
  /** Never create: open an existing namespace only (Win32::MMF -reuse). */
  reuse?: boolean;
  /** Permission bits of the shared-memory object or file (default 0o600). Only used when it is created. */
  mode?: number;
  /** Writes take the lock by themselves (default true). Off: call lock() / withLock first. */
  autolock?: boolean;
  /** How long a write waits for the lock, ms (default 10,000; 0 = forever). */
  timeout?: number;
  /**
   * How values are encoded (default 'msgpack'); also the default of its channels, mailboxes
   * and broadcasts. Recorded when the namespace is created: opening it with another codec is
   * OptionsMismatchError naming both; leaving it out takes the recorded one ('msgpack',
   * '@msgpack/msgpack' or 'raw'). A custom codec ({ encode, decode }) is recorded only as
   * "custom" (functions cannot be compared across processes): every process must pass it
   * again, and the same one.
   */
  codec?: CodecOption;
}

export const OPTION_KEYS = ['size', 'maxSize', 'file', 'create', 'reuse', 'mode', 'autolock', 'timeout', 'codec'];

export const MIN_JOURNAL_CAPACITY = 4096;
export const MAX_JOURNAL_CAPACITY = 1 << 17;

/** Undo-journal entries for a namespace that commits `size` bytes at create. */
export function journalCapacity(size: number): number {
  return Math.max(MIN_JOURNAL_CAPACITY, Math.min(MAX_JOURNAL_CAPACITY, Math.floor(size / 128)));
}

export interface NamespaceLayout {
  journalOffset: number;
  journalCapacity: number;
  heapOffset: number;
  /** The heap's capacity: it spans the rest of the reserve (its length now is in its own header). */
  heapLength: number;
}

/** Where the journal and the heap of a namespace of `area` bytes (its reserve) lie. */
export function namespaceLayout(area: number, capacity: number): NamespaceLayout {
  const heapOffset = Math.ceil((NS_JOURNAL_START + Journal.byteLength(capacity)) / 128) * 128;
  return { journalOffset: NS_JOURNAL_START, journalCapacity: capacity, heapOffset, heapLength: (area - heapOffset) & ~7 };
}

/** Heap bytes a fresh namespace starts with: its header and room for its first tables. */
const INITIAL_HEAP_LENGTH = 32 * 1024;

/**
 * User-area bytes a growable namespace commits at create when options.size is not given:
 * its header, journal and a small heap. The rest is committed as the heap grows.
 */
export function initialCommit(area: number): number {
  const { heapOffset, heapLength } = namespaceLayout(area, journalCapacity(0));
  return Math.min(area, heapOffset + Math.min(heapLength, INITIAL_HEAP_LENGTH));
}

/**
 * Reads and checks a namespace header against the size of the section's user area: every
 * field must be what initializeNamespace() wrote for that size, so a damaged or foreign
 * header is IncompatibleSectionError naming the field, never a RangeError from a view laid
 * over it (and never a journal that silently cannot hold a write). A journal left by a dead
 * writer must name only words a write can change: CorruptHeapError otherwise.
 */
export function readNamespaceHeader(buffer: ArrayBuffer, name: string): NamespaceLayout {
  const area = buffer.byteLength;
  const refuse = (what: string): never => {
    throw new IncompatibleSectionError(`section '${name}' does not hold a namespace this shmkit can open: ${what}`);
  };
  if (area < NS_JOURNAL_START + MIN_HEAP_LENGTH) refuse(`its user area has ${area} bytes, too few for a namespace`);
  const all = new Int32Array(buffer, 0, area >> 2);
  const magic = Atomics.load(all, NS_MAGIC_OFFSET >> 2);
  if (magic !== NAMESPACE_MAGIC) refuse(`bad magic 0x${(magic >>> 0).toString(16)} (expected "NSPC")`);
  const version = all[NS_VERSION_OFFSET >> 2]!;
  if (version !== NAMESPACE_VERSION) refuse(`format version ${version}, this shmkit reads version ${NAMESPACE_VERSION}`);
  // The journal's capacity was chosen at create (from the bytes committed then); the rest follows from it.
  const capacity = all[NS_JOURNAL_CAPACITY_OFFSET >> 2]!;
  if (!(capacity >= MIN_JOURNAL_CAPACITY && capacity <= MAX_JOURNAL_CAPACITY)) {
    refuse(`its header says journal capacity ${capacity}, not from ${MIN_JOURNAL_CAPACITY} to ${MAX_JOURNAL_CAPACITY} (damaged header)`);
  }
  const expected = namespaceLayout(area, capacity);
  if (expected.heapLength < MIN_HEAP_LENGTH + HEAP_OVERHEAD) refuse(`its journal of ${capacity} entries leaves no room for a heap in ${area} bytes (damaged header)`);
  const fields: Array<[string, number, number]> = [
    ['area length', NS_AREA_LENGTH_OFFSET, area],
    ['journal offset', NS_JOURNAL_OFFSET_OFFSET, expected.journalOffset],
    ['journal capacity', NS_JOURNAL_CAPACITY_OFFSET, expected.journalCapacity],
    ['heap offset', NS_HEAP_OFFSET_OFFSET, expected.heapOffset],
    ['heap length', NS_HEAP_LENGTH_OFFSET, expected.heapLength],
  ];
  for (const [field, offset, value] of fields) {
    const found = all[offset >> 2]!;
    if (found !== value) refuse(`its header says ${field} ${found}, a namespace of ${area} bytes has ${value} (damaged header)`);
  }
  const codec = all[NS_CODEC_OFFSET >> 2]!;
  if (!(codec >= CODEC_ID_UNRECORDED && codec <= CODEC_ID_CUSTOM)) refuse(`its header says codec ${codec}, not one this shmkit knows (damaged header)`);
  // The journal a dead writer may have left: its count and the words it names.
  const journal = expected.journalOffset >> 2;
  const pending = all[journal]!;
  if (pending < 0 || pending > expected.journalCapacity) {
    throw new CorruptHeapError(`namespace '${name}': its journal says ${pending} entries to undo, it holds ${expected.journalCapacity}`);
  }
  // The table headers lie side by side: variables, directory, loads.
  const tables = [NS_VARIABLES_TABLE_OFFSET >> 2, (NS_LOADS_TABLE_OFFSET + TABLE_HEADER_LENGTH) >> 2];
  const heap = [expected.heapOffset >> 2, (expected.heapOffset + expected.heapLength) >> 2];
  for (let i = 0; i < pending; i++) {
    const word = all[journal + 2 + 2 * i]!;
    if (!((word >= tables[0]! && word < tables[1]!) || (word >= heap[0]! && word < heap[1]!))) {
      throw new CorruptHeapError(`namespace '${name}': journal entry ${i} names word ${word}, which no write changes (damaged journal)`);
    }
  }
  return expected;
}

/**
 * Lays out a fresh namespace in a section's user area, of which the first `committed` bytes
 * are memory: the journal is sized from them, the heap starts in them and may grow to the
 * end of the area.
 */
export function initializeNamespace(buffer: ArrayBuffer, committed: number = buffer.byteLength, codec: number = CODEC_ID_MSGPACK): void {
  const all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  const { journalCapacity: capacity, heapOffset, heapLength } = namespaceLayout(buffer.byteLength, journalCapacity(committed));
  const initialLength = Math.min(heapLength, (committed - heapOffset) & ~7);
  all[NS_VERSION_OFFSET >> 2] = NAMESPACE_VERSION;
  all[NS_AREA_LENGTH_OFFSET >> 2] = buffer.byteLength;
  all[NS_JOURNAL_OFFSET_OFFSET >> 2] = NS_JOURNAL_START;
  all[NS_JOURNAL_CAPACITY_OFFSET >> 2] = capacity;
  all[NS_HEAP_OFFSET_OFFSET >> 2] = heapOffset;
  all[NS_HEAP_LENGTH_OFFSET >> 2] = heapLength;
  all[NS_CODEC_OFFSET >> 2] = codec;
  SharedHeap.initialize(buffer, heapOffset, initialLength, heapLength);
  const journal = new Journal(buffer, NS_JOURNAL_START, capacity, () => undefined);
  const heap = new SharedHeap(buffer, heapOffset, heapLength, undefined, { committed: () => committed });
  new HashTable(buffer, NS_VARIABLES_TABLE_OFFSET, heap, journal).create();
  new HashTable(buffer, NS_DIRECTORY_TABLE_OFFSET, heap, journal).create();
  Atomics.store(all, NS_MAGIC_OFFSET >> 2, NAMESPACE_MAGIC); // SYNC POINT: laid out
}

const CODEC_NAMES: Record<number, string> = {
  [CODEC_ID_MSGPACK]: "codec 'msgpack'",
  [CODEC_ID_MSGPACK_JAVASCRIPT]: "codec '@msgpack/msgpack'",
  [CODEC_ID_RAW]: "codec 'raw'",
  [CODEC_ID_CUSTOM]: 'a custom codec',
};
const BUILT_IN_CODECS: Record<number, CodecOption> = {
  [CODEC_ID_MSGPACK]: 'msgpack',
  [CODEC_ID_MSGPACK_JAVASCRIPT]: '@msgpack/msgpack',
  [CODEC_ID_RAW]: 'raw',
};

/** The codec word a namespace records for a (valid) codec option. */
export function codecId(option: CodecOption | undefined): number {
  if (option === undefined || option === 'msgpack') return CODEC_ID_MSGPACK;
  if (option === '@msgpack/msgpack') return CODEC_ID_MSGPACK_JAVASCRIPT;
  if (option === 'raw') return CODEC_ID_RAW;
  return CODEC_ID_CUSTOM;
}

/**
 * The codec to open namespace `name` with: the one asked for, which must be the one its
 * header records (OptionsMismatchError naming both), or without one, the recorded built-in
 * codec. A namespace that records none (made before the word existed) takes what is asked.
 */
export function namespaceCodec(buffer: ArrayBuffer, name: string, requested: CodecOption | undefined): CodecOption | undefined {
  const recorded = Atomics.load(new Int32Array(buffer, NS_CODEC_OFFSET, 1), 0);
  if (recorded === CODEC_ID_UNRECORDED) return requested;
  if (requested === undefined) {
    if (recorded !== CODEC_ID_CUSTOM) return BUILT_IN_CODECS[recorded];
    throw new OptionsMismatchError(
      `namespace '${name}' exists with a custom codec, which is not stored: pass the same codec as options.codec`,
    );
  }
  const asked = codecId(requested);
  if (asked === recorded) return requested;
  throw new OptionsMismatchError(
    `namespace '${name}' exists with ${CODEC_NAMES[recorded]}, not ${CODEC_NAMES[asked]}: ` +
      `open it without 'codec' to take it as it is${recorded === CODEC_ID_CUSTOM ? ' (a custom codec must be passed again)' : ''}, or use another name`,
  );
}
