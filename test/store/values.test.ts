/**
 * The value rules (issue 9, items 2 and 3): every value either comes back equal with the same
 * types, through every path that encodes it (ns.set/get, getMany, vars, update, cache, a
 * channel's ring records and its heap-held messages), or is refused with
 * UnserializableValueError before anything is written. Decoding never pollutes a prototype.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Channel,
  CorruptHeapError,
  CorruptValueError,
  InvalidArgTypeError,
  InvalidArgValueError,
  Namespace,
  SharedArrayBufferWaiter,
  UnserializableValueError,
  msgpackCodec,
} from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { msgpackJavascriptCodec, type Codec } from '../../src/codec/index.js';
import { SharedStructureStore } from '../../src/store/structures.js';

// ------------------------------------------------------------------ the cases

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
class MyMap extends Map<unknown, unknown> {}
class MyError extends Error {}

function nullProto(): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  o['a'] = 1;
  o['b'] = { c: [2] };
  return o;
}

// One instance each: a new Error would have another stack.
const BOOM = new Error('boom');
const WITH_EXTRAS = Object.assign(new RangeError('out of range', { cause: new Error('root') }), { code: 'E_RANGE' });
const AGGREGATE = new AggregateError([new Error('one'), new TypeError('two')], 'both');
const IN_LIST = new Error('x');

function circular(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o['self'] = o;
  return o;
}

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const long = 'long string with ünïcödé and 😀 emoji, '.repeat(20);
const f64 = new Float64Array([1.5, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE]);
const view = new Float64Array(new ArrayBuffer(64), 8, 3).fill(2.25);

/** Values that must come back equal, with their types. `make` gives a fresh copy each time. */
const ROUND_TRIPS: Array<[string, () => unknown]> = [
  ['null', () => null],
  ['true', () => true],
  ['false', () => false],
  ['0', () => 0],
  ['-0', () => -0],
  ['a small integer', () => 42],
  ['a negative integer', () => -123456789],
  ['a float', () => 1.25],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['an unsafe integer', () => 2 ** 60 + 2 ** 10],
  ['the largest safe integer', () => Number.MAX_SAFE_INTEGER],
  ['an empty string', () => ''],
  ['a string', () => 'hello'],
  ['a long string', () => long],
  ['a string with a lone high surrogate', () => 'a\ud800b'],
  ['a string with a lone low surrogate', () => '\udfff'],
  ['a long string with lone surrogates', () => `${long}\ud800${long}\udc00`],
  ['a plain object', () => ({ id: 1, name: 'n', ok: true, list: [1, 'two', null], nested: { deep: { er: 1 } } })],
  ['an empty object', () => ({})],
  ['an object with an undefined property', () => ({ a: undefined, b: 1 })],
  ['an array with undefined', () => [1, undefined, 3]],
  ['a sparse array', () => [1, , 3]], // eslint-disable-line no-sparse-arrays
  ['a sparse array with a trailing hole', () => Object.assign(new Array(4), { 0: 'x' })],
  ['an object without a prototype', nullProto],
  ['JSON with a __proto__ key', () => JSON.parse('{"__proto__":{"x":1},"name":"a"}')],
  ['a nested __proto__ key', () => ({ list: [JSON.parse('{"__proto__":[1,2]}')] })],
  ['keys that shadow Object.prototype', () => ({ constructor: 1, toString: 'x', hasOwnProperty: null, valueOf: [1] })],
  ['an object key with a lone surrogate', () => ({ '\ud800': 1, ok: 2 })],
  ['a Map', () => new Map<unknown, unknown>([['a', 1], [2, { b: [3] }], [{ k: 1 }, new Map([[1, 2]])]])],
  ['an empty Map', () => new Map()],
  ['a Set', () => new Set<unknown>([1, 'two', { three: 3 }, new Set([4])])],
  ['a Date', () => new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789))],
  ['a Date before 1970', () => new Date(-123456789)],
  ['the largest Date', () => new Date(8.64e15)],
  ['the smallest Date', () => new Date(-8.64e15)],
  ['an invalid Date', () => new Date(NaN)],
  ['a Uint8Array', () => new Uint8Array([1, 2, 255])],
  ['an empty Uint8Array', () => new Uint8Array(0)],
  ['a Uint8Array view', () => new Uint8Array([9, 8, 7, 6]).subarray(1, 3)],
  ['an Int8Array', () => new Int8Array([-128, 0, 127])],
  ['a Uint8ClampedArray', () => new Uint8ClampedArray([0, 128, 255])],
  ['an Int16Array', () => new Int16Array([-32768, 1, 32767])],
  ['a Uint16Array', () => new Uint16Array([0, 65535])],
  ['an Int32Array', () => new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
  ['a Uint32Array', () => new Uint32Array([0, 2 ** 32 - 1])],
  ['a Float32Array', () => new Float32Array([1.5, -0, NaN])],
  ['a Float64Array', () => new Float64Array(f64)],
  ['a Float64Array view at an offset', () => view.slice(0, 3).subarray(1)],
  ['a BigInt64Array', () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
  ['a BigUint64Array', () => new BigUint64Array([0n, 2n ** 64n - 1n])],
  ['a DataView', () => new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)],
  ['an ArrayBuffer', () => new Uint8Array([5, 6, 7]).buffer],
  ['a Buffer', () => Buffer.from('buffer bytes')],
  ['a BigInt', () => 10n],
  ['a negative BigInt', () => -(2n ** 64n)],
  ['a huge BigInt', () => 2n ** 300n + 7n],
  ['a RegExp', () => /a+(b)?/giu],
  ['an Error', () => BOOM],
  ['a RangeError with a cause and a code', () => WITH_EXTRAS],
  ['an AggregateError', () => AGGREGATE],
  ['undefined inside a Map and a Set', () => new Map([[undefined, new Set([undefined])]])],
  ['everything nested', () => ({ m: new Map([['d', new Date(1)]]), s: new Set([new Float32Array([1])]), e: [IN_LIST, 1n, undefined, -0] })],
  ['90 levels of nesting', () => deep(90)],
];

/** Values that cannot round-trip: refused before anything is written. */
const REFUSED: Array<[string, () => unknown]> = [
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('s')],
  ['a function inside an object', () => ({ nested: { f() {} } })],
  ['a symbol inside an array', () => [1, Symbol.iterator]],
  ['a class instance', () => new Point(1, 2)],
  ['a class instance inside a Map', () => new Map([['p', new Point(1, 2)]])],
  ['a Map subclass', () => new MyMap([[1, 2]])],
  ['an Error subclass', () => new MyError('mine')],
  ['a Promise', () => Promise.resolve(1)],
  ['a WeakMap', () => new WeakMap()],
  ['a WeakSet', () => new WeakSet()],
  ['a WeakRef', () => new WeakRef({})],
  ['a boxed number', () => new Number(1)], // eslint-disable-line no-new-wrappers
  ['a boxed string', () => new String('s')], // eslint-disable-line no-new-wrappers
  ['a SharedArrayBuffer', () => new SharedArrayBuffer(8)],
  ['a circular object', circular],
  ['more than 100 levels of nesting', () => deep(150)],
];

// ------------------------------------------------------------------ a strict comparison

/**
 * Same value, same types: prototypes (so constructor names and typed array kinds), Map and Set
 * entries in order, Date time values (NaN included), bytes of binary values, -0 and NaN by
 * Object.is, own enumerable keys (holes and own "__proto__" properties included).
 */
function expectSame(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(Object.is(actual, expected), `${path}: got ${show(actual)}, expected ${show(expected)}`).toBe(true);
    return;
  }
  expect(typeof actual === 'object' && actual !== null, `${path} is an object`).toBe(true);
  const a = actual as object;
  expect(Object.getPrototypeOf(a), `${path}: prototype (${a.constructor?.name} vs ${expected.constructor?.name})`).toBe(Object.getPrototypeOf(expected));
  if (expected instanceof Map) {
    const got = [...(a as Map<unknown, unknown>).entries()];
    const want = [...expected.entries()];
    expect(got.length, `${path}: Map size`).toBe(want.length);
    want.forEach(([k, v], i) => {
      expectSame(got[i]![0], k, `${path}: Map key ${i}`);
      expectSame(got[i]![1], v, `${path}: Map value ${i}`);
    });
  } else if (expected instanceof Set) {
    const got = [...(a as Set<unknown>)];
    const want = [...expected];
    expect(got.length, `${path}: Set size`).toBe(want.length);
    want.forEach((v, i) => expectSame(got[i], v, `${path}: Set item ${i}`));
  } else if (expected instanceof Date) {
    expect(Object.is((a as Date).getTime(), expected.getTime()), `${path}: Date ${String(a)} vs ${String(expected)}`).toBe(true);
  } else if (ArrayBuffer.isView(expected) || expected instanceof ArrayBuffer) {
    const bytes = (v: ArrayBufferView | ArrayBuffer) => (v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    expect([...bytes(a as ArrayBufferView | ArrayBuffer)], `${path}: bytes`).toEqual([...bytes(expected)]);
    if (!(expected instanceof ArrayBuffer) && !(expected instanceof DataView)) {
      expect((a as Uint8Array).length, `${path}: length`).toBe((expected as Uint8Array).length);
    }
    return; // indices are the bytes just compared
  } else if (expected instanceof RegExp) {
    expect([(a as RegExp).source, (a as RegExp).flags]).toEqual([expected.source, expected.flags]);
  } else if (expected instanceof Error) {
    const e = a as Error;
    expect([e.name, e.message, e.stack]).toEqual([expected.name, expected.message, expected.stack]);
    expect(Object.hasOwn(e, 'cause'), `${path}: has a cause`).toBe(Object.hasOwn(expected, 'cause'));
    if (Object.hasOwn(expected, 'cause')) expectSame(e.cause, expected.cause, `${path}.cause`);
    if (expected instanceof AggregateError) expectSame((e as AggregateError).errors, expected.errors, `${path}.errors`);
  }
  if (Array.isArray(expected)) expect((a as unknown[]).length, `${path}: length`).toBe(expected.length);
  expect(Object.keys(a), `${path}: own keys`).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected)) {
    // Descriptors, not a[key]: an own "__proto__" data property must be compared as one.
    expectSame(Object.getOwnPropertyDescriptor(a, key)?.value, Object.getOwnPropertyDescriptor(expected, key)?.value, `${path}[${JSON.stringify(key)}]`);
  }
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (Object.is(value, -0)) return '-0';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}

// ------------------------------------------------------------------ the paths

const opened: Namespace[] = [];
afterEach(() => {
  for (const ns of opened.splice(0)) {
    try {
      ns.destroy();
    } catch {
      // closed by the test
    }
  }
});

function openNamespace(): Namespace {
  const ns = Namespace.open(uniqueName('values'), { size: 1 << 20 });
  opened.push(ns);
  return ns;
}

function sabChannel(): [Channel, Channel] {
  const sab = new SharedArrayBuffer(Channel.byteLength(1 << 16));
  Channel.initialize(sab, 0, { capacity: 1 << 16, kind: 'mpsc' });
  const waiter = new SharedArrayBufferWaiter(sab);
  return [new Channel(sab, 0, waiter), new Channel(sab, 0, waiter)];
}

/** A value padded past a 1 KiB ring's record: the channel sends it through the namespace heap. */
function padded(value: unknown): unknown {
  return { pad: 'p'.repeat(4000), value };
}

describe.each(ROUND_TRIPS)('%s round-trips', (_, make) => {
  it('through ns.set / get, a second handle, getMany and vars', () => {
    const ns = openNamespace();
    ns.set('k', make());
    expectSame(ns.get('k'), make());
    expectSame(ns.get('k'), make()); // the kept decoded copy
    expectSame(ns.getMany(['k', 'missing'])[0], make());
    expectSame(ns.vars['k'], make());
    expectSame({ ...ns.vars }['k'], make());
    const other = Namespace.open(ns.name);
    try {
      expectSame(other.get('k'), make());
    } finally {
      other.close();
    }
    ns.verify();
  });

  it('through ns.update (stored, and handed to the next update)', () => {
    const ns = openNamespace();
    ns.set('k', 'old');
    ns.update('k', (old) => {
      expect(old).toBe('old');
      return make();
    });
    expectSame(ns.get('k'), make());
    let seen: unknown = 'not called';
    ns.update('k', (current) => {
      seen = current;
      return 'next';
    });
    expectSame(seen, make());
    expect(ns.get('k')).toBe('next');
  });

  it('through cache.set / get', () => {
    const ns = openNamespace();
    const cache = ns.cache('c');
    cache.set('k', make());
    expectSame(cache.get('k'), make());
    expectSame(cache.get('k'), make());
  });

  it('through a channel on a SharedArrayBuffer, and a namespace channel heap-held message', () => {
    const [tx, rx] = sabChannel();
    expect(tx.trySend(make())).toBe(true);
    expect(tx.trySend(padded(make()))).toBe(true);
    const small = rx.tryReceive();
    expect(small, 'a small message arrives').toBeDefined();
    expectSame(small!.value, make());
    expectSame(rx.tryReceive()!.value, padded(make()));

    const ns = openNamespace();
    const channel = ns.channel('ch', { capacity: 1024 });
    expect(channel.trySend(padded(make()))).toBe(true);
    expect(channel.trySend(make())).toBe(true);
    expectSame(channel.tryReceive()!.value, padded(make()));
    expectSame(channel.tryReceive()!.value, make());
  });
});

describe.each(REFUSED)('%s is refused with nothing written', (_, make) => {
  it('by ns.set, ns.vars, ns.update and a lock() group', () => {
    const ns = openNamespace();
    ns.set('k', 'old');
    expect(() => ns.set('k', make())).toThrow(UnserializableValueError);
    expect(() => ns.set('new', make())).toThrow(UnserializableValueError);
    expect(() => {
      ns.vars['k'] = make();
    }).toThrow(UnserializableValueError);
    // A Promise returned by an update function is the caller's mistake, said so (item 3).
    expect(() => ns.update('k', () => make())).toThrow(make() instanceof Promise ? InvalidArgTypeError : UnserializableValueError);
    expect(() =>
      ns.withLock(() => {
        ns.set('group', 1);
        ns.set('k', make());
      }),
    ).toThrow(UnserializableValueError);
    expect(ns.get('k')).toBe('old');
    expect(ns.keys()).toEqual(['k']);
    ns.verify();
  });

  it('by cache.set', () => {
    const ns = openNamespace();
    const cache = ns.cache('c');
    cache.set('k', 'old');
    expect(() => cache.set('k', make())).toThrow(UnserializableValueError);
    expect(cache.get('k')).toBe('old');
    expect(cache.size).toBe(1);
  });

  it('by a channel', () => {
    const [tx, rx] = sabChannel();
    expect(() => tx.trySend(make())).toThrow(UnserializableValueError);
    expect(() => tx.trySend(padded(make()))).toThrow(UnserializableValueError);
    expect(rx.tryReceive()).toBeUndefined();
    const ns = openNamespace();
    const channel = ns.channel('ch', { capacity: 1024 });
    const used = ns.core.heap.stats().used;
    expect(() => channel.trySend(padded(make()))).toThrow(UnserializableValueError);
    expect(channel.tryReceive()).toBeUndefined();
    expect(ns.core.heap.stats().used).toBe(used);
  });
});

// ------------------------------------------------------------------ every codec (issue 11)

/** The 'msgpack' codec with records, its structures in a region on a SharedArrayBuffer. */
function recordsCodec(sab: SharedArrayBuffer): Codec {
  return msgpackCodec({ structures: new SharedStructureStore(sab, 0, SharedStructureStore.defaultLength, new SharedArrayBufferWaiter(sab)) });
}
const structureRegion = new SharedArrayBuffer(SharedStructureStore.defaultLength);
SharedStructureStore.initialize(structureRegion, 0);
/** Writers, and who reads what they write: a records message only the 'msgpack' codec with the same structures. */
const CODECS: Array<[string, Codec, string[]]> = [
  ["'msgpack' (maps)", msgpackCodec(), ["'msgpack' (maps)", "'msgpack' (records)", "'@msgpack/msgpack'"]],
  ["'msgpack' (records)", recordsCodec(structureRegion), ["'msgpack' (records)"]],
  ["'@msgpack/msgpack'", msgpackJavascriptCodec(), ["'msgpack' (maps)", "'msgpack' (records)", "'@msgpack/msgpack'"]],
];
const READERS = new Map<string, Codec>([
  ["'msgpack' (maps)", msgpackCodec()],
  ["'msgpack' (records)", recordsCodec(structureRegion)],
  ["'@msgpack/msgpack'", msgpackJavascriptCodec()],
]);

describe.each(CODECS)('written by %s', (_, writer, readers) => {
  it.each(readers)('every round-trip case reads back through %s (twice: shapes become shared)', (readerName) => {
    const reader = READERS.get(readerName)!;
    for (let round = 0; round < 2; round++) {
      for (const [name, make] of ROUND_TRIPS) {
        const bytes = writer.encode(make()).slice();
        expectSame(reader.decode(bytes), make(), `${name} (value)`);
      }
    }
  });

  it('every refused case is refused', () => {
    for (const [name, make] of REFUSED) expect(() => writer.encode(make()), name).toThrow(UnserializableValueError);
  });
});

it("a records message read by '@msgpack/msgpack' is a CorruptValueError that says why", () => {
  const writer = recordsCodec(structureRegion);
  writer.encode({ only: 'records' });
  const bytes = writer.encode({ only: 'records' }).slice();
  expect(() => msgpackJavascriptCodec().decode(bytes)).toThrow(CorruptValueError);
  expect(() => msgpackJavascriptCodec().decode(bytes)).toThrow(/records/);
});

it('the refusal says where in the value and what it is', () => {
  const ns = openNamespace();
  expect(() => ns.set('k', { users: [{ at: new Point(1, 2) }] })).toThrow(/value\.users\[0\]\.at.*Point/);
  expect(() => ns.set('k', new Map([['f', () => 1]]))).toThrow(/function/);
  expect(() => ns.set('k', circular())).toThrow(/circular|deeper/);
});

it('every round-trip case crosses to another process and back (dist/)', async () => {
  const ns = openNamespace();
  ROUND_TRIPS.forEach(([, make], i) => ns.set(`k${i}`, make()));
  // The child reads every value and writes it back under another key: a type lost on either
  // side's decode would be written back lost.
  const dist = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js')).href;
  const script = `
    const { Namespace } = await import(${JSON.stringify(dist)});
    const ns = Namespace.open(process.argv[1], { reuse: true });
    for (const key of ns.keys()) if (key.startsWith('k')) ns.set('back' + key, ns.get(key));
    ns.close();`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script, ns.name], { timeout: 30_000 }, (error, _, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    ),
  );
  ROUND_TRIPS.forEach(([name, make], i) => expectSame(ns.get(`backk${i}`), make(), `${name} (value)`));
});

// ------------------------------------------------------------------ item 2: __proto__

describe('__proto__ keys (issue 9, item 2)', () => {
  it('a JSON.parse value with __proto__ is stored and read everywhere, as an own property, polluting nothing', async () => {
    const json = '{"__proto__":{"x":1},"name":"a"}';
    const ns = openNamespace();
    ns.set('u', JSON.parse(json));
    for (const read of [() => ns.get('u'), () => ns.getMany(['u'])[0], () => ({ ...ns.vars })['u'], () => ns.vars['u']]) {
      const value = read() as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ x: 1 });
      expect(value['name']).toBe('a');
      expect((value as { x?: unknown }).x).toBeUndefined();
    }
    ns.update('u', (old) => {
      expect(Object.hasOwn(old as object, '__proto__')).toBe(true);
      return old;
    });
    const cache = ns.cache('c');
    cache.set('u', JSON.parse(json));
    expect(Object.hasOwn(cache.get('u') as object, '__proto__')).toBe(true);
    const channel = ns.channel('ch', { capacity: 1024 });
    channel.trySend(JSON.parse(json));
    channel.trySend(padded(JSON.parse(json)));
    expect(Object.hasOwn((await channel.receive({ timeout: 1000 })) as object, '__proto__')).toBe(true);
    expect(Object.hasOwn(((await channel.receive({ timeout: 1000 })) as { value: object }).value, '__proto__')).toBe(true);
    expect(({} as { x?: unknown }).x).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('bytes that set __proto__ through a plain MessagePack map are refused when read, never obeyed', () => {
    // fixmap(1) { "__proto__": fixmap(1) { "polluted": true } }, as another writer might put it
    const crafted = new Uint8Array([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3]);
    expect(() => msgpackCodec().decode(crafted)).toThrow(CorruptValueError);
    // A namespace keeps to the codec it was made with, so here its own codec writes them: for
    // one value, and MessagePack otherwise.
    const msgpack = msgpackCodec();
    const ns = Namespace.open(uniqueName('values'), {
      size: 1 << 20,
      codec: { encode: (value) => (value === 'anything' ? crafted : msgpack.encode(value)), decode: (bytes) => msgpack.decode(bytes) },
    });
    opened.push(ns);
    ns.set('bad', 'anything');
    expect(() => ns.get('bad')).toThrow(CorruptValueError);
    expect(() => ns.getMany(['bad'])).toThrow(CorruptValueError);
    try {
      ns.get('bad');
    } catch (error) {
      expect((error as CorruptValueError).code).toBe('ERR_SHMKIT_CORRUPT_VALUE');
      expect(error).toBeInstanceOf(CorruptHeapError); // damaged memory, for code that handles that
    }
    expect(() => ns.verify()).toThrow(CorruptHeapError);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    ns.set('bad', 'good again'); // a bad value can be overwritten
    expect(ns.get('bad')).toBe('good again');
  });

  it('an unknown MessagePack extension is a typed error, not an ExtData object', () => {
    expect(() => msgpackCodec().decode(new Uint8Array([0xd4, 0x7f, 0x00]))).toThrow(CorruptValueError);
  });
});

// ------------------------------------------------------------------ item 3: the rest

describe('silent changes (issue 9, item 3)', () => {
  it('undefined is a message of its own on a channel (not null)', () => {
    const [tx, rx] = sabChannel();
    tx.trySend(undefined);
    tx.trySend(null);
    expect(rx.tryReceive()).toEqual({ value: undefined });
    expect(rx.tryReceive()).toEqual({ value: null });
  });

  it('an async update function is a typed error and writes nothing', async () => {
    const ns = openNamespace();
    ns.set('k', 'old');
    expect(() => ns.update('k', async () => 1)).toThrow(InvalidArgTypeError);
    expect(() => ns.update('k', () => Promise.resolve(1))).toThrow(InvalidArgTypeError);
    expect(() => ns.update('k', () => Promise.reject(new Error('never seen')))).toThrow(/Promise/);
    expect(() => ns.update('k', 5 as unknown as () => number)).toThrow(InvalidArgTypeError);
    expect(() => ns.update('k', undefined as unknown as () => number)).toThrow(InvalidArgTypeError);
    expect(ns.get('k')).toBe('old');
    // The lock was given back: another handle writes at once.
    const other = Namespace.open(ns.name, { timeout: 100 });
    try {
      other.set('k', 'new');
    } finally {
      other.close();
    }
    expect(ns.get('k')).toBe('new');
    await new Promise((resolve) => setTimeout(resolve, 10)); // a rejection left unhandled would fail the run
  });

  it('keys that are not well-formed UTF-16 are refused; lone surrogates no longer share a key', () => {
    const ns = openNamespace();
    const cache = ns.cache('c');
    for (const key of ['\ud800', '\udfff', 'a\udc00b', 'x\ud83d']) {
      expect(() => ns.set(key, 1)).toThrow(InvalidArgValueError);
      expect(() => ns.set(key, 1)).toThrow(/UTF-16/);
      expect(() => ns.get(key)).toThrow(InvalidArgValueError);
      expect(() => ns.has(key)).toThrow(InvalidArgValueError);
      expect(() => ns.delete(key)).toThrow(InvalidArgValueError);
      expect(() => ns.update(key, () => 1)).toThrow(InvalidArgValueError);
      expect(() => ns.getMany([key])).toThrow(InvalidArgValueError);
      expect(() => cache.set(key, 1)).toThrow(InvalidArgValueError);
      expect(() => cache.get(key)).toThrow(InvalidArgValueError);
    }
    expect(ns.size).toBe(0);
    expect(cache.size).toBe(0);
    ns.set('\ud83d\ude00', 'a surrogate pair is fine');
    expect(ns.get('\ud83d\ude00')).toBe('a surrogate pair is fine');
    expect(ns.keys()).toEqual(['\ud83d\ude00']);
  });

  it('values read back stay frozen, Map, Set and Date included', () => {
    const ns = openNamespace();
    ns.set('k', { m: new Map([[1, { a: 1 }]]), s: new Set([1]), d: new Date(5), e: new Error('x', { cause: { c: 1 } }) });
    const value = ns.get('k') as { m: Map<number, { a: number }>; s: Set<number>; d: Date; e: Error & { cause: { c: number } } };
    expect(Object.isFrozen(value)).toBe(true);
    expect(() => value.m.set(2, { a: 2 })).toThrow(TypeError);
    expect(() => value.m.delete(1)).toThrow(TypeError);
    expect(() => value.m.clear()).toThrow(TypeError);
    expect(() => {
      value.m.get(1)!.a = 2;
    }).toThrow(TypeError);
    expect(() => value.s.add(2)).toThrow(TypeError);
    expect(() => value.d.setTime(0)).toThrow(TypeError);
    expect(() => value.d.setFullYear(2000)).toThrow(TypeError);
    expect(() => {
      value.e.cause.c = 2;
    }).toThrow(TypeError);
    // unchanged, for this reader and the next
    expectSame(ns.get('k'), { m: new Map([[1, { a: 1 }]]), s: new Set([1]), d: new Date(5), e: value.e });
    expect(value.d.getTime()).toBe(5);
  });
});
