/**
 * SharedStructureStore on a SharedArrayBuffer: the layout matches its diagram, saves are
 * append-only and version-checked, a full region is "no more structures", a damaged one is
 * refused, and codecs on separate store objects over one memory (two processes, in effect)
 * read each other's records.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SHARED_STRUCTURES, msgpackCodec } from '../../src/codec/index.js';
import { CorruptHeapError, CorruptValueError, InvalidArgValueError, OutOfRangeError } from '../../src/errors.js';
import * as layout from '../../src/layout/structures.js';
import { SharedStructureStore } from '../../src/store/structures.js';
import { SharedArrayBufferWaiter } from '../../src/sync/sab-waiter.js';
import { MUTEX_LENGTH } from '../../src/layout/sync.js';

const LENGTH = SharedStructureStore.defaultLength;

function region(length = LENGTH, at = 64): { sab: SharedArrayBuffer; open(): SharedStructureStore } {
  const sab = new SharedArrayBuffer(at + length + 64);
  SharedStructureStore.initialize(sab, at, length);
  const waiter = new SharedArrayBufferWaiter(sab);
  return { sab, open: () => new SharedStructureStore(sab, at, length, waiter) };
}

/** Flips one bit of the byte at `index`: damaged memory. */
function flip(sab: SharedArrayBuffer, index: number): void {
  const bytes = new Uint8Array(sab);
  bytes[index] = bytes[index]! ^ 1;
}

const shaped = (n: number) => ({ [`key${n}`]: n, [`other${n}`]: [n] });

describe('layout', () => {
  it('offsets follow the diagram', () => {
    expect(layout.STRUCTURES_MAGIC_OFFSET).toBe(0);
    expect(layout.STRUCTURES_FORMAT_OFFSET).toBe(4);
    expect(layout.STRUCTURES_LENGTH_OFFSET).toBe(8);
    expect(layout.STRUCTURES_LOCK_OFFSET).toBe(16);
    expect(layout.STRUCTURES_LOCK_OFFSET + MUTEX_LENGTH).toBe(layout.STRUCTURES_PUBLISHED_OFFSET);
    expect(layout.STRUCTURES_PUBLISHED_OFFSET).toBe(32);
    expect(layout.STRUCTURES_ENTRIES_OFFSET).toBe(64);
    expect(layout.STRUCTURES_LOCK_OFFSET % 8).toBe(0);
    // count and used fit one non-negative Int32
    expect((layout.MAX_PUBLISHED_COUNT << layout.PUBLISHED_COUNT_SHIFT) | layout.PUBLISHED_USED_MASK).toBeGreaterThan(0);
    expect(layout.STRUCTURES_MAX_LENGTH - layout.STRUCTURES_ENTRIES_OFFSET).toBeLessThanOrEqual(layout.PUBLISHED_USED_MASK + 1);
  });

  it('placement and length are checked', () => {
    const sab = new SharedArrayBuffer(LENGTH * 2);
    const waiter = new SharedArrayBufferWaiter(sab);
    expect(() => SharedStructureStore.initialize(sab, 4, LENGTH)).toThrow(OutOfRangeError);
    expect(() => SharedStructureStore.initialize(sab, 0, 100)).toThrow(OutOfRangeError);
    expect(() => SharedStructureStore.initialize(sab, LENGTH + 8, LENGTH)).toThrow(OutOfRangeError);
    expect(() => new SharedStructureStore(sab, 0, LENGTH, waiter)).toThrow(CorruptHeapError); // never initialized
    SharedStructureStore.initialize(sab, 0, LENGTH);
    expect(() => new SharedStructureStore(sab, 0, LENGTH - 8, waiter)).toThrow(CorruptHeapError); // another length
    expect(() => new SharedStructureStore(sab, 0, LENGTH, new SharedArrayBufferWaiter(new SharedArrayBuffer(64)))).toThrow(InvalidArgValueError);
  });
});

describe('SharedStructureStore', () => {
  it('starts empty; saves append at the expected version only; loads see what others saved', () => {
    const { open } = region();
    const a = open();
    const b = open();
    expect(a.load()).toEqual({ version: 0, structures: [] });
    expect(a.save([['x', 'y']], 0)).toBe(true);
    expect(b.save([['z']], 0)).toBe(false); // b did not load the new one
    expect(b.load()).toEqual({ version: 1, structures: [['x', 'y']] });
    expect(b.save([['x', 'y'], ['z'], ['ü', '😀', '']], 1)).toBe(true);
    expect(a.load()).toEqual({ version: 3, structures: [['x', 'y'], ['z'], ['ü', '😀', '']] });
    expect(a.save(a.load().structures, 3)).toBe(true); // nothing new
    expect(a.save([], 5)).toBe(false);
    expect(Object.isFrozen(a.load().structures)).toBe(true);
  });

  it('a full region refuses a save and keeps its version', () => {
    const { open } = region(layout.STRUCTURES_MIN_LENGTH);
    const store = open();
    let saved = 0;
    while (store.save([...store.load().structures, [`a key of some length ${saved}`]], saved)) saved++;
    expect(saved).toBeGreaterThan(0);
    expect(store.load().version).toBe(saved);
    expect(store.stats().usedBytes).toBeLessThanOrEqual(store.stats().capacityBytes);
  });

  it('a damaged entry makes load throw CorruptHeapError', () => {
    const { sab, open } = region();
    const store = open();
    store.save([['alpha', 'beta']], 0);
    expect(store.load().structures).toEqual([['alpha', 'beta']]);
    flip(sab, 64 + layout.STRUCTURES_ENTRIES_OFFSET + layout.ENTRY_HEADER_LENGTH + 3); // a key byte
    expect(() => open().load()).toThrow(CorruptHeapError);
    expect(() => open().load()).toThrow(/fails its check/);
    expect(store.load().structures).toEqual([['alpha', 'beta']]); // parsed before the damage: append-only
  });

  it('bytes written but not published are not seen, and the next save writes over them', () => {
    const { sab, open } = region();
    const store = open();
    store.save([['a']], 0);
    const used = store.stats().usedBytes;
    new Uint8Array(sab).fill(0xee, 64 + layout.STRUCTURES_ENTRIES_OFFSET + used, 64 + layout.STRUCTURES_ENTRIES_OFFSET + used + 40);
    expect(open().load()).toEqual({ version: 1, structures: [['a']] });
    expect(store.save([['a'], ['b']], 1)).toBe(true);
    expect(open().load()).toEqual({ version: 2, structures: [['a'], ['b']] });
  });
});

describe('codecs on one shared region', () => {
  it('two encoders with their own structure lists, one region: each decodes the other, shapes added in turns', () => {
    const { open } = region();
    const a = msgpackCodec({ structures: open() });
    const b = msgpackCodec({ structures: open() });
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 20; n++) {
        // a and b meet new shapes at the same time: half of them both, half one each
        const fromA = a.encode(shaped(n)).slice();
        const fromB = b.encode(shaped(n % 2 === 0 ? n : n + 100)).slice();
        expect(b.decode(fromA)).toEqual(shaped(n));
        expect(a.decode(fromB)).toEqual(shaped(n % 2 === 0 ? n : n + 100));
      }
    }
    const { structures } = open().load();
    const names = structures.map((keys) => keys.join());
    expect(new Set(names).size).toBe(names.length); // no shape twice
    expect(structures.length).toBe(30); // 20 of a + 10 of b's own
  });

  it('a full region: the codec keeps working with message-local records', () => {
    const { open } = region(layout.STRUCTURES_MIN_LENGTH);
    const store = open();
    const codec = msgpackCodec({ structures: store });
    for (let round = 0; round < 3; round++) for (let n = 0; n < 40; n++) expect(codec.decode(codec.encode(shaped(n)).slice())).toEqual(shaped(n));
    const { version } = store.load();
    expect(version).toBeGreaterThan(0);
    expect(version).toBeLessThan(MAX_SHARED_STRUCTURES);
    const reader = msgpackCodec({ structures: open() });
    for (let n = 0; n < 40; n++) expect(reader.decode(codec.encode(shaped(n)).slice())).toEqual(shaped(n));
  });

  it('a damaged region: writing goes on without sharing; messages that need it are CorruptValueError', () => {
    const { sab, open } = region();
    const writer = msgpackCodec({ structures: open() });
    writer.encode(shaped(1));
    const needsOne = writer.encode(shaped(1)).slice(); // shared now
    flip(sab, 64 + layout.STRUCTURES_ENTRIES_OFFSET + layout.ENTRY_HEADER_LENGTH + 2);
    const reader = msgpackCodec({ structures: open() });
    expect(() => reader.decode(needsOne)).toThrow(CorruptValueError);
    const other = msgpackCodec({ structures: open() });
    for (let i = 0; i < 3; i++) expect(other.decode(other.encode(shaped(2)).slice())).toEqual(shaped(2));
  });
});
