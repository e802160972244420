/**
 * Namespace layout: the user area of a section of kind 'namespace'. One lock (a robust
 * Mutex) guards every write; readers of single keys take no lock and validate what they read
 * against a sequence counter (seqlock). An undo journal makes each write, or each group of
 * writes under lock(), all-or-nothing across a crash.
 *
 *  +0    +---------------------------------------------------------------+ line 0
 *        | magic "NSPC" | version | area bytes | journal offset          |
 *        | journal capacity | heap offset | heap length | reserved        |
 *  +128  +---------------------------------------------------------------+ line 1: readers
 *        | sequence (i32): even = stable, odd = a write is in progress;  |  futex word
 *        | readers park on it when a write takes long                    |
 *        | readers waiting (i32)                                    +132 |
 *  +256  +---------------------------------------------------------------+ line 2: writers
 *        | store lock (Mutex, 16 bytes)                                  |
 *        | writes (i32) +272 | rollbacks (i32) +276 | recoveries (i32) +280 |
 *        | stamps (i32) +284: +1 per entry written                       |
 *  +384  +---------------------------------------------------------------+
 *        | variables table header (32 bytes, see TABLE_* below)          |
 *  +416  +---------------------------------------------------------------+
 *        | directory table header (32 bytes)                             |
 *  +448  +---------------------------------------------------------------+
 *        | reserved                                                      |
 *  +512  +---------------------------------------------------------------+
 *        | journal (src/store/journal.ts)                                |
 *        +---------------------------------------------------------------+
 *        | heap (src/layout/heap.ts): tables, entries, named objects     |
 *        +---------------------------------------------------------------+
 *
 * Table header (32 bytes): slots offset (i32, a heap allocation), capacity (i32, a power of
 * two), count (i32, live entries), tombstones (i32), bytes (i32, sum of entry sizes),
 * clock hand (i32, caches), reserved.
 *
 * Slots: capacity x { hash (i32), entry (i32): 0 empty, -1 deleted, else the buffer offset of
 * an entry block }. Linear probing. The entry word is the commit point of an insert, update or
 * delete: a reader sees the old entry block or the new one, never a mix.
 *
 * Entry block (a heap allocation, written once, never changed in place except its reference
 * bit): key length (u32), value length (u32), expires at (f64 ms, 0 = never), referenced (i32,
 * caches' CLOCK bit, set by readers), type (i32: 0 value, else a directory object kind),
 * stamp (i32: the namespace's write count when it was written, so a reader's cache of decoded
 * values can tell this entry from a later one at the same offset), reserved (i32),
 * key bytes (UTF-8), value bytes (the codec's).
 */

export const NAMESPACE_MAGIC = 0x4350534e; // "NSPC"
export const NAMESPACE_VERSION = 1;
const i32 = 4;
const LINE = 128;

export const NS_MAGIC_OFFSET = 0;
export const NS_VERSION_OFFSET = i32;
export const NS_AREA_LENGTH_OFFSET = 2 * i32;
export const NS_JOURNAL_OFFSET_OFFSET = 3 * i32;
export const NS_JOURNAL_CAPACITY_OFFSET = 4 * i32;
export const NS_HEAP_OFFSET_OFFSET = 5 * i32;
export const NS_HEAP_LENGTH_OFFSET = 6 * i32;
export const NS_SEQUENCE_OFFSET = LINE;
export const NS_READERS_WAITING_OFFSET = LINE + i32;
export const NS_LOCK_OFFSET = 2 * LINE;
export const NS_WRITES_OFFSET = 2 * LINE + 16;
export const NS_ROLLBACKS_OFFSET = 2 * LINE + 20;
export const NS_RECOVERIES_OFFSET = 2 * LINE + 24;
export const NS_STAMPS_OFFSET = 2 * LINE + 28;
export const NS_VARIABLES_TABLE_OFFSET = 3 * LINE;
export const NS_DIRECTORY_TABLE_OFFSET = 3 * LINE + 32;
export const NS_JOURNAL_START = 4 * LINE;

export const TABLE_HEADER_LENGTH = 32;
export const TABLE_SLOTS_OFFSET = 0;
export const TABLE_CAPACITY_OFFSET = i32;
export const TABLE_COUNT_OFFSET = 2 * i32;
export const TABLE_TOMBSTONES_OFFSET = 3 * i32;
export const TABLE_BYTES_OFFSET = 4 * i32;
export const TABLE_CLOCK_HAND_OFFSET = 5 * i32;
export const TABLE_INITIAL_CAPACITY = 64;
/** Grow when live + deleted slots pass this share of the capacity. */
export const TABLE_MAX_LOAD = 0.7;

export const SLOT_LENGTH = 8;
export const SLOT_EMPTY = 0;
export const SLOT_DELETED = -1;

export const ENTRY_KEY_LENGTH_OFFSET = 0;
export const ENTRY_VALUE_LENGTH_OFFSET = i32;
export const ENTRY_EXPIRES_OFFSET = 2 * i32; // f64, 8-aligned
export const ENTRY_REFERENCED_OFFSET = 4 * i32;
export const ENTRY_TYPE_OFFSET = 5 * i32;
export const ENTRY_STAMP_OFFSET = 6 * i32;
export const ENTRY_HEADER_LENGTH = 8 * i32;

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
