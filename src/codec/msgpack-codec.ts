/**
 * The 'msgpack' codec, shmkit's default: MessagePack that follows THE VALUE RULES, written in
 * one pass by ValueWriter and read by ValueReader, with msgpackr's record structures
 * (records-format.ts) shared through a StructureStore when one is given (a namespace gives
 * its own). Chosen by measurement over @msgpack/msgpack and over msgpackr's own encoder and
 * decoder (docs/decisions.md, "Codec (issue 11)").
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
 *   plain object {}                     map of its own enumerable string keys, or a msgpackr
 *                                       record (records-format.ts) when the codec has a store
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
 * Extension data: for ext 2, 4-8, 10, 11 one nested MessagePack value (the rule's payload),
 * for the others raw bytes. Both codecs write and read exactly this; a message of the
 * 'msgpack' codec with records (first byte 0xc1) is readable by the 'msgpack' codec only.
 *
 * Refused: functions, symbols, class instances (they would come back as plain objects),
 * subclasses of the types above, Promises (await them), WeakMap / WeakSet / WeakRef, boxed
 * primitives, SharedArrayBuffer (it would come back as an unshared copy), values nested more
 * than 100 levels deep, and circular values. Not part of a value (as with JSON and
 * structuredClone): symbol-keyed and non-enumerable properties, extra properties of dense
 * arrays, and object identity (an object referenced twice comes back as two copies).
 *
 * Decoding never lets "__proto__" become a prototype: plain maps or records with that key are
 * refused (our writers never write one), and the key/value lists above are applied with
 * defineProperty.
 */
import { CorruptValueError, InvalidArgTypeError } from '../errors.js';
import type { Codec } from './codec-types.js';
import { Refusal, refusalError } from './refusal.js';
import { StructureTable, type StructureStore } from './structure-store.js';
import { ValueReader } from './value-reader.js';
import { ValueWriter } from './value-writer.js';

/**
 * Options of msgpackCodec(). Options that are not an object, or `structures` without load and
 * save functions, are InvalidArgTypeError.
 */
export interface MsgpackCodecOptions {
  /**
   * Where record structures are shared (a namespace's SharedStructureStore). Without one,
   * objects are plain MessagePack maps.
   */
  structures?: StructureStore;
}

/** MessagePack following the value rules (see the top of this file). */
export function msgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  if (typeof options !== 'object' || options === null) throw new InvalidArgTypeError('msgpackCodec(options): options must be an object');
  const store = options.structures;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.load !== 'function' || typeof store.save !== 'function')) {
    throw new InvalidArgTypeError('options.structures must be a StructureStore (an object with load and save functions)');
  }
  const table = store === undefined ? null : new StructureTable(store);
  const writer = new ValueWriter(table);
  const reader = new ValueReader(table);
  return {
    encode(value) {
      try {
        return writer.encode(value);
      } catch (error) {
        throw error instanceof Refusal ? refusalError(error) : error;
      }
    },
    decode(bytes) {
      try {
        return reader.decode(bytes);
      } catch (error) {
        throw new CorruptValueError(`bytes that are not a value (written by another codec, or damaged): ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
