/**
 * The '@msgpack/msgpack' codec: the value rules (value-rules.ts) written and read through the
 * @msgpack/msgpack library, with one Encoder and one Decoder reused for the life of the
 * channel or namespace. It writes standard MessagePack maps (no msgpackr records), so any
 * MessagePack reader understands its output, and it reads everything the 'msgpack' codec
 * writes except records. It was shmkit's default before issue 11; it stays selectable
 * (`codec: '@msgpack/msgpack'`).
 *
 * Decoding never assigns a key through [[Set]] where "__proto__" could be one: plain maps with
 * that key are refused by @msgpack/msgpack's decoder (our encoders never write one), and the
 * key/value lists of the rules are applied with defineProperty.
 */
import { Decoder, EXT_TIMESTAMP, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { CorruptValueError } from '../errors.js';
import type { Codec } from './codec-types.js';
import { RECORDS_MARKER } from './records-format.js';
import { Refusal, at, formatKey, refusalError } from './refusal.js';
import { BIGINT, BY_EXT, BY_PROTOTYPE, DATE, ENTRIES_OBJECT, INVALID_DATE, LONE_SURROGATES, MAX_DEPTH, SPARSE_ARRAY, UNDEFINED, refusedBecause, type ValueRule } from './value-rules.js';

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
    if (type === EXT_TIMESTAMP) return super.decode(data, type, context); // the library's own reader
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

/** The value rules through @msgpack/msgpack (see the top of this file). */
export function msgpackJavascriptCodec(): Codec {
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
      if (bytes[0] === RECORDS_MARKER) {
        throw new CorruptValueError("bytes with msgpackr records, written by the 'msgpack' codec with shared structures; the '@msgpack/msgpack' codec cannot read records");
      }
      try {
        return decoder.decode(bytes);
      } catch (error) {
        throw new CorruptValueError(`bytes that are not a value (written by another codec, or damaged): ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

