/**
 * Namespace layout: the user area of a section of kind 'namespace'. One lock (a robust
 * Mutex) guards every write; readers of single keys take no lock and validate what they read
 * against a sequence counter (seqlock). An undo journal makes each write, or each group of
 * writes under lock(), all-or-nothing across a crash.
 *
 *  +0    +---------------------------------------------------------------+ line 0
 *        | magic "NSPC" | version | area bytes (the reserve) | journal     |
 *        | offset | journal capacity | heap offset | heap capacity | codec|
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
 *  +448  +---------------------------------------------------------------+ line 3: loads
 *        | loads table header (32 bytes): cache keys being loaded now    |
 *  +480  | loads done (i32): +1 when a load ends; getOrSet waiters park  |
 *        | load waiters (i32) +484 | load recoveries (i32) +488          |
 *        | reserved                                                      |
 *  +512  +---------------------------------------------------------------+
 *        | journal (src/store/journal.ts)                                |
 *        +---------------------------------------------------------------+
 *        | heap (src/layout/heap.ts): tables, entries, named objects     |
 *        | - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - | heap length: committed
 *        | reserve: the heap grows into it (commits first, under the     |
 *        | store lock); never touched before that                        |
 *        +---------------------------------------------------------------+ area bytes
 *
 * Codec (i32 at +28, written at create, never changed): which codec encodes the values, so
 * that an open with another one is refused rather than misreading them (CODEC_ID_* below;
 * 0: made by a shmkit that did not record it, nothing to check). A custom codec is recorded
 * as custom only: two custom codecs cannot be told apart.
 *
 * Table header (32 bytes): directory (i32, a heap allocation: word 0 = its capacity in
 * segments, words 1.. = the buffer offsets of the segments, 0 = not allocated), buckets
 * (i32, n >= 64, buckets in use), count (i32, live entries), bytes (i32, sum of entry
 * sizes), clock hand (i32, a bucket, caches' CLOCK), writes since the last purge (i32, caches
 * with ttl), earliest expiry (f64 ms at +24: no entry of the table expires before it; 0 =
 * none expires).
 *
 *   table header          directory                  segment (1 KiB, 256 buckets)
 *   +-----------+         +----------------+         +-----------------------------+
 *   | directory |-------->| capacity (c)   |    +--->| bucket 0: first entry (i32) |--> entry --> entry --> 0
 *   | buckets n |         | segment 0      |----+    | bucket 1                    |
 *   | count ... |         | segment 1 ...  |         | ...                         |
 *   +-----------+         | (c words)      |         +-----------------------------+
 *                         +----------------+
 *
 * Linear hashing with chains (Litwin): bucket i holds the keys whose hash h has
 * h & (2^k - 1) = i, where 2^k is the smallest power of two >= n, folded into the lower half
 * (i - 2^(k-1)) when that is >= n. The table grows one bucket at a time: a write that takes
 * the count past n splits bucket n - 2^(k-1) into itself and bucket n. Segments are small
 * fixed blocks allocated when a split enters one, and only when the heap has room: growth
 * never needs one large contiguous block and never refuses a key (a table that cannot grow
 * has longer chains). Deleting unlinks (no tombstones). Buckets are never given back.
 *
 * A chain is a list of entry blocks through their next word, newest insert first. Every
 * change of a bucket word or a next word is ONE journaled store: the commit point of an
 * insert (the bucket or predecessor link now names the new entry), an update (the link names
 * the replacement, which took the old entry's next) or a delete (the link skips the entry).
 * A reader sees the old chain or the new one; the namespace sequence tells it to retry when
 * a write overlapped its walk.
 *
 * Loads (cache.getOrSet's single flight): the loads table maps (cache object offset as 4
 * bytes little-endian, then the key's UTF-8) to a 16-byte marker: owner word (i32, the
 * loading thread's pid and start-time hash as in src/layout/owner.ts), thread id (i32),
 * token (i32, a stamp naming this load), reserved (i32). A marker exists while its load
 * runs; the loader removes it in the write that publishes the value (or when its loader
 * throws), then adds 1 to `loads done` and wakes the parked waiters (`load waiters` > 0).
 * A waiter that finds the marker's owner dead replaces the marker with its own and loads
 * (`load recoveries` + 1). The table is created by the first getOrSet that misses (its
 * directory word is 0 until then: namespaces made before it existed open unchanged).
 *
 * Entry block (a heap allocation, written whole before it is published; afterwards only its
 * next word changes, or, when a value of at most 128 bytes is replaced by one that fits the
 * same block, its value length, expiry, stamp and value bytes, their old words journaled
 * first): key length (u32), value length (u32), expires at (f64 ms, 0 = never), hash (i32,
 * the key's FNV-1a), type (i32: 0 value, 1..63 a directory object kind, 64 a load marker),
 * stamp (i32: from the namespace's stamps counter, new at every write of the entry, so a
 * reader's cache of decoded values can tell one version from the next at the same offset),
 * next (i32: the next entry of the bucket's chain, 0 = end), key bytes (UTF-8), value bytes
 * (the codec's).
 *
 *  +0 key length | +4 value length | +8 expires at (f64) | +16 hash | +20 type | +24 stamp |
 *  +28 next | +32 key bytes | value bytes
 */

export const NAMESPACE_MAGIC = 0x4350534e; // "NSPC"
/**
 * 4: growth (issue 13): the area is the reserve, the heap's length field is its capacity, and
 * the journal capacity is chosen at create from the bytes committed then, not from the area.
 * 3: the codec's shared record structures (a 'structures' directory object, values that start
 * 0xc1), the getOrSet loads table, values rewritten in place (issues 11, 12). 2: chained
 * linear-hashing tables (issue 9); 1 had open addressing with tombstones. None mix: an older
 * shmkit would misread what a newer one writes.
 */
export const NAMESPACE_VERSION = 4;
const i32 = 4;
const LINE = 128;

export const NS_MAGIC_OFFSET = 0;
export const NS_VERSION_OFFSET = i32;
export const NS_AREA_LENGTH_OFFSET = 2 * i32;
export const NS_JOURNAL_OFFSET_OFFSET = 3 * i32;
export const NS_JOURNAL_CAPACITY_OFFSET = 4 * i32;
export const NS_HEAP_OFFSET_OFFSET = 5 * i32;
export const NS_HEAP_LENGTH_OFFSET = 6 * i32;
export const NS_CODEC_OFFSET = 7 * i32;
/** Values of the codec word: none recorded, then 'msgpack', '@msgpack/msgpack', 'raw', a custom codec. */
export const CODEC_ID_UNRECORDED = 0;
export const CODEC_ID_MSGPACK = 1;
export const CODEC_ID_MSGPACK_JAVASCRIPT = 2;
export const CODEC_ID_RAW = 3;
export const CODEC_ID_CUSTOM = 4;
export const NS_SEQUENCE_OFFSET = LINE;
export const NS_READERS_WAITING_OFFSET = LINE + i32;
export const NS_LOCK_OFFSET = 2 * LINE;
export const NS_WRITES_OFFSET = 2 * LINE + 16;
export const NS_ROLLBACKS_OFFSET = 2 * LINE + 20;
export const NS_RECOVERIES_OFFSET = 2 * LINE + 24;
export const NS_STAMPS_OFFSET = 2 * LINE + 28;
export const NS_VARIABLES_TABLE_OFFSET = 3 * LINE;
export const NS_DIRECTORY_TABLE_OFFSET = 3 * LINE + 32;
export const NS_LOADS_TABLE_OFFSET = 3 * LINE + 64;
export const NS_LOADS_DONE_OFFSET = 3 * LINE + 96;
export const NS_LOAD_WAITERS_OFFSET = 3 * LINE + 100;
export const NS_LOAD_RECOVERIES_OFFSET = 3 * LINE + 104;
export const NS_JOURNAL_START = 4 * LINE;

/** A load marker: owner word, thread id, token, reserved (i32 each). */
export const LOAD_MARKER_OWNER_OFFSET = 0;
export const LOAD_MARKER_THREAD_OFFSET = i32;
export const LOAD_MARKER_TOKEN_OFFSET = 2 * i32;
export const LOAD_MARKER_LENGTH = 4 * i32;
/** The entry type of a load marker (values are 0, directory objects 1 + their kind). */
export const ENTRY_TYPE_LOAD_MARKER = 64;
/** Bytes of a loads-table key before the cache key's UTF-8: the cache object's offset. */
export const LOAD_KEY_PREFIX_LENGTH = i32;

export const TABLE_HEADER_LENGTH = 32;
export const TABLE_DIRECTORY_OFFSET = 0;
export const TABLE_BUCKETS_OFFSET = i32;
export const TABLE_COUNT_OFFSET = 2 * i32;
export const TABLE_BYTES_OFFSET = 3 * i32;
export const TABLE_CLOCK_HAND_OFFSET = 4 * i32;
export const TABLE_PURGE_WRITES_OFFSET = 5 * i32;
export const TABLE_EARLIEST_EXPIRY_OFFSET = 6 * i32; // f64, 8-aligned
/** Buckets of a new table (a power of two). */
export const TABLE_INITIAL_BUCKETS = 64;
/** Segments a new directory has room for. */
export const TABLE_INITIAL_DIRECTORY = 4;
export const SEGMENT_BUCKETS_LOG2 = 8;
export const SEGMENT_BUCKETS = 1 << SEGMENT_BUCKETS_LOG2; // 256
export const BUCKET_LENGTH = i32;
export const SEGMENT_LENGTH = SEGMENT_BUCKETS * BUCKET_LENGTH; // 1 KiB
/** Split a bucket when live entries pass this many per bucket. */
export const TABLE_MAX_LOAD = 1;

export const ENTRY_KEY_LENGTH_OFFSET = 0;
export const ENTRY_VALUE_LENGTH_OFFSET = i32;
export const ENTRY_EXPIRES_OFFSET = 2 * i32; // f64, 8-aligned
export const ENTRY_HASH_OFFSET = 4 * i32;
export const ENTRY_TYPE_OFFSET = 5 * i32;
export const ENTRY_STAMP_OFFSET = 6 * i32;
export const ENTRY_NEXT_OFFSET = 7 * i32;
export const ENTRY_HEADER_LENGTH = 8 * i32;

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
