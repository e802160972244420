/**
 * ValueWriter: the 'msgpack' codec's encoder. One pass over the value writes MessagePack,
 * follows the value rules (value-rules.ts) and refuses what they refuse, and, given a
 * StructureTable, writes plain objects as msgpackr records (records-format.ts).
 *
 * Why not msgpackr's own encoder: it writes -0 as 0, undefined as its extension 0, holes as
 * undefined, lone surrogates as U+FFFD or CESU-8, class instances as plain objects and Maps as
 * maps that read back as objects, all silently; following the rules on top of it took a
 * separate walk over every value plus a second encoder for the values it gets wrong, and its
 * extension hooks are global to the process. Writing the format ourselves is one pass and
 * measured faster (docs/decisions.md, "Codec (issue 11)"); msgpackr's decoder reads it.
 *
 * The buffer is reused: encode() returns a view that is valid until the next encode().
 */
import { Refusal, at, formatKey } from './refusal.js';
import { LOCAL_RECORD_BASE, MAX_RECORD_KEYS, RECORD_DEFINITION_EXT, RECORDS_HEADER_LENGTH, RECORDS_MARKER, SHARED_RECORD_BASE } from './records-format.js';
import { DEFINE_HEADER, LOCAL_HEADER, NOT_A_RECORD, Shapes } from './shapes.js';
import type { StructureTable } from './structure-store.js';
import { timestampLength, writeTimestamp } from './timestamp.js';
import { BIGINT, BY_PROTOTYPE, ENTRIES_OBJECT, INVALID_DATE, LONE_SURROGATES, MAX_DEPTH, SPARSE_ARRAY, UNDEFINED, refusedBecause, type ValueRule } from './value-rules.js';

const OBJECT_PROTOTYPE = Object.prototype;
const ARRAY_PROTOTYPE = Array.prototype;
const UINT8_PROTOTYPE = Uint8Array.prototype;
const DATE_PROTOTYPE = Date.prototype;
const getPrototypeOf = Object.getPrototypeOf;

const INITIAL_LENGTH = 8192;
/** A buffer grown past this for one large value is dropped at the next encode. */
const KEEP_AT_MOST = 1 << 20;
/** Strings shorter than this are encoded by hand; longer ones by TextEncoder. */
const SHORT_STRING = 64;
const textEncoder = new TextEncoder();
const NO_BYTES = new Uint8Array(0);

export class ValueWriter {
  private bytes = new Uint8Array(INITIAL_LENGTH);
  private view = new DataView(this.bytes.buffer);
  private pos = 0;
  private busy = false;
  /** Whether this message wrote a record (and so needs the records header). */
  private recorded = false;
  private readonly shapes: Shapes | null;

  /** With a table: records mode (objects as records, integers 64..127 as uint 8). */
  constructor(table: StructureTable | null) {
    this.shapes = table === null ? null : new Shapes(table);
  }

  /** The bytes of `value`, a view valid until the next encode(); throws a Refusal. */
  encode(value: unknown): Uint8Array {
    // A getter that encodes while we encode (a channel send inside a getter) gets a writer of
    // its own, without records, rather than our half-written buffer.
    if (this.busy) return new ValueWriter(null).encode(value);
    this.busy = true;
    try {
      if (this.bytes.length > KEEP_AT_MOST) this.replaceBuffer(INITIAL_LENGTH);
      const shapes = this.shapes;
      if (shapes === null) {
        this.pos = 0;
        this.write(value, 0);
        return this.bytes.subarray(0, this.pos);
      }
      shapes.beginMessage();
      this.recorded = false;
      this.pos = RECORDS_HEADER_LENGTH;
      this.write(value, 0);
      if (!this.recorded) return this.bytes.subarray(RECORDS_HEADER_LENGTH, this.pos); // plain MessagePack
      this.bytes[0] = RECORDS_MARKER;
      this.bytes[1] = shapes.sharedCount;
      return this.bytes.subarray(0, this.pos);
    } finally {
      this.busy = false;
    }
  }

  private ensure(size: number): void {
    if (this.pos + size > this.bytes.length) this.replaceBuffer(Math.max(this.bytes.length * 2, this.pos + size + INITIAL_LENGTH));
  }

  private replaceBuffer(length: number): void {
    const bytes = new Uint8Array(length);
    bytes.set(this.bytes.subarray(0, Math.min(this.pos, length)));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  private write(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        if (!this.writeString(value)) this.writeBytesRule(LONE_SURROGATES, (LONE_SURROGATES.write as (text: string) => Uint8Array)(value));
        return;
      case 'number':
        this.writeNumber(value);
        return;
      case 'boolean':
        this.ensure(1);
        this.bytes[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case 'object':
        if (value === null) {
          this.ensure(1);
          this.bytes[this.pos++] = 0xc0;
        } else if (depth > MAX_DEPTH) {
          throw new Refusal(`it is nested more than ${MAX_DEPTH} levels deep (or circular)`);
        } else {
          this.writeObject(value, depth);
        }
        return;
      case 'undefined':
        this.writeBytesRule(UNDEFINED, NO_BYTES);
        return;
      case 'bigint':
        this.writeValueRule(BIGINT, value, depth);
        return;
      default:
        throw new Refusal(typeof value === 'function' ? 'a function' : 'a symbol');
    }
  }

  private writeNumber(value: number): void {
    this.ensure(9);
    const bytes = this.bytes;
    if (value >>> 0 === value) {
      if (value < 0x40 || (value < 0x80 && this.shapes === null)) {
        if (value === 0 && 1 / value < 0) this.writeFloat(value); // -0
        else bytes[this.pos++] = value;
      } else if (value < 0x100) {
        bytes[this.pos++] = 0xcc;
        bytes[this.pos++] = value;
      } else if (value < 0x10000) {
        bytes[this.pos++] = 0xcd;
        bytes[this.pos++] = value >> 8;
        bytes[this.pos++] = value & 0xff;
      } else {
        bytes[this.pos++] = 0xce;
        this.view.setUint32(this.pos, value);
        this.pos += 4;
      }
    } else if ((value | 0) === value) {
      if (value >= -0x20) {
        bytes[this.pos++] = value & 0xff;
      } else if (value >= -0x80) {
        bytes[this.pos++] = 0xd0;
        bytes[this.pos++] = value & 0xff;
      } else if (value >= -0x8000) {
        bytes[this.pos++] = 0xd1;
        this.view.setInt16(this.pos, value);
        this.pos += 2;
      } else {
        bytes[this.pos++] = 0xd2;
        this.view.setInt32(this.pos, value);
        this.pos += 4;
      }
    } else {
      this.writeFloat(value); // every other number, NaN and ±Infinity included, is exact as float 64
    }
  }

  private writeFloat(value: number): void {
    this.bytes[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
  }

  /**
   * A MessagePack str; false (and nothing written) for a string with lone surrogates, which
   * UTF-8 cannot carry. Short strings are encoded here, where a lone surrogate shows up on
   * the way at no cost; long ones are checked with isWellFormed, then TextEncoder. The header
   * is sized from the UTF-16 length and moved when the UTF-8 length needs a bigger one.
   */
  private writeString(text: string): boolean {
    const length = text.length;
    this.ensure(length * 3 + 5);
    const bytes = this.bytes;
    const start = this.pos;
    const guess = length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
    let end = start + guess;
    if (length < SHORT_STRING) {
      for (let i = 0; i < length; i++) {
        let unit = text.charCodeAt(i);
        if (unit < 0x80) {
          bytes[end++] = unit;
        } else if (unit < 0x800) {
          bytes[end++] = 0xc0 | (unit >> 6);
          bytes[end++] = 0x80 | (unit & 0x3f);
        } else if (unit < 0xd800 || unit > 0xdfff) {
          bytes[end++] = 0xe0 | (unit >> 12);
          bytes[end++] = 0x80 | ((unit >> 6) & 0x3f);
          bytes[end++] = 0x80 | (unit & 0x3f);
        } else {
          const low = text.charCodeAt(i + 1);
          if (unit > 0xdbff || (low & 0xfc00) !== 0xdc00) return false;
          unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          i++;
          bytes[end++] = 0xf0 | (unit >> 18);
          bytes[end++] = 0x80 | ((unit >> 12) & 0x3f);
          bytes[end++] = 0x80 | ((unit >> 6) & 0x3f);
          bytes[end++] = 0x80 | (unit & 0x3f);
        }
      }
    } else {
      if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
      end += textEncoder.encodeInto(text, bytes.subarray(end)).written;
    }
    const size = end - start - guess;
    const header = size < 0x20 ? 1 : size < 0x100 ? 2 : size < 0x10000 ? 3 : 5;
    if (header !== guess) {
      bytes.copyWithin(start + header, start + guess, end);
      end += header - guess;
    }
    if (header === 1) {
      bytes[start] = 0xa0 | size;
    } else if (header === 2) {
      bytes[start] = 0xd9;
      bytes[start + 1] = size;
    } else if (header === 3) {
      bytes[start] = 0xda;
      bytes[start + 1] = size >> 8;
      bytes[start + 2] = size & 0xff;
    } else {
      bytes[start] = 0xdb;
      this.view.setUint32(start + 1, size);
    }
    this.pos = end;
    return true;
  }

  private writeObject(value: object, depth: number): void {
    const prototype = getPrototypeOf(value) as object | null;
    if (prototype === OBJECT_PROTOTYPE) this.writePlainObject(value as Record<string, unknown>, depth);
    else if (prototype === ARRAY_PROTOTYPE) this.writeArray(value as unknown[], depth);
    else if (prototype === UINT8_PROTOTYPE) this.writeBinary(value as Uint8Array);
    else if (prototype === DATE_PROTOTYPE) this.writeDate(value as Date);
    else {
      const found = BY_PROTOTYPE.get(prototype);
      if (found === undefined) throw new Refusal(refusedBecause(value, prototype));
      if (found.payload === 'bytes') this.writeBytesRule(found, (found.write as (value: object) => Uint8Array)(value));
      else this.writeValueRule(found, value, depth);
    }
  }

  private writePlainObject(object: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(object);
    const size = keys.length;
    if (size === 0) {
      this.ensure(1);
      this.bytes[this.pos++] = 0x80;
      return;
    }
    const shapes = this.shapes;
    if (shapes !== null && size <= MAX_RECORD_KEYS) {
      const shape = shapes.find(keys);
      if (shape === NOT_A_RECORD) {
        this.writeValueRule(ENTRIES_OBJECT, object, depth);
        return;
      }
      this.writeRecordHeader(shapes.header(shape, keys, this.pos), keys);
      let i = 0;
      try {
        for (; i < size; i++) this.write(object[keys[i]!], depth + 1);
      } catch (error) {
        throw at(error, formatKey(keys[i]));
      }
      return;
    }
    const start = this.pos;
    this.ensure(5);
    if (size < 16) {
      this.bytes[this.pos++] = 0x80 | size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xde;
      this.bytes[this.pos++] = size >> 8;
      this.bytes[this.pos++] = size & 0xff;
    } else {
      this.bytes[this.pos++] = 0xdf;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
    let i = 0;
    try {
      for (; i < size; i++) {
        const key = keys[i]!;
        // A map key a reader would refuse ("__proto__") or cannot carry (lone surrogates):
        // start again as a key/value list, applied with defineProperty when read.
        if (key === '__proto__' || !this.writeString(key)) break;
        this.write(object[key], depth + 1);
      }
    } catch (error) {
      throw at(error, formatKey(keys[i]));
    }
    if (i < size) {
      this.rewind(start);
      this.writeValueRule(ENTRIES_OBJECT, object, depth);
    }
  }

  private writeRecordHeader(header: number, keys: readonly string[]): void {
    this.recorded = true;
    this.ensure(3);
    if (header < LOCAL_HEADER) {
      this.bytes[this.pos++] = SHARED_RECORD_BASE + header;
    } else if (header < DEFINE_HEADER) {
      this.bytes[this.pos++] = LOCAL_RECORD_BASE + header - LOCAL_HEADER;
    } else {
      this.bytes[this.pos++] = 0xd4;
      this.bytes[this.pos++] = RECORD_DEFINITION_EXT;
      this.bytes[this.pos++] = LOCAL_RECORD_BASE + header - DEFINE_HEADER;
      this.writeArrayHeader(keys.length);
      for (const key of keys) this.writeString(key); // well-formed: the shape would be NOT_A_RECORD otherwise
    }
  }

  private writeArrayHeader(size: number): void {
    this.ensure(5);
    if (size < 16) {
      this.bytes[this.pos++] = 0x90 | size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xdc;
      this.bytes[this.pos++] = size >> 8;
      this.bytes[this.pos++] = size & 0xff;
    } else {
      this.bytes[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
  }

  private writeArray(array: unknown[], depth: number): void {
    const size = array.length;
    const start = this.pos;
    this.writeArrayHeader(size);
    let i = 0;
    try {
      for (; i < size; i++) {
        const item = array[i];
        if (item === undefined && !(i in array)) break; // a hole
        this.write(item, depth + 1);
      }
    } catch (error) {
      throw at(error, `[${i}]`);
    }
    if (i < size) {
      this.rewind(start);
      this.writeValueRule(SPARSE_ARRAY, array, depth);
    }
  }

  /** Goes back to `start`, forgetting the local structures defined after it. */
  private rewind(start: number): void {
    this.pos = start;
    this.shapes?.forgetAfter(start);
  }

  private writeBinary(bytes: Uint8Array): void {
    const size = bytes.byteLength;
    this.ensure(size + 5);
    if (size < 0x100) {
      this.bytes[this.pos++] = 0xc4;
      this.bytes[this.pos++] = size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xc5;
      this.bytes[this.pos++] = size >> 8;
      this.bytes[this.pos++] = size & 0xff;
    } else {
      this.bytes[this.pos++] = 0xc6;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
    this.bytes.set(bytes, this.pos);
    this.pos += size;
  }

  private writeDate(date: Date): void {
    const ms = date.getTime();
    if (Number.isNaN(ms)) {
      this.writeBytesRule(INVALID_DATE, NO_BYTES);
      return;
    }
    const size = timestampLength(ms);
    this.ensure(size + 3);
    if (size === 4) {
      this.bytes[this.pos++] = 0xd6;
    } else if (size === 8) {
      this.bytes[this.pos++] = 0xd7;
    } else {
      this.bytes[this.pos++] = 0xc7;
      this.bytes[this.pos++] = size;
    }
    this.bytes[this.pos++] = 0xff; // type -1
    this.pos += writeTimestamp(this.view, this.pos, ms);
  }

  /** An extension whose data are `payload`'s bytes. */
  private writeBytesRule(valueRule: ValueRule, payload: Uint8Array): void {
    const size = payload.byteLength;
    if (size >= 0x100000000) throw new Refusal(`a ${valueRule.type} of ${size} bytes (at most 4 GiB)`);
    this.ensure(size + 6);
    if (size < 0x100) {
      this.bytes[this.pos++] = 0xc7;
      this.bytes[this.pos++] = size;
    } else if (size < 0x10000) {
      this.bytes[this.pos++] = 0xc8;
      this.bytes[this.pos++] = size >> 8;
      this.bytes[this.pos++] = size & 0xff;
    } else {
      this.bytes[this.pos++] = 0xc9;
      this.view.setUint32(this.pos, size);
      this.pos += 4;
    }
    this.bytes[this.pos++] = valueRule.ext & 0xff;
    this.bytes.set(payload, this.pos);
    this.pos += size;
  }

  /** An extension whose data are one MessagePack value, the rule's payload (ext 32, length patched in). */
  private writeValueRule(valueRule: ValueRule, value: unknown, depth: number): void {
    const payload = (valueRule.write as (value: unknown) => unknown)(value);
    this.ensure(6);
    this.bytes[this.pos++] = 0xc9;
    const sizeAt = this.pos;
    this.pos += 4;
    this.bytes[this.pos++] = valueRule.ext & 0xff;
    const start = this.pos;
    try {
      this.write(payload, depth + 1);
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
