/**
 * SharedHeap: the allocator under a namespace's values. Layout and invariants:
 * src/layout/heap.ts.
 *
 * The heap lives in memory that several processes map, so nothing in it is a pointer or an
 * object: blocks, list links and list heads are byte offsets from the heap's first byte, and
 * every piece of state is in the buffer. This object keeps only views and constants, so
 * `new SharedHeap(sameBuffer, sameOffset, sameLength)` in another process (or thread) sees
 * and edits the same heap.
 *
 * No locking inside: the caller holds the namespace's Mutex around every call, including
 * stats(), sizeOf() and verify(). The Mutex's atomic take and release order the plain reads
 * and writes made here for the next holder, in this process or another.
 *
 * Algorithm: TLSF (two-level segregated fit). Free blocks sit on 400 lists by size class
 * (a power-of-two row cut into 16 columns); two levels of bitmaps find the first non-empty
 * list at or above the request's class with two count-leading-zeros, whatever the number of
 * blocks. We chose it over power-of-two lists with a first-fit walk because every call runs
 * under a lock that other processes may be parked on: TLSF's time per call is bounded
 * (O(1) except the fallback below), while a first-fit walk grows with the fragmentation, and
 * its 1/16 class width keeps the waste of a "good fit" small. Boundary tags (a header and a
 * footer with the size and an allocated bit) let free() merge with both neighbours in O(1).
 *
 * Two departures from textbook TLSF (src/store/heap-lists.ts): the head of the request's own
 * list is tried first when it fits (a value replaced by one of the same size reuses the hole
 * instead of cutting a bigger block), and when no list above the rounded-up class has a
 * block we walk the request's own list first-fit, so allocate() fails only when no free
 * block is large enough (NamespaceFullError then means exactly that).
 *
 * Growth: a heap given a `commit` callback starts small and grows in place up to its
 * capacity when no free block is large enough (growTo below; layout: src/layout/heap.ts).
 *
 * Crash consistency is the namespace's job, not this file's; but each call writes in an order
 * (blocks off their lists, tags, blocks onto lists, counters last) that leaves verify()
 * failing if it stops half-way.
 */
import { CorruptHeapError, InvalidArgTypeError, NamespaceFullError, OutOfRangeError } from '../errors.js';
import {
  BLOCK_ALLOCATED,
  BLOCK_FLAG_MASK,
  BLOCK_NEXT_FREE_OFFSET,
  BLOCK_OVERHEAD,
  BLOCK_PREV_FREE_OFFSET,
  BLOCK_PAYLOAD_OFFSET,
  BLOCK_TAG_OFFSET,
  HEAP_ALIGNMENT,
  HEAP_ALLOCATED_BLOCKS_OFFSET,
  HEAP_CAPACITY_OFFSET,
  HEAP_EPILOGUE_LENGTH,
  HEAP_FIRST_BLOCK_OFFSET,
  HEAP_FREE_BLOCKS_OFFSET,
  HEAP_FREE_OFFSET,
  HEAP_GROW_MIN,
  HEAP_HEADER_LENGTH,
  HEAP_LENGTH_OFFSET,
  HEAP_MAGIC,
  HEAP_MAGIC_OFFSET,
  HEAP_OVERHEAD,
  HEAP_PROLOGUE_OFFSET,
  HEAP_USED_OFFSET,
  HEAP_VERSION,
  HEAP_VERSION_OFFSET,
  MAX_HEAP_LENGTH,
  MIN_BLOCK_SIZE,
  MIN_HEAP_LENGTH,
  blockTag,
  heapBlockSize,
} from '../layout/heap.js';
import { validateInteger } from '../validate.js';
import { FreeLists } from './heap-lists.js';
import type { Journal } from './journal.js';
import { verifyHeap } from './heap-verify.js';

const MAGIC = HEAP_MAGIC_OFFSET >> 2;
const VERSION = HEAP_VERSION_OFFSET >> 2;
const LENGTH = HEAP_LENGTH_OFFSET >> 2;
const CAPACITY = HEAP_CAPACITY_OFFSET >> 2;
/** Growth rounds the heap's end up to this, so a growth commits whole pages. */
const GROW_ROUNDING = 16 * 1024;
const USED = HEAP_USED_OFFSET >> 2;
const FREE = HEAP_FREE_OFFSET >> 2;
const ALLOCATED_BLOCKS = HEAP_ALLOCATED_BLOCKS_OFFSET >> 2;
const FREE_BLOCKS = HEAP_FREE_BLOCKS_OFFSET >> 2;
const PROLOGUE = HEAP_PROLOGUE_OFFSET >> 2;
const SIZE_MASK = ~BLOCK_FLAG_MASK;

/**
 * What lets a heap grow: the memory under it. `committed()` is how many bytes of the buffer
 * are memory now (the heap never reads past it, even if its own header says more: damage
 * must not become SIGBUS); `commit(byteEnd)` makes the bytes below byteEnd memory, or
 * throws (NoSpaceError). Without `commit` the heap stays at its length.
 */
export interface HeapGrowth {
  committed(): number;
  commit?(byteEnd: number): void;
}

/** Sizes and block counts of a SharedHeap (heap.stats(), ns.inspect().heap). */
export interface HeapStats {
  /** Bytes of the block area (the heap minus its header and epilogue): always used + free. */
  readonly size: number;
  /** Bytes of the heap now, header and epilogue included: grows up to capacity. */
  readonly length: number;
  /** The most the heap's length may grow to (= length for a heap that does not grow). */
  readonly capacity: number;
  /** Bytes of allocated blocks, their 12-byte header, tag and footer included. */
  readonly used: number;
  /** Bytes of free blocks. */
  readonly free: number;
  /** Bytes of the largest free block; it takes an allocation of up to largestFree - 12. */
  readonly largestFree: number;
  /** Number of free blocks. */
  readonly freeBlocks: number;
  /** Number of allocated blocks. */
  readonly allocatedBlocks: number;
  /** 1 - largestFree / free: 0 when all free space is one block (or none is free). */
  readonly fragmentation: number;
}

function checkPlacement(what: string, buffer: unknown, byteOffset: unknown, byteLength: unknown): void {
  if (!(buffer instanceof ArrayBuffer) && !(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgTypeError(`${what}: buffer must be an ArrayBuffer or SharedArrayBuffer`);
  }
  const offset = validateInteger(byteOffset, `${what}: byteOffset`, 0, Number.MAX_SAFE_INTEGER);
  if (offset % HEAP_ALIGNMENT !== 0) {
    throw new OutOfRangeError(`${what}: byteOffset must be a multiple of ${HEAP_ALIGNMENT}, got ${offset}`);
  }
  const length = validateInteger(byteLength, `${what}: byteLength`, MIN_HEAP_LENGTH, MAX_HEAP_LENGTH);
  if (length % HEAP_ALIGNMENT !== 0) {
    throw new OutOfRangeError(`${what}: byteLength must be a multiple of ${HEAP_ALIGNMENT}, got ${length}`);
  }
  if (offset + length > buffer.byteLength) {
    throw new OutOfRangeError(`${what}: needs ${length} bytes at offset ${offset}, but the buffer has ${buffer.byteLength}`);
  }
}

/**
 * A TLSF allocator over a byte range of an ArrayBuffer or SharedArrayBuffer, every piece of
 * state in that range: any thread or process that maps it attaches with the same placement.
 * No locking inside: callers hold one lock around every call (a namespace holds its own).
 * Damaged memory is CorruptHeapError; no room, NamespaceFullError.
 */
export class SharedHeap {
  /** Smallest heap, in bytes (4 KiB). */
  static readonly MIN_LENGTH = MIN_HEAP_LENGTH;
  /** Largest heap, in bytes (2^31 - 8): offsets in it are 32-bit words. */
  static readonly MAX_LENGTH = MAX_HEAP_LENGTH;

  /** The largest size allocate() accepts: the whole block area at full capacity, as one allocation. */
  readonly maxAllocation: number;
  /** The heap's bytes as int32 words, over its whole capacity; word i is heap offset 4i. */
  private readonly words: Int32Array;
  /** Heap offset of the epilogue: the end of the block area (re-read at each call: the heap grows). */
  private end: number;
  private readonly lists: FreeLists;
  private readonly journal: Journal | undefined;
  private readonly growth: HeapGrowth | undefined;
  /** Why the last growth failed (NoSpaceError from commit), for allocate() to throw. */
  private growthError: unknown;

  /**
   * Formats [byteOffset, byteOffset + byteLength) as an empty heap: one free block. Only
   * while nobody uses that memory. byteOffset and byteLength must be multiples of 8;
   * byteLength from 4 KiB to 2^31 - 8 (offsets in the heap are 32-bit words). `capacity`
   * (default byteLength) is the most it may grow to: the bytes past byteLength are not
   * touched, and need not be memory yet.
   */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, byteLength: number, capacity = byteLength): void {
    checkPlacement('SharedHeap.initialize', buffer, byteOffset, capacity);
    validateInteger(byteLength, 'SharedHeap.initialize: byteLength', MIN_HEAP_LENGTH, capacity);
    if (byteLength % HEAP_ALIGNMENT !== 0) {
      throw new OutOfRangeError(`SharedHeap.initialize: byteLength must be a multiple of ${HEAP_ALIGNMENT}, got ${byteLength}`);
    }
    const words = new Int32Array(buffer, byteOffset, byteLength >> 2);
    Atomics.store(words, MAGIC, 0); // a heap half-formatted by a dead process has no magic
    words.fill(0, 1, HEAP_HEADER_LENGTH >> 2);
    words[VERSION] = HEAP_VERSION;
    words[LENGTH] = byteLength;
    words[CAPACITY] = capacity;
    words[PROLOGUE] = BLOCK_ALLOCATED;
    const end = byteLength - HEAP_EPILOGUE_LENGTH;
    words[end >> 2] = BLOCK_ALLOCATED;
    words[(end >> 2) + 1] = 0;
    const block = HEAP_FIRST_BLOCK_OFFSET;
    const size = end - block;
    words[block >> 2] = size;
    words[(block + BLOCK_TAG_OFFSET) >> 2] = blockTag(block, size);
    words[(end - 4) >> 2] = size;
    new FreeLists(words, end, (message) => {
      throw new CorruptHeapError(message);
    }).link(block, size);
    words[FREE] = size;
    words[FREE_BLOCKS] = 1;
    Atomics.store(words, MAGIC, HEAP_MAGIC); // SYNC POINT: the heap is ready
  }

  /**
   * Attaches to a heap that initialize() formatted; CorruptHeapError if there is none.
   * `growth`, if given, bounds the heap by the memory under it and (with commit) lets it
   * grow up to byteLength (see HeapGrowth).
   */
  constructor(
    /** The buffer the heap lives in. */
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    /** Where the heap starts in `buffer`, in bytes. */
    readonly byteOffset: number,
    /** Bytes the heap may span: its capacity (its length for a heap that does not grow). */
    readonly byteLength: number,
    journal?: Journal,
    growth?: HeapGrowth,
  ) {
    checkPlacement('SharedHeap', buffer, byteOffset, byteLength);
    const words = new Int32Array(buffer, byteOffset, byteLength >> 2);
    this.words = words;
    this.journal = journal;
    this.growth = growth;
    this.maxAllocation = byteLength - HEAP_OVERHEAD - BLOCK_OVERHEAD;
    if (Atomics.load(words, MAGIC) !== HEAP_MAGIC) {
      this.corrupt('no heap here (bad magic): not initialised, or overwritten');
    }
    if (words[VERSION] !== HEAP_VERSION) this.corrupt(`format version ${words[VERSION]}, expected ${HEAP_VERSION}`);
    if (words[CAPACITY] !== byteLength) {
      this.corrupt(`the header says the heap may grow to ${words[CAPACITY]} bytes, but it was opened with byteLength ${byteLength}`);
    }
    this.end = 0;
    this.lists = new FreeLists(words, 0, (message) => this.corrupt(message), (index, value) => this.put(index, value));
    if (words[PROLOGUE] !== BLOCK_ALLOCATED) this.corrupt('the prologue word was overwritten');
    if (growth === undefined) {
      // A heap that cannot grow spans its capacity: check it all now.
      if (words[LENGTH] !== byteLength) {
        this.corrupt(`the header says the heap has ${words[LENGTH]} bytes, but it was opened with byteLength ${byteLength}`);
      }
      this.refresh();
    }
    // A growable heap's length is read and checked whole at each call, under the caller's
    // lock: without it, another process may be growing the heap right now (and zeroing the
    // old epilogue as it merges). Here only what one word can tell: its range.
    else this.checkLength(words[LENGTH]!);
    // The counters are not checked here: another process may be half-way through an
    // operation (under the lock we do not hold); verify() checks them under the lock.
  }

  /** Bytes of the block area now: stats().size, used + free. Grows with the heap. */
  get size(): number {
    return this.words[LENGTH]! - HEAP_OVERHEAD; // one word: safe without the lock, unchecked
  }

  /**
   * The end (a buffer offset) of the memory under the heap that may be read now: readers
   * without the lock bound every offset they follow by it, so a torn read never reaches the
   * reserve past the committed memory (SIGBUS). It only grows; safe without the lock.
   */
  readableEnd(): number {
    return this.growth === undefined ? this.byteOffset + this.byteLength : Math.min(this.buffer.byteLength, this.growth.committed());
  }

  /**
   * Re-reads the length (another process may have grown the heap, or a rollback shrunk it
   * back): the first thing every call does, under the caller's lock.
   */
  private refresh(): void {
    const length = this.words[LENGTH]!;
    if (length === this.end + HEAP_EPILOGUE_LENGTH) return;
    this.checkLength(length);
    this.end = length - HEAP_EPILOGUE_LENGTH;
    this.lists.end = this.end;
    if (this.words[this.end >> 2] !== BLOCK_ALLOCATED) this.corrupt('the epilogue word was overwritten');
  }

  /** A length the header may hold: aligned, within the capacity and the memory committed. */
  private checkLength(length: number): void {
    if (length < MIN_HEAP_LENGTH || length > this.byteLength || length % HEAP_ALIGNMENT !== 0) {
      this.corrupt(`the header says the heap has ${length} bytes, but it may span at most ${this.byteLength}`);
    }
    const committed = this.growth?.committed();
    if (committed !== undefined && this.byteOffset + length > committed) {
      this.corrupt(`the header says the heap has ${length} bytes, past the ${committed - this.byteOffset} committed under it`);
    }
  }

  /**
   * Allocates at least `size` bytes and returns the offset of the first, in the buffer,
   * 8-byte aligned. The bytes are not zeroed. NamespaceFullError when no free block is large
   * enough and the heap cannot grow; NoSpaceError when it could grow but the OS has no memory
   * for it (a full /dev/shm); OutOfRangeError for a size that is not an integer from 1 to
   * maxAllocation.
   */
  allocate(size: number): number {
    if (Number.isInteger(size) && size > this.maxAllocation) {
      // What the user did, not what the allocator is: a value, object or message bigger than
      // this namespace could ever hold.
      throw new NamespaceFullError(
        `${size} bytes do not fit in this namespace at all: its heap holds at most ${this.maxAllocation} bytes in one piece ` +
          `(open the namespace with a larger size, or store less)`,
      );
    }
    const offset = this.place(size, 'SharedHeap.allocate');
    if (offset < 0) {
      if (this.growthError !== undefined) {
        const error = this.growthError;
        this.growthError = undefined;
        throw error;
      }
      const largest = this.lists.largest();
      throw new NamespaceFullError(
        `the heap has no room for ${size} bytes (a block of ${heapBlockSize(size)} with its tags): ` +
          `${this.word(FREE)} of ${this.size} bytes are free in ${this.word(FREE_BLOCKS)} blocks, ` +
          `the largest free block has ${largest} bytes (room for ${Math.max(0, largest - BLOCK_OVERHEAD)})`,
      );
    }
    return offset;
  }

  /** Like allocate(), but returns -1 when the heap has no room (and cannot grow, or the OS refused). */
  tryAllocate(size: number): number {
    const offset = this.place(size, 'SharedHeap.tryAllocate');
    this.growthError = undefined;
    return offset;
  }

  /** Finds, splits and takes a block: the work of allocate() and tryAllocate(). */
  private place(size: number, what: string): number {
    validateInteger(size, `${what}: size`, 1, this.maxAllocation);
    this.refresh();
    const need = heapBlockSize(size);
    let block = this.lists.find(need);
    if (block === 0) {
      if (!this.growFor(need)) return -1;
      block = this.lists.find(need);
      if (block === 0) return -1;
    }
    const blockSize = this.word(block >> 2) & SIZE_MASK;
    // 1. off its list, 2. the remainder (if worth a block) tagged and listed, 3. the
    // allocated block tagged, 4. counters.
    this.lists.unlink(block, blockSize);
    // The block's own list links lie in what becomes the caller's payload, which the caller
    // then overwrites without a journal. Rewriting them here puts their old values in the
    // journal, so undoing this allocation relinks the block intact.
    this.put((block + BLOCK_NEXT_FREE_OFFSET) >> 2, 0);
    this.put((block + BLOCK_PREV_FREE_OFFSET) >> 2, 0);
    const rest = blockSize - need;
    const taken = rest >= MIN_BLOCK_SIZE ? need : blockSize;
    if (taken !== blockSize) {
      this.writeTags(block + taken, rest, 0);
      this.lists.link(block + taken, rest);
    }
    this.writeTags(block, taken, BLOCK_ALLOCATED);
    this.put(USED, this.word(USED) + taken);
    this.put(FREE, this.word(FREE) - taken);
    this.put(ALLOCATED_BLOCKS, this.word(ALLOCATED_BLOCKS) + 1);
    if (taken === blockSize) this.put(FREE_BLOCKS, this.word(FREE_BLOCKS) - 1);
    return this.byteOffset + block + BLOCK_PAYLOAD_OFFSET;
  }

  /**
   * Grows the heap so that a block of `need` bytes fits: by at least an eighth of its length
   * (HEAP_GROW_MIN at least), rounded so its end falls on a 16 KiB boundary, up to its capacity.
   * The memory is committed first (commit: a NoSpaceError is kept for allocate() to throw,
   * and nothing changed), then the new space is added, every word through put() so a
   * rollback undoes it: the old epilogue becomes a free block, merged with the last block if
   * that one is free, and a new epilogue closes the heap. Counters last, as everywhere.
   */
  private growFor(need: number): boolean {
    const commit = this.growth?.commit;
    if (commit === undefined) return false;
    const end = this.end;
    const length = end + HEAP_EPILOGUE_LENGTH;
    const lastFooter = this.word((end >> 2) - 1);
    const lastSize = (lastFooter & BLOCK_ALLOCATED) === 0 ? lastFooter : 0; // the prologue reads as allocated
    const step = Math.max(need - lastSize, length >> 3, HEAP_GROW_MIN);
    const byteEnd = Math.ceil((this.byteOffset + length + step) / GROW_ROUNDING) * GROW_ROUNDING;
    const newLength = Math.min(this.byteLength, byteEnd - this.byteOffset);
    const added = newLength - length;
    if (added <= 0 || lastSize + added < need) return false; // even the whole capacity is too small
    try {
      commit.call(this.growth, this.byteOffset + newLength);
    } catch (error) {
      this.growthError = error;
      return false;
    }
    const newEnd = newLength - HEAP_EPILOGUE_LENGTH;
    // 1. the closing epilogue first, so the heap is closed at either end while it grows
    this.put(newEnd >> 2, BLOCK_ALLOCATED);
    this.put((newEnd >> 2) + 1, 0);
    // 2. the last block off its list if it merges; its footer and the old epilogue (now
    //    inside the merged block) erased
    let block = end;
    if (lastSize !== 0) {
      block = end - lastSize;
      this.checkFreeNeighbour(block, lastSize, 'last');
      this.lists.unlink(block, lastSize);
      this.put((end >> 2) - 1, 0);
      this.put(end >> 2, 0);
    }
    // 3. the new free block tagged over the old epilogue, and listed; 4. length and counters
    this.put(LENGTH, newLength);
    this.end = newEnd;
    this.lists.end = newEnd;
    this.writeTags(block, lastSize + added, 0);
    this.lists.link(block, lastSize + added);
    this.put(FREE, this.word(FREE) + added);
    if (lastSize === 0) this.put(FREE_BLOCKS, this.word(FREE_BLOCKS) + 1);
    return true;
  }

  /**
   * Frees an allocation and merges it with free neighbours on both sides. An offset that is
   * not a live allocation (freed already, never returned by allocate, misaligned, outside the
   * heap) is a CorruptHeapError and changes nothing.
   */
  free(offset: number): void {
    this.refresh();
    const block = this.liveBlock(offset, 'SharedHeap.free');
    const size = this.word(block >> 2) & SIZE_MASK;
    // The prologue and epilogue read as allocated, so the ends of the heap need no test.
    const leftFooter = this.word((block >> 2) - 1);
    const leftSize = (leftFooter & BLOCK_ALLOCATED) === 0 ? leftFooter : 0;
    const left = block - leftSize;
    if ((leftFooter & BLOCK_ALLOCATED) === 0) this.checkFreeNeighbour(left, leftSize, 'left');
    const right = block + size;
    const rightHeader = this.word(right >> 2);
    const rightSize = (rightHeader & BLOCK_ALLOCATED) === 0 ? rightHeader : 0;
    if ((rightHeader & BLOCK_ALLOCATED) === 0) this.checkFreeNeighbour(right, rightSize, 'right');

    // 1. neighbours off their lists
    if (leftSize !== 0) this.lists.unlink(left, leftSize);
    if (rightSize !== 0) this.lists.unlink(right, rightSize);
    // 2. boundary tags that end up inside the merged block are erased, so a stale offset
    //    into it can never pass for a block (a second free of `offset` fails, see liveBlock)
    if (leftSize !== 0) {
      this.put((block >> 2) - 1, 0);
      this.put(block >> 2, 0);
      this.put((block + BLOCK_TAG_OFFSET) >> 2, 0);
    }
    if (rightSize !== 0) {
      this.put((right >> 2) - 1, 0);
      this.put(right >> 2, 0);
      this.put((right + BLOCK_TAG_OFFSET) >> 2, 0);
    }
    // 3. the merged block tagged free and listed, 4. counters
    const merged = leftSize + size + rightSize;
    this.writeTags(left, merged, 0);
    this.lists.link(left, merged);
    this.put(USED, this.word(USED) - size);
    this.put(FREE, this.word(FREE) + size);
    this.put(ALLOCATED_BLOCKS, this.word(ALLOCATED_BLOCKS) - 1);
    this.put(FREE_BLOCKS, this.word(FREE_BLOCKS) + 1 - (leftSize !== 0 ? 1 : 0) - (rightSize !== 0 ? 1 : 0));
  }

  /** Usable bytes of a live allocation (at least what was asked); CorruptHeapError like free(). */
  sizeOf(offset: number): number {
    this.refresh();
    const block = this.liveBlock(offset, 'SharedHeap.sizeOf');
    return (this.word(block >> 2) & SIZE_MASK) - BLOCK_OVERHEAD;
  }

  /** Sizes and block counts; under the caller's lock like every call. CorruptHeapError if the free lists are damaged. */
  stats(): HeapStats {
    this.refresh();
    const free = this.word(FREE);
    const largestFree = this.lists.largest();
    return {
      size: this.end - HEAP_FIRST_BLOCK_OFFSET,
      length: this.end + HEAP_EPILOGUE_LENGTH,
      capacity: this.byteLength,
      used: this.word(USED),
      free,
      largestFree,
      freeBlocks: this.word(FREE_BLOCKS),
      allocatedBlocks: this.word(ALLOCATED_BLOCKS),
      fragmentation: free === 0 ? 0 : 1 - largestFree / free,
    };
  }

  /**
   * Walks every block and every free list; CorruptHeapError describing the first
   * inconsistency found. O(blocks + lists): for tests, `inspect()` and after a recovery.
   */
  verify(): void {
    this.refresh();
    verifyHeap(this.words.subarray(0, (this.end + HEAP_EPILOGUE_LENGTH) >> 2), this.byteOffset, this.byteLength);
  }

  private word(index: number): number {
    return this.words[index]!;
  }

  /** Every write of a heap operation goes through here, so a journal can undo it. */
  private put(index: number, value: number): void {
    if (this.journal) this.journal.write(this.words, index, value);
    else this.words[index] = value;
  }

  private corrupt(message: string): never {
    throw new CorruptHeapError(`heap at offset ${this.byteOffset}: ${message}`);
  }

  /** Header, tag, then footer of the block at heap offset `block`. */
  private writeTags(block: number, size: number, allocated: number): void {
    const header = size | allocated;
    this.put(block >> 2, header);
    this.put((block + BLOCK_TAG_OFFSET) >> 2, blockTag(block, header));
    this.put(((block + size) >> 2) - 1, header);
  }

  private checkFreeNeighbour(block: number, size: number, side: string): void {
    if (
      (size & BLOCK_FLAG_MASK) !== 0 ||
      size < MIN_BLOCK_SIZE ||
      block < HEAP_FIRST_BLOCK_OFFSET ||
      block + size > this.end ||
      this.word(block >> 2) !== size ||
      this.word((block + BLOCK_TAG_OFFSET) >> 2) !== blockTag(block, size) ||
      this.word(((block + size) >> 2) - 1) !== size
    ) {
      this.corrupt(`the free block ${side} of the one being freed has damaged tags (heap offset ${block}, ${size} bytes)`);
    }
  }

  /** The heap offset of the block whose payload starts at buffer offset `offset`, if live. */
  private liveBlock(offset: number, what: string): number {
    if (typeof offset !== 'number') {
      throw new InvalidArgTypeError(`${what}: offset must be a number, got ${typeof offset}`);
    }
    const block = offset - this.byteOffset - BLOCK_PAYLOAD_OFFSET;
    const first = this.byteOffset + HEAP_FIRST_BLOCK_OFFSET + BLOCK_PAYLOAD_OFFSET;
    if (!Number.isInteger(offset) || block < HEAP_FIRST_BLOCK_OFFSET || block > this.end - MIN_BLOCK_SIZE) {
      throw new CorruptHeapError(
        `${what}: ${offset} is not an offset of this heap's allocations (they lie in [${first}, ${this.byteOffset + this.end - BLOCK_OVERHEAD}))`,
      );
    }
    if (block % HEAP_ALIGNMENT !== 0) {
      throw new CorruptHeapError(`${what}: offset ${offset} is not 8-byte aligned, so no allocation starts there`);
    }
    const header = this.word(block >> 2);
    const size = header & SIZE_MASK;
    const isBlock =
      (header & (BLOCK_FLAG_MASK & ~BLOCK_ALLOCATED)) === 0 &&
      size >= MIN_BLOCK_SIZE &&
      block + size <= this.end &&
      this.word((block + BLOCK_TAG_OFFSET) >> 2) === blockTag(block, header) &&
      this.word(((block + size) >> 2) - 1) === header;
    if (!isBlock) {
      throw new CorruptHeapError(
        `${what}: no allocation starts at offset ${offset} (never allocated, freed already and merged, or damaged memory)`,
      );
    }
    if ((header & BLOCK_ALLOCATED) === 0) {
      throw new CorruptHeapError(`${what}: the allocation at offset ${offset} was already freed (double free)`);
    }
    return block;
  }
}
