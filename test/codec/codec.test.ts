/**
 * What channels and namespaces rely on from every codec: decoded binary values are copies of
 * the ring's bytes, encode() may reuse its buffer, bad bytes are a CorruptValueError (never a
 * crash, a wrong value or a polluted prototype), other writers' valid MessagePack reads as
 * MessagePack means it, and codec options are checked.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { msgpackCodec, msgpackJavascriptCodec, rawCodec, resolveCodec, type Codec } from '../../src/codec/index.js';
import { CorruptValueError, InvalidArgTypeError } from '../../src/errors.js';
import { MemoryStructureStore } from './memory-store.js';

const CODECS: Array<[string, () => Codec]> = [
  ["'msgpack' (maps)", () => msgpackCodec()],
  ["'msgpack' (records)", () => msgpackCodec({ structures: new MemoryStructureStore() })],
  ["'@msgpack/msgpack'", () => msgpackJavascriptCodec()],
];

/** The bytes in a SharedArrayBuffer at an odd offset, as a ring hands them out. */
function inRing(bytes: Uint8Array): { view: Uint8Array; ring: Uint8Array } {
  const ring = new Uint8Array(new SharedArrayBuffer(bytes.length + 64));
  ring.set(bytes, 13);
  return { view: ring.subarray(13, 13 + bytes.length), ring };
}

describe.each(CODECS)('%s', (_, make) => {
  it('decoded binary values are copies: reusing the ring leaves them as they were', () => {
    const codec = make();
    const value = {
      u8: new Uint8Array([1, 2, 3]),
      buffer: Buffer.from('buf'),
      f64: new Float64Array([1.5, -2]),
      ab: new Uint8Array([7, 8]).buffer,
      dv: new DataView(new Uint8Array([9, 10, 11]).buffer),
      text: 'a string long enough to be decoded natively, with ünïcödé'.repeat(3),
    };
    for (let round = 0; round < 3; round++) {
      const { view, ring } = inRing(codec.encode(value));
      const back = codec.decode(view) as typeof value;
      ring.fill(0xff);
      expect(back).toEqual(value);
      expect(Object.getPrototypeOf(back.u8)).toBe(Uint8Array.prototype);
      expect(back.u8.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('encode may reuse its buffer: a caller keeps a copy (as the channel does)', () => {
    const codec = make();
    const first = codec.encode({ a: 'first' }).slice();
    const big = codec.encode({ a: 'x'.repeat(100_000) }).slice();
    const second = codec.encode({ a: 'second' });
    expect(codec.decode(first)).toEqual({ a: 'first' });
    expect(codec.decode(big)).toEqual({ a: 'x'.repeat(100_000) });
    expect(codec.decode(second)).toEqual({ a: 'second' });
  });

  it('a getter that encodes while the codec encodes gets the same rules', () => {
    const codec = make();
    let inner: Uint8Array | undefined;
    const value = {
      get nested() {
        inner = codec.encode({ inside: [1, undefined, -0] }).slice();
        return 'outer';
      },
    };
    const outer = codec.encode(value).slice();
    expect(codec.decode(outer)).toEqual({ nested: 'outer' });
    const back = codec.decode(inner!) as { inside: unknown[] };
    expect(back.inside).toEqual([1, undefined, -0]);
    expect(Object.is(back.inside[2], -0)).toBe(true);
  });

  it('bytes that are not one value are a CorruptValueError', () => {
    const codec = make();
    const good = codec.encode({ a: [1, 'two'] }).slice();
    const cases: Array<[string, Uint8Array]> = [
      ['no bytes', new Uint8Array(0)],
      ['cut short', good.subarray(0, good.length - 1)],
      ['bytes after the value', new Uint8Array([...good, 0x01])],
      ['the byte 0xc1 in a value', new Uint8Array([0x92, 0x01, 0xc1])],
      ['an unknown extension', new Uint8Array([0xd4, 0x7f, 0x00])],
      ['an extension 1 with data', new Uint8Array([0xd4, 0x05, 0x00])], // a Set payload of one byte: not a list
      ['a Map payload that is not one value', new Uint8Array([0xc7, 0x02, 0x04, 0x90, 0x90])],
      ['a string running past the end', new Uint8Array([0xd9, 0x20, 0x61])],
      ['an array longer than the bytes', new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])],
      ['a map key that is a list', new Uint8Array([0x81, 0x90, 0x01])],
      ['a timestamp of 3 bytes', new Uint8Array([0xc7, 0x03, 0xff, 0x00, 0x00, 0x00])],
    ];
    for (const [name, bytes] of cases) expect(() => codec.decode(bytes), name).toThrow(CorruptValueError);
  });

  it('"__proto__" map keys in any string form are refused and pollute nothing', () => {
    const codec = make();
    const key = Buffer.from('__proto__');
    const value = [0x81, 0xa8, ...Buffer.from('polluted'), 0xc3];
    for (const header of [[0xa9], [0xd9, 9], [0xda, 0, 9]]) {
      expect(() => codec.decode(new Uint8Array([0x81, ...header, ...key, ...value]))).toThrow(CorruptValueError);
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("MessagePack from other writers, read by the 'msgpack' codec", () => {
  const codec = msgpackCodec();
  it('integers of every width, floats 32, maps with integer keys, str 8 for short strings', () => {
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    expect(codec.decode(packr.pack({ a: 1, b: -1, c: 300, d: -300, e: 70000, f: -70000, g: 2 ** 40, h: 1.5 }))).toEqual({ a: 1, b: -1, c: 300, d: -300, e: 70000, f: -70000, g: 2 ** 40, h: 1.5 });
    expect(codec.decode(new Uint8Array([0xcf, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(Number.MAX_SAFE_INTEGER); // uint 64
    expect(codec.decode(new Uint8Array([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]))).toBe(-2); // int 64
    expect(codec.decode(new Uint8Array([0xca, 0x3f, 0xc0, 0, 0]))).toBe(1.5); // float 32
    expect(codec.decode(new Uint8Array([0x82, 0x01, 0xa1, 0x61, 0xd0, 0xfe, 0xa1, 0x62]))).toEqual({ 1: 'a', [-2]: 'b' });
    expect(codec.decode(new Uint8Array([0xd9, 0x02, 0x68, 0x69]))).toBe('hi');
    expect(codec.decode(new Uint8Array([0xd6, 0xff, 0, 0, 0, 1]))).toEqual(new Date(1000)); // fixext timestamp 32
  });

  it('nesting far deeper than any writer makes is refused, not a stack overflow', () => {
    const nested = (depth: number) => new Uint8Array([...new Array<number>(depth).fill(0x91), 0x01]);
    expect(codec.decode(nested(500))).toBeInstanceOf(Array);
    expect(() => codec.decode(nested(100_000))).toThrow(CorruptValueError);
    expect(() => codec.decode(nested(100_000))).toThrow(/nested more than/);
  });

  it('a 64-bit integer beyond 2^53 is refused rather than rounded', () => {
    expect(() => codec.decode(new Uint8Array([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(CorruptValueError);
  });
});

describe('codec options', () => {
  it('resolveCodec knows the names, and takes any object with encode and decode', () => {
    expect(resolveCodec(undefined).decode(resolveCodec('msgpack').encode({ a: 1 }))).toEqual({ a: 1 });
    expect(resolveCodec('@msgpack/msgpack').decode(msgpackCodec().encode([1, 'x']))).toEqual([1, 'x']);
    expect(resolveCodec('raw').encode(new Uint8Array([1]))).toEqual(new Uint8Array([1]));
    const custom = { encode: () => new Uint8Array(0), decode: () => 1 };
    expect(resolveCodec(custom)).toBe(custom);
    for (const bad of ['msgpackr', 'json', 5, null, { encode() {} }]) expect(() => resolveCodec(bad)).toThrow(InvalidArgTypeError);
    expect(() => resolveCodec('nope')).toThrow(/'msgpack', '@msgpack\/msgpack', 'raw'/);
  });

  it('resolveCodec hands a structure store to the default codec', () => {
    const store = new MemoryStructureStore();
    const codec = resolveCodec(undefined, { structures: store });
    codec.encode({ shared: 1 });
    codec.encode({ shared: 2 });
    expect(store.list).toEqual([['shared']]);
  });

  it('msgpackCodec checks its options', () => {
    expect(() => msgpackCodec({ structures: {} as never })).toThrow(InvalidArgTypeError);
    expect(() => msgpackCodec(null as never)).toThrow(InvalidArgTypeError);
  });

  it('raw sends Uint8Array only and reads back a copy', () => {
    const raw = rawCodec();
    expect(() => raw.encode('text' as never)).toThrow(InvalidArgTypeError);
    const { view, ring } = inRing(new Uint8Array([1, 2]));
    const back = raw.decode(view);
    ring.fill(0);
    expect([...back]).toEqual([1, 2]);
  });
});
