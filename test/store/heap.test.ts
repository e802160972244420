import { describe, expect, it } from 'vitest';
import {
  CorruptHeapError,
  InvalidArgTypeError,
  NamespaceFullError,
  OutOfRangeError,
  ShmkitError,
} from '../../src/errors.js';
import * as layout from '../../src/layout/heap.js';
import { SharedHeap } from '../../src/store/heap.js';
import { seededRandom } from '../helpers/random.js';

const random = seededRandom;

function freshHeap(byteLength = 64 * 1024): SharedHeap {
  const buffer = new SharedArrayBuffer(byteLength);
  SharedHeap.initialize(buffer, 0, byteLength);
  return new SharedHeap(buffer, 0, byteLength);
}

describe('shared heap layout', () => {
  // Pins the layout to the diagram in src/layout/heap.ts: a change here is a format change.
  it('matches the diagram', () => {
    expect(layout.HEAP_MAGIC_OFFSET).toBe(0);
    expect(layout.HEAP_VERSION_OFFSET).toBe(4);
    expect(layout.HEAP_LENGTH_OFFSET).toBe(8);
    expect(layout.HEAP_USED_OFFSET).toBe(12);
    expect(layout.HEAP_FREE_OFFSET).toBe(16);
    expect(layout.HEAP_ALLOCATED_BLOCKS_OFFSET).toBe(20);
    expect(layout.HEAP_FREE_BLOCKS_OFFSET).toBe(24);
    expect(layout.HEAP_FL_BITMAP_OFFSET).toBe(28);
    expect(layout.HEAP_SL_BITMAPS_OFFSET).toBe(32);
    expect(layout.HEAP_FL_COUNT).toBe(25);
    expect(layout.HEAP_SL_COUNT).toBe(16);
    expect(layout.HEAP_CAPACITY_OFFSET).toBe(132);
    expect(layout.HEAP_LIST_HEADS_OFFSET).toBe(136);
    expect(layout.HEAP_PROLOGUE_OFFSET).toBe(1740);
    expect(layout.HEAP_HEADER_LENGTH).toBe(1744);
    expect(layout.HEAP_OVERHEAD).toBe(1752);
    expect(layout.BLOCK_TAG_OFFSET).toBe(4);
    expect(layout.BLOCK_PAYLOAD_OFFSET).toBe(8);
    expect(layout.BLOCK_NEXT_FREE_OFFSET).toBe(8);
    expect(layout.BLOCK_PREV_FREE_OFFSET).toBe(12);
    expect(layout.BLOCK_OVERHEAD).toBe(12);
    expect(layout.MIN_BLOCK_SIZE).toBe(24);
    expect(layout.MAX_HEAP_LENGTH).toBeLessThan(2 ** 31);
  });

  it('size classes: one exact size per small list, 16 columns per power of two', () => {
    expect(layout.freeListIndex(24)).toBe(3);
    expect(layout.freeListIndex(120)).toBe(15);
    expect(layout.freeListIndex(128)).toBe(16);
    expect(layout.freeListIndex(136)).toBe(17);
    expect(layout.freeListIndex(255)).toBe(31);
    expect(layout.freeListIndex(256)).toBe(32);
    expect(layout.freeListIndex(2 ** 31 - 8)).toBe(layout.HEAP_LIST_COUNT - 1);
    // Classes are contiguous and ordered: walking the sizes up, the list index steps by 0 or 1.
    let previous = layout.freeListIndex(24);
    let jumps = 0;
    for (let size = 32; size < 1 << 22; size += 8) {
      const index = layout.freeListIndex(size);
      if (index !== previous && index !== previous + 1) jumps++;
      previous = index;
    }
    expect(jumps).toBe(0);
    expect(layout.heapBlockSize(1)).toBe(24);
    expect(layout.heapBlockSize(12)).toBe(24);
    expect(layout.heapBlockSize(13)).toBe(32);
  });
});

describe('SharedHeap', () => {
  it('a fresh heap is one free block covering the block area', () => {
    const heap = freshHeap();
    heap.verify();
    expect(heap.stats()).toEqual({
      size: 64 * 1024 - layout.HEAP_OVERHEAD,
      length: 64 * 1024,
      capacity: 64 * 1024,
      used: 0,
      free: 64 * 1024 - layout.HEAP_OVERHEAD,
      largestFree: 64 * 1024 - layout.HEAP_OVERHEAD,
      freeBlocks: 1,
      allocatedBlocks: 0,
      fragmentation: 0,
    });
    expect(heap.maxAllocation).toBe(heap.size - layout.BLOCK_OVERHEAD);
  });

  it('allocations are 8-aligned, inside the heap, at least as large as asked, and hold data', () => {
    const heap = freshHeap();
    const bytes = new Uint8Array(heap.buffer);
    const offsets: number[] = [];
    for (const size of [1, 7, 8, 12, 13, 100, 1000, 4096]) {
      const offset = heap.allocate(size);
      expect(offset % 8).toBe(0);
      expect(heap.sizeOf(offset)).toBeGreaterThanOrEqual(size);
      expect(offset + heap.sizeOf(offset)).toBeLessThanOrEqual(heap.byteLength - layout.HEAP_EPILOGUE_LENGTH);
      bytes.fill(size & 0xff, offset, offset + heap.sizeOf(offset));
      offsets.push(offset);
      heap.verify();
    }
    for (const offset of offsets) expect(bytes[offset]).toBe(bytes[offset + heap.sizeOf(offset) - 1]);
    expect(heap.stats().allocatedBlocks).toBe(8);
  });

  it('free() merges with the free neighbour on either side and on both sides', () => {
    const heap = freshHeap();
    const [a, b, c, d] = [heap.allocate(100), heap.allocate(100), heap.allocate(100), heap.allocate(100)];
    expect(heap.stats().freeBlocks).toBe(1); // the tail
    heap.free(b!);
    expect(heap.stats().freeBlocks).toBe(2); // b alone: a and c are allocated
    heap.free(a!); // merges right, into b
    expect(heap.stats().freeBlocks).toBe(2);
    heap.verify();
    heap.free(c!); // merges left (a+b) and d is still allocated
    expect(heap.stats().freeBlocks).toBe(2);
    heap.free(d!); // merges both sides: (a+b+c) and the tail
    heap.verify();
    expect(heap.stats()).toMatchObject({ freeBlocks: 1, allocatedBlocks: 0, used: 0, free: heap.size, fragmentation: 0 });
  });

  it('reuses a freed block of the right size, and splits only when the rest is a whole block', () => {
    const heap = freshHeap();
    const a = heap.allocate(200);
    heap.allocate(8); // a fence, so freeing `a` leaves a hole
    heap.free(a);
    expect(heap.allocate(200)).toBe(a);
    heap.free(a);
    const small = heap.allocate(190); // 200 + 12 rounds to 216, 190 + 12 to 208: 8 left, no split
    expect(small).toBe(a);
    expect(heap.sizeOf(small)).toBe(204);
    heap.verify();
  });

  it('bad sizes are typed errors and change nothing', () => {
    const heap = freshHeap();
    const before = heap.stats();
    expect(() => heap.allocate(0)).toThrow(OutOfRangeError);
    expect(() => heap.allocate(-8)).toThrow(OutOfRangeError);
    expect(() => heap.allocate(1.5)).toThrow(OutOfRangeError);
    expect(() => heap.allocate(Number.NaN)).toThrow(OutOfRangeError);
    expect(() => heap.allocate(heap.maxAllocation + 1)).toThrow(/do not fit in this namespace at all/); // NamespaceFullError
    expect(() => heap.tryAllocate(10 ** 12)).toThrow(OutOfRangeError);
    expect(() => heap.allocate('8' as unknown as number)).toThrow(InvalidArgTypeError);
    expect(heap.stats()).toEqual(before);
    heap.verify();
  });

  it('free() and sizeOf() of anything but a live allocation are CorruptHeapError and change nothing', () => {
    const heap = freshHeap();
    const a = heap.allocate(64);
    const b = heap.allocate(64);
    heap.allocate(64);
    const before = heap.stats();
    for (const bad of [a + 8, a + 4, a - 8, 0, -8, heap.byteLength, 10 ** 9, a + 0.5, Number.NaN, b + heap.sizeOf(b) + 64]) {
      expect(() => heap.free(bad)).toThrow(CorruptHeapError);
      expect(() => heap.sizeOf(bad)).toThrow(CorruptHeapError);
    }
    expect(() => heap.free('1' as unknown as number)).toThrow(InvalidArgTypeError);
    expect(heap.stats()).toEqual(before);
    heap.verify();

    heap.free(b); // neighbours allocated: b stays a block of its own
    expect(() => heap.free(b)).toThrow(/double free/);
    heap.free(a); // merges with b: b's tags are erased
    expect(() => heap.free(b)).toThrow(/no allocation starts at offset/);
    expect(() => heap.free(a)).toThrow(/double free/);
    expect(() => heap.sizeOf(a)).toThrow(CorruptHeapError);
    heap.verify();
  });

  it('exhaustion: NamespaceFullError says what was asked and what is free; the heap stays valid', () => {
    const heap = freshHeap(8192);
    const offsets: number[] = [];
    for (;;) {
      const offset = heap.tryAllocate(500);
      if (offset < 0) break;
      offsets.push(offset);
    }
    expect(offsets.length).toBeGreaterThan(5);
    const { free, largestFree } = heap.stats();
    expect(largestFree).toBeLessThan(layout.heapBlockSize(500));
    let error: unknown;
    try {
      heap.allocate(500);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NamespaceFullError);
    expect(error).toBeInstanceOf(ShmkitError);
    expect((error as NamespaceFullError).code).toBe('ERR_SHMKIT_NAMESPACE_FULL');
    expect((error as Error).message).toContain('500 bytes');
    expect((error as Error).message).toContain(`${free} of ${heap.size} bytes are free`);
    expect((error as Error).message).toContain(`largest free block has ${largestFree} bytes`);
    heap.verify();
    // Fragmentation: free every other block; 1000 bytes fit nowhere though more are free.
    for (let i = 0; i < offsets.length; i += 2) heap.free(offsets[i]!);
    expect(heap.stats().free).toBeGreaterThan(1000);
    expect(() => heap.allocate(1000)).toThrow(NamespaceFullError);
    expect(heap.stats().fragmentation).toBeGreaterThan(0.5);
    heap.verify();
  });

  it('the whole block area can be one allocation', () => {
    const heap = freshHeap(4096);
    const offset = heap.allocate(heap.maxAllocation);
    expect(heap.stats()).toMatchObject({ used: heap.size, free: 0, largestFree: 0, fragmentation: 0 });
    expect(heap.tryAllocate(1)).toBe(-1);
    heap.free(offset);
    expect(heap.stats().free).toBe(heap.size);
    heap.verify();
  });

  it('a second SharedHeap over the same memory sees and edits the same heap', () => {
    const buffer = new SharedArrayBuffer(32 * 1024);
    SharedHeap.initialize(buffer, 0, buffer.byteLength);
    const one = new SharedHeap(buffer, 0, buffer.byteLength);
    const a = one.allocate(300);
    const two = new SharedHeap(buffer, 0, buffer.byteLength);
    expect(two.stats()).toEqual(one.stats());
    expect(two.sizeOf(a)).toBe(one.sizeOf(a));
    const b = two.allocate(300);
    expect(b).not.toBe(a);
    two.free(a);
    expect(() => one.free(a)).toThrow(CorruptHeapError);
    one.free(b);
    expect(one.stats().freeBlocks).toBe(1);
    two.verify();
  });

  it('initialize and the constructor check their arguments and the memory', () => {
    const buffer = new SharedArrayBuffer(16 * 1024);
    expect(() => SharedHeap.initialize({} as ArrayBuffer, 0, 4096)).toThrow(InvalidArgTypeError);
    expect(() => SharedHeap.initialize(buffer, 4, 4096)).toThrow(OutOfRangeError);
    expect(() => SharedHeap.initialize(buffer, 0, 4100)).toThrow(OutOfRangeError);
    expect(() => SharedHeap.initialize(buffer, 0, 2048)).toThrow(OutOfRangeError);
    expect(() => SharedHeap.initialize(buffer, 0, 2 ** 31)).toThrow(OutOfRangeError);
    expect(() => SharedHeap.initialize(buffer, 8192, 16 * 1024)).toThrow(/the buffer has/);
    expect(() => new SharedHeap(buffer, 0, 8192)).toThrow(CorruptHeapError); // never initialised
    SharedHeap.initialize(buffer, 0, 8192);
    expect(() => new SharedHeap(buffer, 0, 16 * 1024)).toThrow(/opened with byteLength/);
    expect(() => new SharedHeap(buffer, 0, 8192)).not.toThrow();
    const error = new CorruptHeapError('x');
    expect(error).toBeInstanceOf(ShmkitError);
    expect(error.code).toBe('ERR_SHMKIT_CORRUPT_HEAP');
  });

  it('works on a plain ArrayBuffer too', () => {
    const buffer = new ArrayBuffer(8192);
    SharedHeap.initialize(buffer, 0, 8192);
    const heap = new SharedHeap(buffer, 0, 8192);
    heap.free(heap.allocate(10));
    heap.verify();
  });

  it('verify() reports damage: a footer, a list link, a counter, a missed merge', () => {
    const damage: Array<[RegExp, (words: Int32Array, heap: SharedHeap, offsets: number[]) => void]> = [
      [/footer/, (words, heap, [a]) => void (words[(a! + heap.sizeOf(a!)) >> 2] = 8)],
      [/previous link/, (words, _heap, [a, b]) => void (words[(b! + 4) >> 2] = a! - 8)],
      [/not a free block/, (words, _heap, [a, b]) => void (words[b! >> 2] = a! - 8)],
      [/used counter/, (words) => void (words[layout.HEAP_USED_OFFSET >> 2]! += 8)],
      [/first-level bitmap/, (words) => void (words[layout.HEAP_FL_BITMAP_OFFSET >> 2] = 0)],
      [/wrong tag/, (words, _heap, [a]) => void (words[(a! - 4) >> 2] = 12345)],
      [/epilogue/, (words) => void (words[words.length - 2] = 0)],
    ];
    for (const [expected, hurt] of damage) {
      const heap = freshHeap(8192);
      const offsets = [heap.allocate(40), heap.allocate(40), heap.allocate(40)];
      heap.free(offsets[1]!); // a free block with list links, between two allocated ones
      heap.verify();
      hurt(new Int32Array(heap.buffer), heap, offsets);
      expect(() => heap.verify()).toThrow(expected);
    }
    // Two adjacent free blocks: mark an allocated block free by hand (tags and all).
    const heap = freshHeap(8192);
    const [a, b] = [heap.allocate(40), heap.allocate(40)];
    heap.free(a);
    const words = new Int32Array(heap.buffer);
    const block = b - 8;
    const size = heap.sizeOf(b) + layout.BLOCK_OVERHEAD;
    words[block >> 2] = size;
    words[(block + 4) >> 2] = layout.blockTag(block, size);
    words[(block + size - 4) >> 2] = size;
    expect(() => heap.verify()).toThrow(/adjacent/);
  });
});

describe('SharedHeap property test', () => {
  it('20,000 seeded random allocate/free: no overlap, no damage, verify() after each, full merge at the end', () => {
    const next = random(Number(process.env.SHMKIT_HEAP_SEED ?? 20261205));
    const GUARD = 64;
    const LENGTH = 192 * 1024;
    const buffer = new SharedArrayBuffer(GUARD + LENGTH + GUARD);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0xa5);
    SharedHeap.initialize(buffer, GUARD, LENGTH);
    const heap = new SharedHeap(buffer, GUARD, LENGTH);
    const initialFree = heap.stats().free;
    const live: Array<{ offset: number; length: number; pattern: number }> = [];
    let allocations = 0;
    let failures = 0;

    const checkPattern = (item: { offset: number; length: number; pattern: number }): void => {
      for (let i = item.offset; i < item.offset + item.length; i++) {
        if (bytes[i] !== item.pattern) throw new Error(`byte ${i} of the allocation at ${item.offset} was changed`);
      }
    };

    for (let op = 0; op < 20_000; op++) {
      const growing = Math.floor(op / 2_000) % 2 === 0; // phases: fill up, then drain
      const allocate = live.length === 0 || next() % 100 < (growing ? 70 : 30);
      if (allocate) {
        const size = 1 + (next() % 8 === 0 ? next() % 4096 : next() % 256);
        const offset = heap.tryAllocate(size);
        if (offset < 0) {
          failures++;
          // Full means full: no free block could have taken it.
          expect(heap.stats().largestFree).toBeLessThan(layout.heapBlockSize(size));
        } else {
          allocations++;
          const length = heap.sizeOf(offset);
          expect(offset % 8).toBe(0);
          expect(length).toBeGreaterThanOrEqual(size);
          expect(offset).toBeGreaterThanOrEqual(GUARD + layout.HEAP_HEADER_LENGTH);
          expect(offset + length).toBeLessThanOrEqual(GUARD + LENGTH - layout.HEAP_EPILOGUE_LENGTH);
          for (const other of live) {
            if (offset < other.offset + other.length && other.offset < offset + length) {
              throw new Error(`[${offset}, ${offset + length}) overlaps [${other.offset}, ${other.offset + other.length})`);
            }
          }
          const item = { offset, length, pattern: (op % 251) + 1 };
          bytes.fill(item.pattern, offset, offset + length); // the whole usable size is ours
          live.push(item);
        }
      } else {
        const index = next() % live.length;
        const item = live[index]!;
        checkPattern(item);
        live[index] = live[live.length - 1]!;
        live.pop();
        heap.free(item.offset);
      }
      heap.verify();
    }
    expect(allocations).toBeGreaterThan(5_000);
    expect(failures).toBeGreaterThan(0); // the fill-up phases did reach a full heap

    for (const item of live) checkPattern(item);
    for (const item of live.splice(0)) heap.free(item.offset);
    heap.verify();
    expect(heap.stats()).toMatchObject({ freeBlocks: 1, allocatedBlocks: 0, used: 0, free: initialFree, largestFree: initialFree });
    for (let i = 0; i < GUARD; i++) {
      expect(bytes[i]).toBe(0xa5);
      expect(bytes[GUARD + LENGTH + i]).toBe(0xa5);
    }
  });
});
