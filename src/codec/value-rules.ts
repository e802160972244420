/**
 * THE VALUE RULES: how each JavaScript value that MessagePack has no type for travels, as a
 * MessagePack extension. Both codecs ('msgpack' and '@msgpack/msgpack') write and read these
 * same extensions, so each reads what the other wrote; the numbers are part of the stored
 * format of file-backed namespaces (changing one is a format change). The table of which
 * value travels how is at the top of msgpack-codec.ts.
 *
 * A rule's payload is either raw bytes ('bytes') or one nested MessagePack value ('value', for
 * example a Map's [k0, v0, k1, v1, ...] list), which the encoders write inside the extension's
 * data and the decoders read from there.
 */
import { TIMESTAMP_EXT, readTimestamp, timestampLength, writeTimestamp } from './timestamp.js';
import { formatKey } from './refusal.js';

/** How a value MessagePack has no type for travels: an extension of type `ext`. */
export interface ValueRule {
  readonly type: string;
  readonly ext: number;
  /** 'bytes': the extension's data are raw bytes; 'value': one nested MessagePack value. */
  readonly payload: 'bytes' | 'value';
  /** The payload of `value` (a Uint8Array for 'bytes'). */
  write(value: never): unknown;
  /** The value back from its payload (a view that is only valid during the call, for 'bytes'); throws if the payload cannot be one. */
  read(payload: never): unknown;
  /** Where a refusal inside the payload list at `index` is, for the error message. */
  where?(index: number, payload: unknown[]): string;
}

/** Values nested deeper than this are refused (and circular values with them). */
export const MAX_DEPTH = 100;

const NO_BYTES = new Uint8Array(0);
export const ERROR_KINDS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError];
const TYPED_ARRAYS = [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
type TypedArrayKind = (typeof TYPED_ARRAYS)[number];

const rule = <W, R>(r: { type: string; ext: number; payload: 'bytes' | 'value'; write(value: W): unknown; read(payload: R): unknown; where?(index: number, payload: unknown[]): string }): ValueRule =>
  r as unknown as ValueRule;

/**
 * Key/value lists (payload [k0, v0, k1, v1, ...]), read back with defineProperty, so a
 * "__proto__" key becomes an own property and never a prototype. Values are read with [[Get]]
 * as on the fast path (getters run; an own "__proto__" shadows the accessor).
 */
export function entriesOf(object: object, into: unknown[] = []): unknown[] {
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
/** The bytes as an own copy unless they already are one (decoders hand out views of their input). */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer) ? bytes : bytes.slice();
}
function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export const UNDEFINED = rule({ type: 'undefined', ext: 1, payload: 'bytes', write: () => NO_BYTES, read: () => undefined });
export const BIGINT = rule({
  type: 'bigint', ext: 2, payload: 'value',
  write: (value: bigint) => value.toString(),
  read: (digits: unknown) => {
    if (typeof digits !== 'string' || !/^-?\d+$/.test(digits)) throw new Error('a bigint payload that is not digits');
    return BigInt(digits);
  },
});
export const DATE = rule({
  type: 'Date', ext: TIMESTAMP_EXT, payload: 'bytes',
  write: (date: Date) => {
    const ms = date.getTime();
    const bytes = new Uint8Array(timestampLength(ms));
    writeTimestamp(new DataView(bytes.buffer), 0, ms);
    return bytes;
  },
  read: readTimestamp,
});
export const INVALID_DATE = rule({ type: 'invalid Date', ext: 3, payload: 'bytes', write: () => NO_BYTES, read: () => new Date(NaN) });
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
export const ENTRIES_OBJECT = rule({ type: 'object with a __proto__ key', ext: 6, payload: 'value', write: (object: object) => entriesOf(object), read: (payload: unknown) => defineEntries({}, list(payload, 'object')), where: whereEntry(0) });
const NULL_PROTOTYPE = rule({ type: 'object without prototype', ext: 7, payload: 'value', write: (object: object) => entriesOf(object), read: (payload: unknown) => defineEntries(Object.create(null) as object, list(payload, 'object')), where: whereEntry(0) });
export const SPARSE_ARRAY = rule({
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
export const LONE_SURROGATES = rule({
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

/** Every rule, with the prototypes it serves (none: chosen by the encoder, not by prototype). */
export const VALUE_RULES: ReadonlyArray<readonly [ValueRule, readonly (object | null)[]]> = [
  [UNDEFINED, []], [BIGINT, []], [LONE_SURROGATES, []], [INVALID_DATE, []], [ENTRIES_OBJECT, []], [SPARSE_ARRAY, []],
  [DATE, [Date.prototype]], [MAP, [Map.prototype]], [SET, [Set.prototype]], [NULL_PROTOTYPE, [null]],
  [ERROR, ERROR_KINDS.map((kind) => kind.prototype)], [REGEXP, [RegExp.prototype]], [ARRAY_BUFFER, [ArrayBuffer.prototype]],
  [DATA_VIEW, [DataView.prototype]], [BUFFER, [Buffer.prototype]],
  ...TYPED_ARRAYS.map((Kind, index) => [typedArray(Kind, index), [Kind.prototype]] as const),
];
/** The rule for each prototype a value may have (besides Object, Array and Uint8Array, which MessagePack has types for). */
export const BY_PROTOTYPE = new Map<object | null, ValueRule>();
/** The rule for each extension type. */
export const BY_EXT = new Map<number, ValueRule>();
for (const [valueRule, prototypes] of VALUE_RULES) {
  BY_EXT.set(valueRule.ext, valueRule);
  for (const prototype of prototypes) BY_PROTOTYPE.set(prototype, valueRule);
}

/** Why a value is refused, in words a user can act on. */
export function refusedBecause(value: object, prototype: object | null): string {
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
