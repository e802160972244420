/**
 * Codecs turn values into bytes for a ring or a namespace and back. The default is MessagePack
 * through @msgpack/msgpack, with one Encoder and one Decoder reused for the life of the
 * channel or namespace, following the value rules below on every path (channels, broadcasts,
 * ns.set / update / vars, caches, heap-held messages).
 *
 * THE VALUE RULES. A value either comes back equal, with the same types, or is refused with
 * UnserializableValueError before anything is written; nothing silently changes.
 *
 *   JS value                            travels as (MessagePack)
 *   null, true, false                   nil, bool
 *   number (NaN, ±Infinity, -0 too)     int or float 64 (-0 as float 64)
 *   string                              str; a string with lone surrogates: ext 9 (UTF-16 units)
 *   undefined (also inside values)      ext 1, no data (ns.set(k, undefined) still deletes)
 *   bigint                              ext 2 (decimal digits)
 *   plain object {}                     map of its own enumerable string keys
 *     with a "__proto__" key or a key
 *     with lone surrogates              ext 6 (key/value list), read back as own properties
 *   object without prototype            ext 7 (key/value list), read back without prototype
 *   array                               array; with holes: ext 8 (length, index/value list)
 *   Uint8Array                          bin
 *   Date / invalid Date                 timestamp ext -1 / ext 3
 *   Map, Set                            ext 4, ext 5 (entries, items; any values as keys)
 *   Error and its 7 built-in kinds      ext 10 (kind, message, stack, cause, errors, own props)
 *   RegExp                              ext 11 (source, flags; lastIndex is not kept)
 *   ArrayBuffer, DataView, Buffer       ext 12, 13, 14 (bytes)
 *   Int8Array ... BigUint64Array        ext 16 + kind (bytes in this machine's byte order)
 *
 * Refused: functions, symbols, class instances (they would come back as plain objects),
 * subclasses of the types above, Promises (await them), WeakMap / WeakSet / WeakRef, boxed
 * primitives, SharedArrayBuffer (it would come back as an unshared copy), values nested more
 * than 100 levels deep, and circular values. Not part of a value (as with JSON and
 * structuredClone): symbol-keyed and non-enumerable properties, extra properties of dense
 * arrays, and object identity (an object referenced twice comes back as two copies).
 *
 * Decoding never assigns a key through [[Set]] where "__proto__" could be one: plain maps with
 * that key are refused by @msgpack/msgpack's decoder (our encoder never writes one), and the
 * key/value lists above are applied with defineProperty. The rules are the table VALUE_RULES:
 * a msgpackr codec would register the same extension types (addExtension) from it.
 */
import { Decoder, EXT_TIMESTAMP, Encoder, ExtensionCodec, decodeTimestampExtension, encodeTimestampExtension } from '@msgpack/msgpack';
import { CorruptValueError, InvalidArgTypeError, UnserializableValueError } from '../errors.js';

export interface Codec<T = unknown> {
  /**
   * The bytes of `value`. May be a view into a buffer the codec reuses: the channel copies
   * it into the ring before the next encode. Throws for values it cannot encode.
   */
  encode(value: T): Uint8Array;
  /** The value in `bytes`, a view into the ring that is only valid during this call. */
  decode(bytes: Uint8Array): T;
}

export type CodecOption = 'msgpack' | 'raw' | Codec;

// ---------------------------------------------------------------- the value rules

/** How a value MessagePack has no type for travels: an extension of type `ext`. */
interface ValueRule {
  readonly type: string;
  readonly ext: number;
  /** 'bytes': the extension's data are raw bytes; 'value': one nested MessagePack value. */
  readonly payload: 'bytes' | 'value';
  /** The payload of `value` (a Uint8Array for 'bytes'). */
  write(value: never): unknown;
  /** The value back from its payload; throws if the payload cannot be one. */
  read(payload: never): unknown;
  /** Where a refusal inside the payload list at `index` is, for the error message. */
  where?(index: number, payload: unknown[]): string;
}

const NO_BYTES = new Uint8Array(0);
const MAX_DEPTH = 100;
const ERROR_KINDS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError];
const TYPED_ARRAYS = [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
type TypedArrayKind = (typeof TYPED_ARRAYS)[number];

const rule = <W, R>(r: { type: string; ext: number; payload: 'bytes' | 'value'; write(value: W): unknown; read(payload: R): unknown; where?(index: number, payload: unknown[]): string }): ValueRule =>
  r as unknown as ValueRule;

/**
 * Key/value lists (payload [k0, v0, k1, v1, ...]), read back with defineProperty. Values are
 * read with [[Get]] as on the fast path (getters run; an own "__proto__" shadows the accessor).
 */
function entriesOf(object: object, into: unknown[] = []): unknown[] {
  for (const key of Object.keys(object)) into.push(key, (object as Record<string, unknown>)[key]);
  return into;
}
function defineEntries<T extends object>(target: T, list: unknown[], from = 0): T {
  if ((list.length - from) % 2 !== 0) throw new Error('a key/value list of odd length');
  for (let i = from; i < list.length; i += 2) {
    const key = list[i];
    if (typeof key !== 'string') throw new Error('a key that is not a string');
    Object.defineProperty(target, key, { value: list[i + 1], writable: true, enumerable: true, configurable: true });
  }
  return target;
}
const whereEntry = (from: number) => (index: number, list: unknown[]) => (index < from ? `<${index}>` : (index - from) % 2 === 0 ? `<key ${(index - from) >> 1}>` : formatKey(list[index - 1]));
function list(payload: unknown, what: string): unknown[] {
  if (!Array.isArray(payload)) throw new Error(`a ${what} payload that is not a list`);
  return payload;
}
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

const UNDEFINED = rule({ type: 'undefined', ext: 1, payload: 'bytes', write: () => NO_BYTES, read: () => undefined });
const BIGINT = rule({
  type: 'bigint', ext: 2, payload: 'value',
  write: (value: bigint) => value.toString(),
  read: (digits: unknown) => {
    if (typeof digits !== 'string' || !/^-?\d+$/.test(digits)) throw new Error('a bigint payload that is not digits');
    return BigInt(digits);
  },
});
const DATE = rule({ type: 'Date', ext: EXT_TIMESTAMP, payload: 'bytes', write: (date: Date) => encodeTimestampExtension(date), read: decodeTimestampExtension });
const INVALID_DATE = rule({ type: 'invalid Date', ext: 3, payload: 'bytes', write: () => NO_BYTES, read: () => new Date(NaN) });
const MAP = rule({
  type: 'Map', ext: 4, payload: 'value',
  write: (map: Map<unknown, unknown>) => {
    const out: unknown[] = [];
    for (const [key, value] of map) out.push(key, value);
    return out;
  },
  read: (payload: unknown) => {
    const items = list(payload, 'Map');
    if (items.length % 2 !== 0) throw new Error('a Map payload of odd length');
    const map = new Map();
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
    return map;
  },
  where: (index) => `<Map ${index % 2 === 0 ? 'key' : 'value'} ${index >> 1}>`,
});
const SET = rule({ type: 'Set', ext: 5, payload: 'value', write: (set: Set<unknown>) => [...set], read: (payload: unknown) => new Set(list(payload, 'Set')), where: (index) => `<Set item ${index}>` });
const ENTRIES_OBJECT = rule({ type: 'object with a __proto__ key', ext: 6, payload: 'value', write: (object: object) => entriesOf(object), read: (payload: unknown) => defineEntries({}, list(payload, 'object')), where: whereEntry(0) });
const NULL_PROTOTYPE = rule({ type: 'object without prototype', ext: 7, payload: 'value', write: (object: object) => entriesOf(object), read: (payload: unknown) => defineEntries(Object.create(null) as object, list(payload, 'object')), where: whereEntry(0) });
const SPARSE_ARRAY = rule({
  type: 'array with holes', ext: 8, payload: 'value',
  write: (array: unknown[]) => entriesOf(array, [array.length]),
  read: (payload: unknown) => {
    const items = list(payload, 'array');
    const length = items[0];
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 2 ** 32 - 1) throw new Error('an array payload without a length');
    return defineEntries(new Array(length), items, 1);
  },
  where: whereEntry(1),
});
const LONE_SURROGATES = rule({
  type: 'string with lone surrogates', ext: 9, payload: 'bytes',
  write: (text: string) => {
    const units = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
    return new Uint8Array(units.buffer);
  },
  read: (bytes: Uint8Array) => {
    if (bytes.byteLength % 2 !== 0) throw new Error('a UTF-16 payload of odd length');
    const units = new Uint16Array(ownBytes(bytes).buffer);
    let text = '';
    for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.subarray(i, i + 4096));
    return text;
  },
});
const ERROR = rule({
  type: 'Error', ext: 10, payload: 'value',
  // [kind, message, stack, has cause, cause, errors, ...own enumerable key/value list]
  write: (error: Error) => {
    const own = (key: string) => (Object.hasOwn(error, key) ? (error as unknown as Record<string, unknown>)[key] : undefined);
    const kind = ERROR_KINDS.findIndex((kind) => kind.prototype === Object.getPrototypeOf(error));
    return entriesOf(error, [kind, own('message'), own('stack'), Object.hasOwn(error, 'cause'), own('cause'), own('errors')]);
  },
  read: (payload: unknown) => {
    const items = list(payload, 'Error');
    const [kind, message, stack, hasCause, cause, errors] = items;
    const Kind = ERROR_KINDS[kind as number];
    if (Kind === undefined || (message !== undefined && typeof message !== 'string')) throw new Error('an Error payload of no known kind');
    const error = Kind === AggregateError ? new AggregateError([], message as string | undefined) : new (Kind as ErrorConstructor)(message as string | undefined);
    const hidden = (key: string, value: unknown) => Object.defineProperty(error, key, { value, writable: true, enumerable: false, configurable: true });
    if (stack === undefined) delete error.stack;
    else hidden('stack', stack);
    if (hasCause === true) hidden('cause', cause);
    if (errors !== undefined) hidden('errors', errors);
    return defineEntries(error, items, 6);
  },
  where: (index, items) => (index === 4 ? '.cause' : index === 5 ? '.errors' : whereEntry(6)(index, items)),
});
const REGEXP = rule({
  type: 'RegExp', ext: 11, payload: 'value',
  write: (regexp: RegExp) => [regexp.source, regexp.flags],
  read: (payload: unknown) => {
    const [source, flags] = list(payload, 'RegExp');
    if (typeof source !== 'string' || typeof flags !== 'string') throw new Error('a RegExp payload without source and flags');
    return new RegExp(source, flags);
  },
});
const ARRAY_BUFFER = rule({ type: 'ArrayBuffer', ext: 12, payload: 'bytes', write: (buffer: ArrayBuffer) => new Uint8Array(buffer), read: (bytes: Uint8Array) => ownBytes(bytes).buffer });
const DATA_VIEW = rule({ type: 'DataView', ext: 13, payload: 'bytes', write: bytesOf, read: (bytes: Uint8Array) => new DataView(ownBytes(bytes).buffer) });
const BUFFER = rule({ type: 'Buffer', ext: 14, payload: 'bytes', write: bytesOf, read: (bytes: Uint8Array) => Buffer.from(ownBytes(bytes).buffer) });
const typedArray = (Kind: TypedArrayKind, index: number) =>
  rule({
    type: Kind.name, ext: 16 + index, payload: 'bytes', write: bytesOf,
    read: (bytes: Uint8Array) => {
      if (bytes.byteLength % Kind.BYTES_PER_ELEMENT !== 0) throw new Error(`a ${Kind.name} payload of ${bytes.byteLength} bytes`);
      return new Kind(ownBytes(bytes).buffer as ArrayBuffer);
    },
  });

/** Every rule, with the prototypes it serves (undefined: chosen by the encoder, not by prototype). */
export const VALUE_RULES: ReadonlyArray<readonly [ValueRule, readonly (object | null)[]]> = [
  [UNDEFINED, []], [BIGINT, []], [LONE_SURROGATES, []], [INVALID_DATE, []], [ENTRIES_OBJECT, []], [SPARSE_ARRAY, []],
  [DATE, [Date.prototype]], [MAP, [Map.prototype]], [SET, [Set.prototype]], [NULL_PROTOTYPE, [null]],
  [ERROR, ERROR_KINDS.map((kind) => kind.prototype)], [REGEXP, [RegExp.prototype]], [ARRAY_BUFFER, [ArrayBuffer.prototype]],
  [DATA_VIEW, [DataView.prototype]], [BUFFER, [Buffer.prototype]],
  ...TYPED_ARRAYS.map((Kind, index) => [typedArray(Kind, index), [Kind.prototype]] as const),
];
const BY_PROTOTYPE = new Map<object | null, ValueRule>();
const BY_EXT = new Map<number, ValueRule>();
for (const [valueRule, prototypes] of VALUE_RULES) {
  BY_EXT.set(valueRule.ext, valueRule);
  for (const prototype of prototypes) BY_PROTOTYPE.set(prototype, valueRule);
}

/** Why a value is refused, in words a user can act on. */
function refusedBecause(value: object, prototype: object | null): string {
  if (typeof value === 'function') return 'a function';
  if (value instanceof Promise) return 'a Promise (await it and store the result)';
  if (value instanceof SharedArrayBuffer) return 'a SharedArrayBuffer (it would come back as an unshared copy; store new Uint8Array(sab) for its bytes)';
  const name = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  const base = [...BY_PROTOTYPE.keys(), Object.prototype, Array.prototype, Uint8Array.prototype].find((p) => p !== null && p.isPrototypeOf(value));
  if (base && base !== Object.prototype) return `an instance of ${String(name)}, a subclass of ${(base as { constructor: { name: string } }).constructor.name} (it would come back as the base class)`;
  if ([Number, String, Boolean, BigInt, Symbol].some((box) => prototype === box.prototype)) return `a boxed ${String(name)} (store the primitive)`;
  const what = typeof name === 'string' && name ? name : 'an unknown class';
  return `an instance of ${what}, not a type a value may hold (plain objects, arrays, Map, Set, Date, RegExp, Error, binary data and primitives; a class instance would lose its class)`;
}

/** A refusal on its way up; collects the path to the refused part of the value. */
class Refusal extends Error {
  readonly path: string[] = [];
}
function at(error: unknown, segment: string): unknown {
  if (error instanceof Refusal) error.path.unshift(segment);
  return error;
}
function formatKey(key: unknown): string {
  return typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
function refusalError(refusal: Refusal): UnserializableValueError {
  const path = refusal.path.length > 12 ? [...refusal.path.slice(0, 8), '…', ...refusal.path.slice(-3)] : refusal.path;
  return new UnserializableValueError(`cannot encode value${path.join('')}: ${refusal.message}; nothing was written`);
}

// ---------------------------------------------------------------- encoding

/** The parts of @msgpack/msgpack's Encoder that ValueEncoder overrides or calls (v3). */
interface EncoderInternals {
  pos: number;
  view: DataView;
  bytes: Uint8Array;
  ensureBufferSizeToWrite(size: number): void;
  encodeSharedRef(value: unknown): Uint8Array;
  clone(): EncoderInternals;
  doEncode(value: unknown, depth: number): void;
  encodeObject(value: object, depth: number): void;
  encodeNil(): void;
  encodeBoolean(value: boolean): void;
  encodeNumber(value: number): void;
  encodeNumberAsFloat(value: number): void;
  encodeString(value: string): void;
  encodeBinary(value: Uint8Array): void;
  writeU8(value: number): void;
  writeU16(value: number): void;
  writeU32(value: number): void;
  writeI8(value: number): void;
  writeU8a(value: Uint8Array): void;
}
const EncoderBase = Encoder as unknown as new () => EncoderInternals;
const textEncoder = new TextEncoder();

/** The UTF-8 length of `text`, or -1 if it has a lone surrogate (which UTF-8 cannot carry). */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length++;
    else if (unit < 0x800) length += 2;
    else if (unit < 0xd800 || unit > 0xdfff) length += 3;
    else if (unit < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) (length += 4, i++);
    else return -1;
  }
  return length;
}

/**
 * An Encoder that follows the value rules. Plain objects, arrays, Uint8Arrays, strings and
 * numbers take the library's own paths (plus a key check and a -0 check); everything else is
 * found by prototype in VALUE_RULES or refused. The extension types that carry a nested value
 * are written in place (ext 32 header, the value, then its length patched in).
 */
class ValueEncoder extends EncoderBase {
  override clone(): EncoderInternals {
    return new ValueEncoder(); // a getter that sends while we encode gets the same rules
  }

  override doEncode(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.encodeString(value);
        return;
      case 'number':
        if (value === 0 && 1 / value < 0) this.encodeNumberAsFloat(value);
        else this.encodeNumber(value);
        return;
      case 'boolean':
        this.encodeBoolean(value);
        return;
      case 'object':
        if (value === null) this.encodeNil();
        else if (depth > MAX_DEPTH) throw new Refusal(`it is nested more than ${MAX_DEPTH} levels deep (or circular)`);
        else this.encodeObject(value, depth);
        return;
      case 'undefined':
        this.encodeRule(UNDEFINED, value, depth);
        return;
      case 'bigint':
        this.encodeRule(BIGINT, value, depth);
        return;
      default:
        throw new Refusal(typeof value === 'function' ? 'a function' : 'a symbol');
    }
  }

  override encodeObject(value: object, depth: number): void {
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype === Object.prototype) this.encodePlain(value as Record<string, unknown>, depth);
    else if (prototype === Array.prototype) this.encodeList(value as unknown[], depth);
    else if (prototype === Uint8Array.prototype) this.encodeBinary(value as Uint8Array);
    else {
      let found = BY_PROTOTYPE.get(prototype);
      if (found === undefined) throw new Refusal(refusedBecause(value, prototype));
      if (found === DATE && Number.isNaN((value as Date).getTime())) found = INVALID_DATE;
      this.encodeRule(found, value, depth);
    }
  }

  private encodePlain(object: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(object);
    const size = keys.length;
    const start = this.pos;
    if (size < 16) this.writeU8(0x80 + size);
    else if (size < 0x10000) (this.writeU8(0xde), this.writeU16(size));
    else (this.writeU8(0xdf), this.writeU32(size));
    let i = 0;
    try {
      for (; i < size; i++) {
        const key = keys[i]!;
        // A map key the decoder refuses ("__proto__") or cannot carry (lone surrogates):
        // start again as a key/value list, applied with defineProperty when read.
        if (key === '__proto__' || !this.writeString(key)) break;
        this.doEncode(object[key], depth + 1);
      }
    } catch (error) {
      throw at(error, formatKey(keys[i]));
    }
    if (i < size) {
      this.pos = start;
      this.encodeRule(ENTRIES_OBJECT, object, depth);
    }
  }

  override encodeString(text: string): void {
    if (!this.writeString(text)) this.encodeRule(LONE_SURROGATES, text, 0);
  }

  /**
   * A MessagePack str, as the library writes it; false (and nothing written) for a string
   * with lone surrogates, which UTF-8 would turn into U+FFFD. Found while counting the UTF-8
   * length, which the library does anyway, so well-formed strings cost nothing more.
   */
  private writeString(text: string): boolean {
    const length = utf8Length(text);
    if (length < 0) return false;
    if (length < 32) this.writeU8(0xa0 + length);
    else if (length < 0x100) (this.writeU8(0xd9), this.writeU8(length));
    else if (length < 0x10000) (this.writeU8(0xda), this.writeU16(length));
    else (this.writeU8(0xdb), this.writeU32(length));
    this.ensureBufferSizeToWrite(length);
    const bytes = this.bytes;
    let at = this.pos;
    if (text.length > 50) textEncoder.encodeInto(text, bytes.subarray(at, at + length));
    else if (length === text.length) for (let i = 0; i < length; i++) bytes[at++] = text.charCodeAt(i);
    else {
      for (let i = 0; i < text.length; i++) {
        let unit = text.charCodeAt(i);
        if (unit < 0x80) bytes[at++] = unit;
        else if (unit < 0x800) (bytes[at++] = 0xc0 | (unit >> 6), (bytes[at++] = 0x80 | (unit & 0x3f)));
        else if (unit < 0xd800 || unit > 0xdfff) (bytes[at++] = 0xe0 | (unit >> 12), (bytes[at++] = 0x80 | ((unit >> 6) & 0x3f)), (bytes[at++] = 0x80 | (unit & 0x3f)));
        else {
          unit = 0x10000 + ((unit - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
          bytes[at++] = 0xf0 | (unit >> 18);
          bytes[at++] = 0x80 | ((unit >> 12) & 0x3f);
          bytes[at++] = 0x80 | ((unit >> 6) & 0x3f);
          bytes[at++] = 0x80 | (unit & 0x3f);
        }
      }
    }
    this.pos += length;
    return true;
  }

  private encodeList(array: unknown[], depth: number): void {
    const size = array.length;
    const start = this.pos;
    if (size < 16) this.writeU8(0x90 + size);
    else if (size < 0x10000) (this.writeU8(0xdc), this.writeU16(size));
    else (this.writeU8(0xdd), this.writeU32(size));
    let i = 0;
    try {
      for (; i < size; i++) {
        const item = array[i];
        if (item === undefined && !(i in array)) break; // a hole
        this.doEncode(item, depth + 1);
      }
    } catch (error) {
      throw at(error, `[${i}]`);
    }
    if (i < size) {
      this.pos = start;
      this.encodeRule(SPARSE_ARRAY, array, depth);
    }
  }

  private encodeRule(valueRule: ValueRule, value: unknown, depth: number): void {
    const payload = (valueRule.write as (value: unknown) => unknown)(value);
    if (valueRule.payload === 'bytes') {
      const bytes = payload as Uint8Array;
      const size = bytes.byteLength;
      if (size < 0x100) (this.writeU8(0xc7), this.writeU8(size));
      else if (size < 0x10000) (this.writeU8(0xc8), this.writeU16(size));
      else if (size < 0x100000000) (this.writeU8(0xc9), this.writeU32(size));
      else throw new Refusal(`a ${valueRule.type} of ${size} bytes (at most 4 GiB)`);
      this.writeI8(valueRule.ext);
      this.writeU8a(bytes);
      return;
    }
    this.writeU8(0xc9);
    const sizeAt = this.pos;
    this.writeU32(0);
    this.writeI8(valueRule.ext);
    const start = this.pos;
    try {
      this.doEncode(payload, depth + 1);
    } catch (error) {
      // The payload list's "[i]" becomes where that is in the value ("<Map value 2>", ".cause").
      if (error instanceof Refusal && Array.isArray(payload) && error.path[0]?.startsWith('[')) {
        const index = Number(error.path[0].slice(1, -1));
        error.path[0] = valueRule.where ? valueRule.where(index, payload) : `<${valueRule.type} ${index}>`;
      }
      throw error;
    }
    this.view.setUint32(sizeAt, this.pos - start);
  }
}

// ---------------------------------------------------------------- decoding

/**
 * Extension types as the rules say; an unknown type is an error (the library would hand out
 * an ExtData object, a silent change). Payloads of 'value' rules are decoded by a decoder of
 * their own nesting level.
 */
class ValueExtensions extends ExtensionCodec {
  override decode(data: Uint8Array, type: number, context: undefined): unknown {
    if (type === EXT_TIMESTAMP) return super.decode(data, type, context);
    const found = BY_EXT.get(type);
    if (found === undefined) throw new Error(`an unknown MessagePack extension type ${type}`);
    const read = found.read as (payload: unknown) => unknown;
    if (found.payload === 'bytes') return read(data);
    if (nesting >= MAX_DEPTH) throw new Error(`values nested more than ${MAX_DEPTH} levels deep`);
    const decoder = (nested[nesting] ??= copyingDecoder());
    nesting++;
    try {
      return read(decoder.decode(data));
    } finally {
      nesting--;
    }
  }
}
const extensions = new ValueExtensions();
const nested: Decoder[] = [];
let nesting = 0;

/**
 * A Decoder whose binary values (bin, and the data of ext values) are copies. @msgpack/msgpack
 * hands out views into its input there, and our input is ring or namespace memory that the
 * next message overwrites. Copying only these (not whole messages) keeps decoding of
 * ordinary objects at full speed. decodeBinary is the one place both go through (checked by
 * the channel and namespace tests: a decoded Uint8Array keeps its bytes after the slot is reused).
 */
function copyingDecoder(): Decoder {
  const decoder = new Decoder({ extensionCodec: extensions });
  const patched = decoder as unknown as { decodeBinary(byteLength: number, headOffset: number): Uint8Array };
  const viewing = patched.decodeBinary;
  patched.decodeBinary = function (this: Decoder, byteLength: number, headOffset: number): Uint8Array {
    return viewing.call(this, byteLength, headOffset).slice();
  };
  return decoder;
}

/** MessagePack following the value rules (see the top of this file). */
export function msgpackCodec(): Codec {
  const encoder = new ValueEncoder();
  const decoder = copyingDecoder();
  return {
    encode(value) {
      try {
        return encoder.encodeSharedRef(value);
      } catch (error) {
        throw error instanceof Refusal ? refusalError(error) : error;
      }
    },
    decode(bytes) {
      try {
        return decoder.decode(bytes);
      } catch (error) {
        throw new CorruptValueError(`bytes that are not a value (written by another codec, or damaged): ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** Raw bytes: send a Uint8Array, receive a copy of it. */
export function rawCodec(): Codec<Uint8Array> {
  return {
    encode(value) {
      if (!(value instanceof Uint8Array)) {
        throw new InvalidArgTypeError(`a raw channel sends Uint8Array values, got ${typeof value}`);
      }
      return value;
    },
    decode: (bytes) => new Uint8Array(bytes), // a copy: the ring's bytes are reused
  };
}

export function resolveCodec(option: unknown): Codec {
  if (option === undefined || option === 'msgpack') return msgpackCodec();
  if (option === 'raw') return rawCodec() as Codec;
  if (
    typeof option === 'object' && option !== null &&
    typeof (option as Codec).encode === 'function' && typeof (option as Codec).decode === 'function'
  ) {
    return option as Codec;
  }
  throw new InvalidArgTypeError("options.codec must be 'msgpack', 'raw' or an object with encode and decode functions");
}

/** Encodes, turning a codec's failure into UnserializableValueError (nothing written yet). */
export function encodeValue(codec: Codec, value: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(value);
  } catch (error) {
    if (error instanceof InvalidArgTypeError || error instanceof UnserializableValueError) throw error;
    throw new UnserializableValueError(`the value cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgTypeError('the codec.encode function must return a Uint8Array');
  }
  return bytes;
}

// ---------------------------------------------------------------- frozen values

function refuseChange(): never {
  throw new TypeError('a value read from a namespace is frozen: copy it to change it (new Map(value), structuredClone(value), ...)');
}
const MUTATORS = new Map<object, string[]>([
  [Map.prototype, ['set', 'delete', 'clear']],
  [Set.prototype, ['add', 'delete', 'clear']],
  [Date.prototype, Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'))],
]);

/**
 * Deep-freezes a decoded value that will be handed to many readers: Object.freeze, and for
 * Map, Set and Date (whose contents freeze does not protect) own mutator methods that throw.
 * Binary values (typed arrays, ArrayBuffer, DataView, Buffer) cannot be frozen by JavaScript.
 */
export function freezeValue(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  const prototype = Object.getPrototypeOf(value) as object | null;
  const mutators = MUTATORS.get(prototype as object);
  if (mutators) for (const name of mutators) Object.defineProperty(value, name, { value: refuseChange });
  Object.freeze(value);
  if (prototype === Map.prototype) {
    for (const [key, item] of value as Map<unknown, unknown>) (freezeValue(key), freezeValue(item));
  } else if (prototype === Set.prototype) {
    for (const item of value as Set<unknown>) freezeValue(item);
  } else if (value instanceof Error) {
    freezeValue((value as { cause?: unknown }).cause);
    freezeValue((value as { errors?: unknown }).errors);
  }
  for (const key of Object.keys(value)) freezeValue(Object.getOwnPropertyDescriptor(value, key)!.value);
}
