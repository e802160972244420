/**
 * SharedHeap growth (issue 13) on a SharedArrayBuffer: the heap starts small in a larger
 * capacity, asks for memory before it touches it, grows in place, never touches a byte past
 * what was committed, and a growth is undone whole by the journal.
 */
import { describe, expect, it } from 'vitest';
import { NamespaceFullError, NoSpaceError } from '../../src/errors.js';
import * as layout from '../../src/layout/heap.js';
import { SharedHeap, type HeapGrowth } from '../../src/store/heap.js';
import { Journal } from '../../src/store/journal.js';
import { seededRandom } from '../helpers/random.js';

const CANARY = 0xa5;

/** A heap at `heapOffset` of a SAB, committed like a section: a prefix that only grows. */
function growingHeap(options: { initial: number; capacity: number; heapOffset?: number; journal?: boolean; refuseAt?: number }) {
  const heapOffset = options.heapOffset ?? 0;
  const journalBytes = options.journal ? Journal.byteLength(8192) : 0;
  const buffer = new SharedArrayBuffer(journalBytes + heapOffset + options.capacity);
  const bytes = new Uint8Array(buffer);
  const start = journalBytes + heapOffset;
  const journal = options.journal ? new Journal(buffer, 0, 8192, () => { throw new Error('journal full'); }) : undefined;
  let committed = start + options.initial;
  bytes.fill(CANARY, committed); // what the heap must never touch before committing it
  const commits: number[] = [];
  const growth: HeapGrowth = {
    committed: () => committed,
    commit(byteEnd) {
      if (options.refuseAt !== undefined && byteEnd > options.refuseAt) throw new NoSpaceError('test: no space');
      commits.push(byteEnd);
      committed = Math.max(committed, byteEnd);
    },
  };
  SharedHeap.initialize(buffer, start, options.initial, options.capacity);
  const heap = new SharedHeap(buffer, start, options.capacity, journal, growth);
  const untouched = () => bytes.subarray(committed).every((b) => b === CANARY);
  return { heap, buffer, bytes, journal, commits, untouched, committed: () => committed };
}

describe('SharedHeap growth', () => {
  it('starts at its initial length and grows in place to its capacity, committing before touching', () => {
    const { heap, commits, untouched, committed } = growingHeap({ initial: 16 * 1024, capacity: 4 << 20 });
    expect(heap.stats()).toMatchObject({ length: 16 * 1024, capacity: 4 << 20, freeBlocks: 1 });
    const offsets: number[] = [];
    for (let i = 0; i < 3000; i++) {
      offsets.push(heap.allocate(1000));
      if (i % 300 === 0) {
        heap.verify();
        expect(untouched()).toBe(true);
      }
    }
    heap.verify();
    expect(untouched()).toBe(true);
    const stats = heap.stats();
    expect(stats.length).toBeGreaterThan(3000 * 1000);
    expect(stats.length).toBeLessThanOrEqual(committed());
    // Geometric growth: tens of commits, not thousands; each one larger than the last.
    expect(commits.length).toBeGreaterThan(5);
    expect(commits.length).toBeLessThan(60);
    for (let i = 1; i < commits.length; i++) expect(commits[i]!).toBeGreaterThan(commits[i - 1]!);
    for (const offset of offsets) heap.free(offset);
    heap.verify();
    expect(heap.stats()).toMatchObject({ used: 0, freeBlocks: 1, largestFree: heap.stats().size });
  });

  it('merges the new space with a free last block: one free block, not two', () => {
    const { heap } = growingHeap({ initial: 16 * 1024, capacity: 1 << 20 });
    const small = heap.allocate(100);
    const before = heap.stats();
    expect(before.freeBlocks).toBe(1);
    const big = heap.allocate(before.largestFree); // cannot fit: the heap grows
    heap.verify();
    expect(heap.stats().length).toBeGreaterThan(before.length);
    heap.free(big);
    heap.free(small);
    heap.verify();
    expect(heap.stats().freeBlocks).toBe(1);
  });

  it('a heap at its capacity is NamespaceFullError; an allocation larger than the capacity says so', () => {
    const { heap, untouched } = growingHeap({ initial: 16 * 1024, capacity: 256 * 1024 });
    expect(() => {
      for (;;) heap.allocate(4000);
    }).toThrow(NamespaceFullError);
    heap.verify();
    expect(heap.stats().length).toBe(256 * 1024);
    expect(untouched()).toBe(true);
    expect(() => heap.allocate(heap.maxAllocation + 1)).toThrow(/do not fit in this namespace at all/);
  });

  it('memory the OS refuses is NoSpaceError from allocate(), -1 from tryAllocate(), and changes nothing', () => {
    const { heap, untouched } = growingHeap({ initial: 16 * 1024, capacity: 1 << 20, refuseAt: 64 * 1024 });
    const kept: number[] = [];
    let error: unknown;
    try {
      for (;;) kept.push(heap.allocate(2000));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NoSpaceError);
    const stats = heap.stats();
    heap.verify();
    expect(heap.tryAllocate(2000)).toBe(-1);
    expect(heap.stats()).toEqual(stats);
    expect(untouched()).toBe(true);
    // Freeing makes room again without growing.
    heap.free(kept.pop()!);
    expect(heap.allocate(2000)).toBeGreaterThan(0);
    heap.verify();
  });

  it('a growth inside a write that is undone is undone whole; the committed memory is reused', () => {
    const { heap, journal, commits } = growingHeap({ initial: 16 * 1024, capacity: 1 << 20, journal: true, heapOffset: 128 });
    const before = heap.stats();
    journal!.begin();
    heap.allocate(100_000); // grows
    expect(heap.stats().length).toBeGreaterThan(before.length);
    journal!.undoTo(0);
    journal!.commit();
    heap.verify();
    expect(heap.stats()).toEqual(before);
    const committedOnce = commits.length;
    journal!.begin();
    heap.allocate(100_000); // grows again over memory already committed
    journal!.commit();
    heap.verify();
    expect(commits.length).toBe(committedOnce + 1); // asked again; a section answers from its header
  });

  it('a length in the header past the committed memory is CorruptHeapError, never a read past it', () => {
    const { heap, buffer } = growingHeap({ initial: 16 * 1024, capacity: 1 << 20 });
    new Int32Array(buffer)[layout.HEAP_LENGTH_OFFSET >> 2] = 512 * 1024;
    expect(() => heap.stats()).toThrow(/past the \d+ committed under it/);
  });

  it('seeded churn with growth keeps every invariant (verify after every 50 operations)', () => {
    const next = seededRandom(1313);
    const { heap, untouched } = growingHeap({ initial: 16 * 1024, capacity: 2 << 20, journal: false });
    const live: number[] = [];
    for (let step = 0; step < 5000; step++) {
      if (live.length > 0 && next() % 3 === 0) {
        heap.free(live.splice(next() % live.length, 1)[0]!);
      } else {
        const offset = heap.tryAllocate(1 + (next() % 6000));
        if (offset > 0) live.push(offset);
      }
      if (step % 50 === 0) heap.verify();
    }
    heap.verify();
    expect(untouched()).toBe(true);
  });
});
