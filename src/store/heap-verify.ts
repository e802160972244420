/**
 * The full consistency check behind SharedHeap.verify(): every invariant listed in
 * src/layout/heap.ts, in an order that reports the most basic damage first (header words,
 * then the blocks walked end to end, then the free lists, bitmaps and counters). Reads only;
 * never loops forever on damaged links (a block seen twice is reported).
 */
import { CorruptHeapError } from '../errors.js';
import {
  BLOCK_ALLOCATED,
  BLOCK_FLAG_MASK,
  BLOCK_NEXT_FREE_OFFSET,
  BLOCK_PREV_FREE_OFFSET,
  BLOCK_TAG_OFFSET,
  HEAP_ALLOCATED_BLOCKS_OFFSET,
  HEAP_CAPACITY_OFFSET,
  HEAP_EPILOGUE_LENGTH,
  HEAP_FIRST_BLOCK_OFFSET,
  HEAP_FL_BITMAP_OFFSET,
  HEAP_FL_COUNT,
  HEAP_FREE_BLOCKS_OFFSET,
  HEAP_FREE_OFFSET,
  HEAP_LENGTH_OFFSET,
  HEAP_LIST_HEADS_OFFSET,
  HEAP_MAGIC,
  HEAP_MAGIC_OFFSET,
  HEAP_PROLOGUE_OFFSET,
  HEAP_SL_BITMAPS_OFFSET,
  HEAP_SL_COUNT,
  HEAP_USED_OFFSET,
  HEAP_VERSION,
  HEAP_VERSION_OFFSET,
  MIN_BLOCK_SIZE,
  blockTag,
  freeListIndex,
} from '../layout/heap.js';

/**
 * `words` spans exactly the heap's current length; `capacity` is what it was opened with;
 * `byteOffset` (its place in the buffer) is for messages.
 */
export function verifyHeap(words: Int32Array, byteOffset: number, capacity: number): void {
  const word = (at: number): number => words[at >> 2]!;
  const fail = (message: string): never => {
    throw new CorruptHeapError(`heap at offset ${byteOffset}: ${message}`);
  };
  const byteLength = words.length * 4;
  const end = byteLength - HEAP_EPILOGUE_LENGTH;

  if (word(HEAP_MAGIC_OFFSET) !== HEAP_MAGIC) fail('bad magic: not initialised, or overwritten');
  if (word(HEAP_VERSION_OFFSET) !== HEAP_VERSION) fail(`format version ${word(HEAP_VERSION_OFFSET)}, expected ${HEAP_VERSION}`);
  if (word(HEAP_LENGTH_OFFSET) !== byteLength) fail(`the header says ${word(HEAP_LENGTH_OFFSET)} bytes, the heap has ${byteLength}`);
  if (word(HEAP_CAPACITY_OFFSET) !== capacity || capacity < byteLength) {
    fail(`the header says the heap may grow to ${word(HEAP_CAPACITY_OFFSET)} bytes, it was opened with ${capacity} and has ${byteLength}`);
  }
  if (word(HEAP_PROLOGUE_OFFSET) !== BLOCK_ALLOCATED) fail(`prologue word ${word(HEAP_PROLOGUE_OFFSET)}, expected 1`);
  if (word(end) !== BLOCK_ALLOCATED) fail(`epilogue word ${word(end)}, expected 1 (a block overran the heap's end?)`);

  // 1. The blocks, end to end: each well-formed, together tiling the block area exactly.
  const freeBlocks = new Map<number, number>(); // heap offset -> size
  let used = 0;
  let free = 0;
  let allocatedBlocks = 0;
  let previousFree = -1;
  for (let at = HEAP_FIRST_BLOCK_OFFSET; at < end; ) {
    const header = word(at);
    const size = header & ~BLOCK_FLAG_MASK;
    if (header < 0 || (header & (BLOCK_FLAG_MASK & ~BLOCK_ALLOCATED)) !== 0 || size < MIN_BLOCK_SIZE) {
      fail(`block at heap offset ${at}: impossible header ${header}`);
    }
    if (at + size > end) fail(`block at heap offset ${at} of ${size} bytes runs past the block area (ends at ${end})`);
    const footer = word(at + size - 4);
    if (footer !== header) fail(`block at heap offset ${at}: footer ${footer} differs from header ${header}`);
    if (word(at + BLOCK_TAG_OFFSET) !== blockTag(at, header)) fail(`block at heap offset ${at}: wrong tag word`);
    if ((header & BLOCK_ALLOCATED) !== 0) {
      used += size;
      allocatedBlocks++;
      previousFree = -1;
    } else {
      if (previousFree >= 0) fail(`free blocks at heap offsets ${previousFree} and ${at} are adjacent (not merged)`);
      freeBlocks.set(at, size);
      free += size;
      previousFree = at;
    }
    at += size;
  }
  if (used + free !== end - HEAP_FIRST_BLOCK_OFFSET) {
    fail(`block sizes sum to ${used + free}, the block area has ${end - HEAP_FIRST_BLOCK_OFFSET} bytes`);
  }

  // 2. The free lists: each free block on its own list exactly once, links agreeing both ways.
  const listed = new Set<number>();
  let rowsExpected = 0;
  for (let row = 0; row < HEAP_FL_COUNT; row++) {
    let columnsExpected = 0;
    for (let column = 0; column < HEAP_SL_COUNT; column++) {
      const index = row * HEAP_SL_COUNT + column;
      let previous = 0;
      let block = word(HEAP_LIST_HEADS_OFFSET + 4 * index);
      if (block !== 0) columnsExpected |= 1 << column;
      while (block !== 0) {
        const size = freeBlocks.get(block);
        if (size === undefined) fail(`free list ${index} links to heap offset ${block}, which is not a free block`);
        if (listed.has(block)) fail(`free block at heap offset ${block} is reached twice through the free lists`);
        listed.add(block);
        if (freeListIndex(size!) !== index) {
          fail(`free block at heap offset ${block} (${size} bytes) is on list ${index}, not list ${freeListIndex(size!)}`);
        }
        const back = word(block + BLOCK_PREV_FREE_OFFSET);
        if (back !== previous) fail(`free block at heap offset ${block}: previous link ${back}, expected ${previous}`);
        previous = block;
        block = word(block + BLOCK_NEXT_FREE_OFFSET);
      }
    }
    const columns = word(HEAP_SL_BITMAPS_OFFSET + 4 * row);
    if (columns !== columnsExpected) fail(`second-level bitmap ${row} is ${columns}, the lists say ${columnsExpected}`);
    if (columnsExpected !== 0) rowsExpected |= 1 << row;
  }
  const rows = word(HEAP_FL_BITMAP_OFFSET);
  if (rows !== rowsExpected) fail(`first-level bitmap is ${rows}, the lists say ${rowsExpected}`);
  for (const block of freeBlocks.keys()) {
    if (!listed.has(block)) fail(`free block at heap offset ${block} is on no free list`);
  }

  // 3. The counters, which every operation updates last.
  const counters: Array<[string, number, number]> = [
    ['used', HEAP_USED_OFFSET, used],
    ['free', HEAP_FREE_OFFSET, free],
    ['allocated blocks', HEAP_ALLOCATED_BLOCKS_OFFSET, allocatedBlocks],
    ['free blocks', HEAP_FREE_BLOCKS_OFFSET, freeBlocks.size],
  ];
  for (const [name, at, actual] of counters) {
    if (word(at) !== actual) fail(`the ${name} counter says ${word(at)}, the blocks say ${actual}`);
  }
}
