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
 * measured faster (docs/decisions.md, "Codec (issue 11)"). ValueReader reads it; so does
 * msgpackr's decoder, given the structures (a test checks).
 *
 * The buffer is reused (ByteWriter): encode() returns a view that is valid until the next
 * encode().
 */
import { Refusal, at, formatKey } from './refusal.js';
import { LOCAL_RECORD_BASE, MAX_RECORD_KEYS, RECORD_DEFINITION_EXT, RECORDS_HEADER_LENGTH, RECORDS_MARKER, SHARED_RECORD_BASE } from './records-format.js';
import { DEFINE_HEADER, LOCAL_HEADER, NOT_A_RECORD, Shapes } from './shapes.js';
import type { StructureTable } from './structure-store.js';
import { ByteWriter } from './byte-writer.js';
import { BIGINT, BY_PROTOTYPE, ENTRIES_OBJECT, INVALID_DATE, LONE_SURROGATES, MAX_DEPTH, SPARSE_ARRAY, UNDEFINED, refusedBecause, type ValueRule } from './value-rules.js';

const OBJECT_PROTOTYPE = Object.prototype;
const ARRAY_PROTOTYPE = Array.prototype;
const UINT8_PROTOTYPE = Uint8Array.prototype;
const DATE_PROTOTYPE = Date.prototype;
const getPrototypeOf = Object.getPrototypeOf;

const NO_BYTES = new Uint8Array(0);

export class ValueWriter extends ByteWriter {
  private busy = false;
  /** Whether this message wrote a record (and so needs the records header). */
  private recorded = false;
  private readonly shapes: Shapes | null;

  /** With a table: records mode (objects as records, integers 64..127 as uint 8). */
  constructor(table: StructureTable | null) {
    super(table !== null);
    this.shapes = table === null ? null : new Shapes(table);
  }

  /** The bytes of `value`, a view valid until the next encode(); throws a Refusal. */
  encode(value: unknown): Uint8Array {
    // A getter that encodes while we encode (a channel send inside a getter) gets a writer of
    // its own, without records, rather than our half-written buffer.
    if (this.busy) return new ValueWriter(null).encode(value);
    this.busy = true;
    try {
      const shapes = this.shapes;
      if (shapes === null) {
        this.begin(0);
        this.write(value, 0);
        return this.bytes.subarray(0, this.pos);
      }
      shapes.beginMessage();
      this.recorded = false;
      this.begin(RECORDS_HEADER_LENGTH);
      this.write(value, 0);
      if (!this.recorded) return this.bytes.subarray(RECORDS_HEADER_LENGTH, this.pos); // plain MessagePack
      this.bytes[0] = RECORDS_MARKER;
      this.bytes[1] = shapes.sharedCount;
      return this.bytes.subarray(0, this.pos);
    } finally {
      this.busy = false;
    }
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
    this.writeMapHeader(size);
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

  private writeDate(date: Date): void {
    const ms = date.getTime();
    if (Number.isNaN(ms)) this.writeBytesRule(INVALID_DATE, NO_BYTES);
    else this.writeTimestamp(ms);
  }

  /** An extension whose data are `payload`'s bytes. */
  private writeBytesRule(valueRule: ValueRule, payload: Uint8Array): void {
    const size = payload.byteLength;
    if (size >= 0x100000000) throw new Refusal(`a ${valueRule.type} of ${size} bytes (at most 4 GiB)`);
    this.writeExtensionHeader(size, valueRule.ext);
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
