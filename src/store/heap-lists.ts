/**
 * The TLSF free lists of a SharedHeap (layout: src/layout/heap.ts): 400 doubly linked lists
 * of free blocks by size class, and two levels of bitmaps saying which lists are non-empty.
 * Links and list heads are heap offsets (0 = none); everything is in the heap's words, this
 * object only holds the view. Callers hold the namespace Mutex (see SharedHeap).
 *
 * Every block read from a list or a link is checked before it is used, so damaged memory
 * becomes a CorruptHeapError rather than a write through a wild offset.
 */
import {
  BLOCK_FLAG_MASK,
  BLOCK_NEXT_FREE_OFFSET,
  BLOCK_PREV_FREE_OFFSET,
  HEAP_ALIGNMENT,
  HEAP_FIRST_BLOCK_OFFSET,
  HEAP_FL_BITMAP_OFFSET,
  HEAP_FREE_BLOCKS_OFFSET,
  HEAP_LIST_HEADS_OFFSET,
  HEAP_SL_BITMAPS_OFFSET,
  HEAP_SL_COUNT,
  HEAP_SL_LOG2,
  HEAP_SMALL_BLOCK,
  MIN_BLOCK_SIZE,
  freeListIndex,
} from '../layout/heap.js';

const FL_BITMAP = HEAP_FL_BITMAP_OFFSET >> 2;
const SL_BITMAPS = HEAP_SL_BITMAPS_OFFSET >> 2;
const HEADS = HEAP_LIST_HEADS_OFFSET >> 2;
const FREE_BLOCKS = HEAP_FREE_BLOCKS_OFFSET >> 2;
const SIZE_MASK = ~BLOCK_FLAG_MASK;
const COLUMN_MASK = HEAP_SL_COUNT - 1;

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

export class FreeLists {
  /**
   * @param words the heap's bytes as int32 words (word i is heap offset 4i)
   * @param end heap offset of the epilogue, the end of the block area (the heap sets it again when it grows)
   * @param fail throws the heap's CorruptHeapError
   */
  constructor(
    private readonly words: Int32Array,
    public end: number,
    private readonly fail: (message: string) => never,
    private readonly put: (index: number, value: number) => void = (index, value) => {
      words[index] = value;
    },
  ) {}

  private word(index: number): number {
    return this.words[index]!;
  }

  /** Pushes a free block on the head of its list and marks the list non-empty. */
  link(block: number, size: number): void {
    const index = freeListIndex(size);
    const head = this.word(HEADS + index);
    if (head !== 0) this.checkListed(head, 0);
    this.put((block + BLOCK_NEXT_FREE_OFFSET) >> 2, head);
    this.put((block + BLOCK_PREV_FREE_OFFSET) >> 2, 0);
    if (head !== 0) this.put((head + BLOCK_PREV_FREE_OFFSET) >> 2, block);
    this.put(HEADS + index, block);
    const row = index >> HEAP_SL_LOG2;
    this.put(SL_BITMAPS + row, this.word(SL_BITMAPS + row) | (1 << (index & COLUMN_MASK)));
    this.put(FL_BITMAP, this.word(FL_BITMAP) | (1 << row));
  }

  /** Takes a free block off its list; checks both links first, so damage is never spread. */
  unlink(block: number, size: number): void {
    const index = freeListIndex(size);
    const next = this.word((block + BLOCK_NEXT_FREE_OFFSET) >> 2);
    const prev = this.word((block + BLOCK_PREV_FREE_OFFSET) >> 2);
    if (prev === 0 ? this.word(HEADS + index) !== block : !this.isLinkTarget(prev, block, BLOCK_NEXT_FREE_OFFSET)) {
      this.fail(`free block at heap offset ${block}: its previous link (${prev}) does not lead back to it`);
    }
    if (next !== 0 && !this.isLinkTarget(next, block, BLOCK_PREV_FREE_OFFSET)) {
      this.fail(`free block at heap offset ${block}: its next link (${next}) does not lead back to it`);
    }
    if (prev === 0) this.put(HEADS + index, next);
    else this.put((prev + BLOCK_NEXT_FREE_OFFSET) >> 2, next);
    if (next !== 0) this.put((next + BLOCK_PREV_FREE_OFFSET) >> 2, prev);
    if (next === 0 && prev === 0) {
      const row = index >> HEAP_SL_LOG2;
      const bits = this.word(SL_BITMAPS + row) & ~(1 << (index & COLUMN_MASK));
      this.put(SL_BITMAPS + row, bits);
      if (bits === 0) this.put(FL_BITMAP, this.word(FL_BITMAP) & ~(1 << row));
    }
  }

  /** Whether `at` is a plausible block start whose link at `field` points to `block`. */
  private isLinkTarget(at: number, block: number, field: number): boolean {
    return at >= HEAP_FIRST_BLOCK_OFFSET && at < this.end && at % HEAP_ALIGNMENT === 0 && this.word((at + field) >> 2) === block;
  }

  /**
   * Heap offset of a free block of at least `need` bytes, or 0 when there is none:
   * 1. the head of the request's own list, if it fits (O(1); the closest fit we can see, and
   *    a block freed by a value of the same size is found again at once);
   * 2. TLSF's search: the first non-empty list of the rounded-up class or above (O(1));
   * 3. a first-fit walk of the request's own list, so that 0 means "no free block is large
   *    enough" (see SharedHeap).
   */
  find(need: number): number {
    const own = freeListIndex(need);
    const head = this.word(HEADS + own);
    if (head !== 0 && (this.word(this.checkListed(head, 0) >> 2) & SIZE_MASK) >= need) return head;
    // Round the request up to the next class boundary: every block of that class and above fits.
    const target = need < HEAP_SMALL_BLOCK ? need : need + (1 << (31 - Math.clz32(need) - HEAP_SL_LOG2)) - 1;
    if (target < 2 ** 31) {
      const index = freeListIndex(target);
      let row = index >> HEAP_SL_LOG2;
      let columns = this.word(SL_BITMAPS + row) & (-1 << (index & COLUMN_MASK));
      if (columns === 0) {
        const rows = this.word(FL_BITMAP) & (-1 << (row + 1));
        if (rows !== 0) {
          row = lowestBit(rows);
          columns = this.word(SL_BITMAPS + row);
          if (columns === 0) this.fail(`the first-level bitmap marks row ${row}, whose lists are all empty`);
        }
      }
      if (columns !== 0) return this.checkListed(this.word(HEADS + row * HEAP_SL_COUNT + lowestBit(columns)), need);
    }
    // Fallback: first fit within the request's own class (its blocks straddle `need`).
    const limit = this.word(FREE_BLOCKS);
    let steps = 0;
    for (let block = head; block !== 0; steps++) {
      if (steps > limit) this.fail(`free list ${own} is longer than the free-block count (a cycle?)`);
      this.checkListed(block, 0);
      if ((this.word(block >> 2) & SIZE_MASK) >= need) return block;
      block = this.word((block + BLOCK_NEXT_FREE_OFFSET) >> 2);
    }
    return 0;
  }

  /** A block taken from a free list must be a free block of at least `need` bytes. */
  private checkListed(block: number, need: number): number {
    const header = block >= HEAP_FIRST_BLOCK_OFFSET && block < this.end && block % HEAP_ALIGNMENT === 0 ? this.word(block >> 2) : -1;
    const size = header & SIZE_MASK;
    if (header < 0 || (header & BLOCK_FLAG_MASK) !== 0 || size < Math.max(need, MIN_BLOCK_SIZE) || block + size > this.end) {
      this.fail(`a free list holds heap offset ${block}, which is not a free block of at least ${need} bytes`);
    }
    return block;
  }

  /** Size of the largest free block: the last list of the highest non-empty class, walked. */
  largest(): number {
    const rows = this.word(FL_BITMAP);
    if (rows === 0) return 0;
    const row = 31 - Math.clz32(rows);
    const columns = this.word(SL_BITMAPS + row);
    if (columns === 0) this.fail(`the first-level bitmap marks row ${row}, whose lists are all empty`);
    const index = row * HEAP_SL_COUNT + 31 - Math.clz32(columns);
    const limit = this.word(FREE_BLOCKS);
    let largest = 0;
    let steps = 0;
    for (let block = this.word(HEADS + index); block !== 0; block = this.word((block + BLOCK_NEXT_FREE_OFFSET) >> 2)) {
      if (++steps > limit) this.fail(`free list ${index} is longer than the free-block count (a cycle?)`);
      largest = Math.max(largest, this.word(this.checkListed(block, 0) >> 2));
    }
    return largest;
  }
}
