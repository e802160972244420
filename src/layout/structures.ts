/**
 * Shared record structures (SharedStructureStore, src/store/structures.ts): the msgpackr
 * record structures every process of a namespace uses, so that structure s means the same
 * keys to every writer and reader (src/codec/records-format.ts).
 *
 *          0                   1                   2                   3
 *          0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *         +---------------------------------------------------------------+    0
 *         |                      magic "STRC" (u32)                       |  written last by initialize
 *         |                    format version (u32) = 1                   |    4
 *         |              region length in bytes (u32)                     |    8
 *         |                      reserved (u32)                           |   12
 *         +---------------------------------------------------------------+   16
 *         |  writers' lock: a robust Mutex (16 bytes, layout/sync.ts)     |
 *         +---------------------------------------------------------------+   32
 *         |  published (i32): count << 16 | used                          |  the one word readers load
 *         |    count: structures readers may read (15 bits)               |
 *         |    used: bytes of entries they may read (16 bits)             |
 *         |  reserved (28 bytes)                                          |
 *         +---------------------------------------------------------------+   64
 *         |  entries, end to end: `used` bytes published, then room       |
 *         +---------------------------------------------------------------+ length
 *
 * Entry (structure i starts where entry i - 1 ends; all numbers little-endian):
 *         +---------------------------------------------------------------+ e + 0
 *         | entry length in bytes, header included (u16)                  |
 *         | key count (u16)                                               | e + 2
 *         +---------------------------------------------------------------+ e + 4
 *         | check (u32): FNV-1a of the key bytes that follow              |
 *         +---------------------------------------------------------------+ e + 8
 *         | key count × { byte length (u16), UTF-8 bytes }                |
 *         +---------------------------------------------------------------+ e + entry length
 *
 * Invariants:
 * - Append-only. Bytes below `used` never change after they are published, so a structure's
 *   index means the same keys forever, and a reader parses only what is new to it.
 * - A writer holds the lock, writes its entries in the room after `used`, then publishes the
 *   new count and used together with one Atomics.store of `published` (SYNC POINT: readers
 *   load it, then read only below it). A writer killed before that store published nothing:
 *   what it wrote is room again for the next writer, and the lock is recovered (robust Mutex)
 *   with nothing to repair.
 * - A save names the count it loaded; a writer that finds another count under the lock saves
 *   nothing (the codec reloads and tries again), so two writers never append the same index.
 * - Full means "no more shared structures": the codec writes message-local records instead.
 */

export const STRUCTURES_MAGIC = 0x43525453; // "STRC" little-endian
export const STRUCTURES_VERSION = 1;

/** The region's offset and length must be multiples of 8 (the Mutex inside needs it). */
export const STRUCTURES_ALIGNMENT = 8;
/** A namespace's region: room for 32 structures of about 10 keys of 40 bytes. */
export const STRUCTURES_DEFAULT_LENGTH = 16 * 1024;
/** `used` has 16 bits. */
export const STRUCTURES_MAX_LENGTH = 64 * 1024;

const u32 = 4;

let offset = 0;
export const STRUCTURES_MAGIC_OFFSET = offset;
offset += u32;
export const STRUCTURES_FORMAT_OFFSET = offset;
offset += u32;
export const STRUCTURES_LENGTH_OFFSET = offset;
offset += u32;
offset += u32; // reserved
export const STRUCTURES_LOCK_OFFSET = offset;
offset += 16; // Mutex.byteLength (layout/sync.ts)
export const STRUCTURES_PUBLISHED_OFFSET = offset;
offset += u32;
offset += 28; // reserved
export const STRUCTURES_ENTRIES_OFFSET = offset;

/** The smallest region: the header and one small entry. */
export const STRUCTURES_MIN_LENGTH = STRUCTURES_ENTRIES_OFFSET + 64;

/** Entry header: length (u16), key count (u16), check (u32). */
export const ENTRY_HEADER_LENGTH = 8;
/** Each key: its UTF-8 byte length (u16), then the bytes. */
export const ENTRY_KEY_HEADER_LENGTH = 2;

export const PUBLISHED_COUNT_SHIFT = 16;
export const PUBLISHED_USED_MASK = 0xffff;
export const MAX_PUBLISHED_COUNT = 0x7fff;
