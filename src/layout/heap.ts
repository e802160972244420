/**
 * Shared heap layout (SharedHeap, src/store/heap.ts): a TLSF allocator whose every byte of
 * state lives in the heap's own memory, as offsets relative to the heap's first byte (never
 * pointers or objects), so any process that maps the memory sees and edits the same heap.
 *
 *          0                   1                   2                   3
 *          0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *         +---------------------------------------------------------------+    0
 *         |                       magic "HEAP"                            |  written last by initialize
 *         |                     format version (u32)                      |    4
 *         |              heap length in bytes (u32, < 2^31)               |    8
 *         |          used (u32): bytes of allocated blocks                |   12
 *         |          free (u32): bytes of free blocks                     |   16
 *         |          allocated blocks (u32)                               |   20
 *         |          free blocks (u32)                                    |   24
 *         |  first-level bitmap (u32): bit f set = some list of row f     |   28
 *         |  non-empty                                                    |
 *         +---------------------------------------------------------------+   32
 *         |  second-level bitmaps: 25 x u32, bit s of word f set = list   |
 *         |  (f, s) non-empty                                             |
 *         +---------------------------------------------------------------+  132
 *         |  capacity (u32): the most the length may grow to              |
 *         +---------------------------------------------------------------+  136
 *         |  free-list heads: 25 x 16 x i32, list (f, s) at 136 + 4(16f+s)|
 *         |  heap offset of the first free block of the list, 0 = empty   |
 *         +---------------------------------------------------------------+ 1736
 *         |  reserved (4 bytes)                                           |
 *         |  prologue (u32) = 1: a footer "allocated, size 0"     at 1740 |
 *         +---------------------------------------------------------------+ 1744
 *         |  blocks: heap length - 1752 bytes, every one 8-aligned,       |
 *         |  sizes multiples of 8, laid end to end                        |
 *         +---------------------------------------------------------------+ length - 8
 *         |  epilogue (u32) = 1: a header "allocated, size 0"             |
 *         |  reserved (4 bytes)                                           |
 *         +---------------------------------------------------------------+ length
 *
 * Block (heap offset b, size n bytes, n a multiple of 8, n >= 24):
 *         +---------------------------------------------------------------+ b + 0
 *         | header (u32): n | 1 allocated, n | 0 free                     |
 *         +---------------------------------------------------------------+ b + 4
 *         | tag (i32): blockTag(b, header), a check word tied to b        |
 *         +---------------------------------------------------------------+ b + 8
 *         | allocated: payload, n - 12 bytes, 8-aligned (what allocate    |
 *         |            returns, as an offset in the buffer)               |
 *         | free:      next free block of the same list (i32, 0 = none)   |
 *         |            previous free block of the same list (i32,  b + 12 |
 *         |            0 = this is the head)                              |
 *         +---------------------------------------------------------------+ b + n - 4
 *         | footer (u32): a copy of the header                            |
 *         +---------------------------------------------------------------+ b + n
 *
 * Growth (a namespace's heap, issue 13): the heap lies at the start of a reserve of
 * `capacity` bytes of which only the first `length` are committed memory, and grows in
 * place. To grow by n bytes, the owner of the lock first has the memory committed (the
 * section's commit: NoSpaceError if /dev/shm is full, and nothing changes), then, journaled
 * like any write: the old epilogue becomes the header of a new free block of n bytes (merged
 * with the last block if that one is free), a new epilogue is written n bytes further, and
 * length, free and free blocks are updated. A writer killed half-way is rolled back to the
 * old length; the committed memory past it is simply reused by the next growth. Nothing
 * past `length` is ever read or written, so the reserve past the committed memory is never
 * touched. A heap made without growth has capacity = length.
 *
 * Invariants (the holder of the namespace Mutex is the only writer of every field; verify()
 * checks each one):
 * - The blocks tile [1744, length - 8) exactly: their sizes sum to the block area. The
 *   prologue and epilogue look like allocated neighbours, so coalescing needs no bounds checks.
 * - Every block's footer equals its header and its tag equals blockTag(b, header). Boundary
 *   tags that end up inside a merged block are zeroed, so a stale offset never passes for a
 *   block again.
 * - No two free blocks are adjacent (free() merges both sides at once).
 * - A free block of size n is on exactly one list, list freeListIndex(n), exactly once; next
 *   and previous links agree both ways; a list head has previous = 0. Bit s of second-level
 *   word f is set iff list (f, s) is non-empty; bit f of the first-level word iff word f != 0.
 * - used + free = block area; the counters equal what a walk of the blocks finds.
 * - Every operation updates the counters last, after the blocks and the lists: one that stops
 *   half-way leaves a state verify() rejects.
 */

export const HEAP_MAGIC = 0x50414548; // "HEAP" little-endian
/** 2: length grows up to capacity (the word at 132). 1 had a fixed length. */
export const HEAP_VERSION = 2;

/** Block sizes, block starts and payloads are multiples of 8. */
export const HEAP_ALIGNMENT = 8;
const ALIGNMENT_LOG2 = 3;

/**
 * TLSF classes. Second level: each power-of-two range is cut into 16 lists, so a block taken
 * from the first non-empty list at or above the request's rounded-up class wastes at most
 * 1/16 of the class width. First level: sizes below 128 bytes (16 lists of 8-byte steps: one
 * exact size each) form row 0; rows 1..24 cover [2^7, 2^31).
 */
export const HEAP_SL_LOG2 = 4;
export const HEAP_SL_COUNT = 1 << HEAP_SL_LOG2; // 16
const SMALL_LOG2 = HEAP_SL_LOG2 + ALIGNMENT_LOG2; // 7
export const HEAP_SMALL_BLOCK = 1 << SMALL_LOG2; // 128
export const HEAP_FL_COUNT = 31 - SMALL_LOG2 + 1; // 25: rows for sizes < 2^31
export const HEAP_LIST_COUNT = HEAP_FL_COUNT * HEAP_SL_COUNT; // 400

const i32 = 4;

let offset = 0;
export const HEAP_MAGIC_OFFSET = offset; offset += i32;
export const HEAP_VERSION_OFFSET = offset; offset += i32;
export const HEAP_LENGTH_OFFSET = offset; offset += i32;
export const HEAP_USED_OFFSET = offset; offset += i32;
export const HEAP_FREE_OFFSET = offset; offset += i32;
export const HEAP_ALLOCATED_BLOCKS_OFFSET = offset; offset += i32;
export const HEAP_FREE_BLOCKS_OFFSET = offset; offset += i32;
export const HEAP_FL_BITMAP_OFFSET = offset; offset += i32;
export const HEAP_SL_BITMAPS_OFFSET = offset; offset += HEAP_FL_COUNT * i32;
export const HEAP_CAPACITY_OFFSET = offset; offset += i32; // also puts the list heads 8-aligned
export const HEAP_LIST_HEADS_OFFSET = offset; offset += HEAP_LIST_COUNT * i32;
offset += i32; // reserved: the first block starts 8-aligned
export const HEAP_PROLOGUE_OFFSET = offset; offset += i32;
export const HEAP_HEADER_LENGTH = offset; // 1744
export const HEAP_FIRST_BLOCK_OFFSET = HEAP_HEADER_LENGTH;

/** The last 8 bytes: the epilogue word, then 4 reserved bytes. */
export const HEAP_EPILOGUE_LENGTH = 8;
/** Bytes of a heap that are never part of a block. */
export const HEAP_OVERHEAD = HEAP_HEADER_LENGTH + HEAP_EPILOGUE_LENGTH; // 1752

export const MIN_HEAP_LENGTH = 4096;
/** Offsets and sizes are stored in 32-bit words and handled as int32: keep them below 2^31. */
export const MAX_HEAP_LENGTH = 2 ** 31 - HEAP_ALIGNMENT;
/** A growing heap grows by at least this much, or an eighth of its length if more (16 KiB: a fresh namespace stays small). */
export const HEAP_GROW_MIN = 16 * 1024;

offset = 0;
export const BLOCK_HEADER_OFFSET = offset; offset += i32;
export const BLOCK_TAG_OFFSET = offset; offset += i32;
export const BLOCK_PAYLOAD_OFFSET = offset;
export const BLOCK_NEXT_FREE_OFFSET = offset; offset += i32;
export const BLOCK_PREV_FREE_OFFSET = offset; offset += i32;
export const BLOCK_FOOTER_LENGTH = i32;
/** Bytes of an allocated block that are not payload: header, tag, footer. */
export const BLOCK_OVERHEAD = BLOCK_PAYLOAD_OFFSET + BLOCK_FOOTER_LENGTH; // 12
/** A free block must hold header, tag, both links and footer (20), rounded to 8. */
export const MIN_BLOCK_SIZE = (offset + BLOCK_FOOTER_LENGTH + HEAP_ALIGNMENT - 1) & ~(HEAP_ALIGNMENT - 1); // 24

/** Bit 0 of a header or footer; bits 1 and 2 are always 0 (sizes are multiples of 8). */
export const BLOCK_ALLOCATED = 1;
export const BLOCK_FLAG_MASK = HEAP_ALIGNMENT - 1;

/** The size of the block that holds an allocation of `size` bytes (size < 2^31 - 20). */
export function heapBlockSize(size: number): number {
  const size8 = (size + BLOCK_OVERHEAD + HEAP_ALIGNMENT - 1) & ~(HEAP_ALIGNMENT - 1);
  return size8 < MIN_BLOCK_SIZE ? MIN_BLOCK_SIZE : size8;
}

/**
 * The check word of a block at heap offset `block` with this header. Mixing in the offset
 * means user data copied from elsewhere, or a block's old bytes, do not pass for a block.
 */
export function blockTag(block: number, header: number): number {
  return (Math.imul(block ^ HEAP_MAGIC, 0x9e3779b1) ^ header) | 0;
}

/** The list (16 x first level + second level) a free block of `size` bytes belongs on. */
export function freeListIndex(size: number): number {
  if (size < HEAP_SMALL_BLOCK) return size >>> ALIGNMENT_LOG2; // row 0, one size per list
  const log2 = 31 - Math.clz32(size);
  const fl = log2 - SMALL_LOG2 + 1;
  const sl = (size >>> (log2 - HEAP_SL_LOG2)) - HEAP_SL_COUNT; // the 4 bits after the top one
  return fl * HEAP_SL_COUNT + sl;
}
