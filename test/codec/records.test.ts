/**
 * The 'msgpack' codec with record structures (issue 11): shapes become local records, then
 * shared ones; codecs that share a store read each other's messages; a full or broken store
 * only means fewer shared structures; a record byte nobody defined is a CorruptValueError.
 */
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MAX_SHARED_STRUCTURES, msgpackCodec, type Codec } from '../../src/codec/index.js';
import { CorruptValueError } from '../../src/errors.js';
import { MemoryStructureStore } from './memory-store.js';

const order = (i: number) => ({
  id: i,
  type: 'order.placed',
  user: { id: 1000 + i, name: `user-${i}`, admin: i % 7 === 0 },
  items: [
    { sku: `sku-${i}`, qty: 2, price: 19.99 },
    { sku: `sku-${i + 1}`, qty: 1, price: 5.5 },
  ],
  tags: ['web', 'eu'],
  total: 45.48,
  at: new Date(1718000000000 + i),
});

/** An object of shape number `n` (keys no other n uses). */
const shaped = (n: number, value: unknown = n) => ({ [`k${n}`]: value, common: n });

function roundTrip(codec: Codec, value: unknown, reader: Codec = codec): unknown {
  return reader.decode(codec.encode(value).slice());
}

describe('records', () => {
  it('a shape is a local record the first time, a shared one from the second, and the bytes shrink', () => {
    const store = new MemoryStructureStore();
    const codec = msgpackCodec({ structures: store });
    const first = codec.encode(order(1)).slice();
    expect(first[0]).toBe(0xc1); // records
    expect(first[1]).toBe(0); // no shared structure needed yet
    expect(store.list).toHaveLength(0);
    const second = codec.encode(order(2)).slice();
    expect(store.list.map((keys) => keys.join())).toEqual(['id,type,user,items,tags,total,at', 'id,name,admin', 'sku,qty,price']);
    expect(second[1]).toBe(3);
    const third = codec.encode(order(3)).slice();
    expect(third.length).toBeLessThan(first.length * 0.6);
    for (const [bytes, i] of [[first, 1], [second, 2], [third, 3]] as const) expect(codec.decode(bytes)).toEqual(order(i));
  });

  it('values without objects are plain MessagePack, with no records header', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    expect([...codec.encode(100)]).toEqual([0xcc, 100]); // 64..127 are not fixints in records mode
    expect([...codec.encode([1, 'a'])]).toEqual([0x92, 0x01, 0xa1, 0x61]);
    expect(codec.decode(codec.encode({}))).toEqual({});
  });

  it('integers 64..127 and record bytes do not mix up', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    const value = { a: 64, b: [65, 127, { a: 100, b: [] }], c: 0x40 };
    for (let i = 0; i < 3; i++) expect(roundTrip(codec, value)).toEqual(value);
  });

  it('more shapes in one message than local ids: ids are reused and the message still reads', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    const value = Array.from({ length: 100 }, (_, i) => shaped(i % 70));
    expect(roundTrip(codec, value)).toEqual(value);
    expect(roundTrip(codec, value)).toEqual(value); // now some are shared
  });

  it('a local definition the writer took back (a hole, a __proto__ key) is defined again when needed', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [[{ x: 1 }, , 3], { x: 2 }];
    const big: Record<string, unknown> = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, { y: i }]));
    Object.defineProperty(big, '__proto__', { value: { z: 1 }, enumerable: true, configurable: true, writable: true });
    for (const value of [sparse, [big, { y: 99 }]]) {
      const back = roundTrip(codec, value) as unknown[];
      expect(back).toEqual(value);
      expect(Object.getPrototypeOf(back[0])).toBe(Object.getPrototypeOf(value[0]));
    }
  });

  it('a store that fills up means local records from then on, never an error', () => {
    const store = new MemoryStructureStore(MAX_SHARED_STRUCTURES);
    const codec = msgpackCodec({ structures: store });
    for (let round = 0; round < 2; round++) {
      for (let n = 0; n < 50; n++) expect(roundTrip(codec, shaped(n))).toEqual(shaped(n));
    }
    expect(store.list).toHaveLength(MAX_SHARED_STRUCTURES);
    const savesWhenFull = store.saves;
    for (let n = 40; n < 50; n++) expect(roundTrip(codec, shaped(n))).toEqual(shaped(n));
    expect(store.saves).toBe(savesWhenFull); // it stopped asking
  });

  it('a store with less room than 32 is full when it says so', () => {
    const store = new MemoryStructureStore(3);
    const codec = msgpackCodec({ structures: store });
    for (let round = 0; round < 3; round++) for (let n = 0; n < 6; n++) expect(roundTrip(codec, shaped(n))).toEqual(shaped(n));
    expect(store.list).toHaveLength(3);
  });

  it('a store that throws is not used, and values still round-trip', () => {
    const store = new MemoryStructureStore();
    store.failLoad = true;
    const codec = msgpackCodec({ structures: store });
    for (let i = 0; i < 3; i++) expect(roundTrip(codec, order(i))).toEqual(order(i));
    expect(store.saves).toBe(0);
  });

  it('two codecs on one store (two processes) read each other, also when they add shapes at the same time', () => {
    const store = new MemoryStructureStore();
    const a = msgpackCodec({ structures: store });
    const b = msgpackCodec({ structures: store });
    // b adds its shape just before a saves: a's save loses the race, a reloads and retries.
    a.encode(shaped(1));
    store.beforeSave = () => {
      b.encode(shaped(2));
      b.encode(shaped(2));
    };
    const fromA = a.encode(shaped(1)).slice();
    expect(store.list.map((keys) => keys.join())).toEqual(['k2,common', 'k1,common']);
    expect(b.decode(fromA)).toEqual(shaped(1)); // b loads structure 1 when the message needs it
    for (let n = 0; n < 40; n++) {
      expect(roundTrip(a, shaped(n), b)).toEqual(shaped(n));
      expect(roundTrip(b, order(n), a)).toEqual(order(n));
    }
  });

  it('both writers meeting the same new shape share it once', () => {
    const store = new MemoryStructureStore();
    const a = msgpackCodec({ structures: store });
    const b = msgpackCodec({ structures: store });
    a.encode(shaped(7));
    b.encode(shaped(7));
    store.beforeSave = () => b.encode(shaped(7)); // b shares it first
    const bytes = a.encode(shaped(7)).slice();
    expect(store.list.map((keys) => keys.join())).toEqual(['k7,common']);
    expect(b.decode(bytes)).toEqual(shaped(7));
  });

  it('a record byte with no structure behind it is a CorruptValueError, not a number and garbage', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    // needs 5 shared structures; the store has none
    expect(() => codec.decode(new Uint8Array([0xc1, 5, 0x44, 0x01]))).toThrow(CorruptValueError);
    expect(() => codec.decode(new Uint8Array([0xc1, 5, 0x44, 0x01]))).toThrow(/needs 5 shared structures/);
    // claims to need none, then names shared structure 4
    expect(() => codec.decode(new Uint8Array([0xc1, 0, 0x44, 0x01]))).toThrow(/neither the message nor the shared structures/);
    // a local structure it never defined
    expect(() => codec.decode(new Uint8Array([0xc1, 0, 0x62, 0x01]))).toThrow(CorruptValueError);
    // a records message to a codec without a store
    expect(() => msgpackCodec().decode(new Uint8Array([0xc1, 0, 0x60]))).toThrow(/no structure store/);
  });

  it('a record definition with a "__proto__" key is refused and pollutes nothing', () => {
    const codec = msgpackCodec({ structures: new MemoryStructureStore() });
    const proto = [0xa9, ...Buffer.from('__proto__')];
    // 0xd4 0x72 0x60 ["__proto__"] {polluted: true}
    const crafted = new Uint8Array([0xc1, 0, 0xd4, 0x72, 0x60, 0x91, ...proto, 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3]);
    expect(() => codec.decode(crafted)).toThrow(CorruptValueError);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('msgpackr reads our records (the format is msgpackr\'s)', () => {
    const store = new MemoryStructureStore();
    const codec = msgpackCodec({ structures: store });
    const values = [order(1), order(2), [shaped(3), shaped(3), { nested: [shaped(4)] }]];
    for (const value of values) {
      const bytes = Buffer.from(codec.encode(value));
      const unpackr = new Unpackr({ structures: store.list.map((keys) => [...keys]), mapsAsObjects: true });
      expect(unpackr.unpack(bytes[0] === 0xc1 ? bytes.subarray(2) : bytes)).toEqual(value);
    }
  });
});
