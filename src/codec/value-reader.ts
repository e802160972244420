/**
 * ValueReader: the 'msgpack' codec's decoder. It reads what ValueWriter and the
 * '@msgpack/msgpack' codec write (MessagePack, the value rules' extensions, msgpackr records)
 * and turns anything else into an error: every message is a value or a CorruptValueError.
 *
 * Why not msgpackr's decoder: the rules' extensions carry a nested value inside their data,
 * and msgpackr reads such a value only through the readAt callback it gives extensions, which
 * its native string reader (msgpackr-extract, on by default) gets wrong: it extracts the
 * strings of a message ahead, in order, skipping extension data, so a read that jumps into
 * the data takes the next string of the message instead (an Error's code 'E_RANGE' came back
 * as 'E_RAN'). Its extension table is also one per process, shared with every other user of
 * msgpackr. Reading ourselves also checks, as we go, what msgpackr lets pass: a "__proto__"
 * key (msgpackr renames it "__proto_"), a record byte with no structure (msgpackr reads it as
 * a number and goes on), a nested value that does not fill its extension, the C1 byte.
 *
 * The input is read where it is (a view of a ring or a namespace, valid during the call):
 * numbers and strings are read out of it, binary values copied. Nothing is allocated per
 * message besides the values themselves.
 */
import { LOCAL_RECORD_BASE, MAX_LOCAL_STRUCTURES, RECORD_DEFINITION_EXT, RECORDS_HEADER_LENGTH, RECORDS_MARKER } from './records-format.js';
import type { Structure, StructureTable } from './structure-store.js';
import { isValidStructure } from './structure-store.js';
import { TIMESTAMP_EXT } from './timestamp.js';
import { BY_EXT } from './value-rules.js';

/** Containers nested deeper than this are refused (the writers stop at about 200). */
const MAX_NESTING = 1000;
/** A shared structure's reader becomes a compiled object literal after this many records. */
const COMPILE_AFTER = 4;
/** Strings up to this many bytes are looked up in the string cache. */
const KEY_CACHE_MAX_LENGTH = 24;
const KEY_CACHE_SIZE = 512;
const UINT8_PROTOTYPE = Uint8Array.prototype;
const fromCharCode = String.fromCharCode;

/** UTF-8 bytes to a string: Buffer's native slice, which any Uint8Array (shared too) can use. */
const utf8Slice = Buffer.prototype.utf8Slice as unknown as ((this: Uint8Array, start: number, end: number) => string) | undefined;
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (utf8Slice !== undefined) return utf8Slice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/** Floats are read by copying their bytes here (MessagePack is big-endian). */
const float64 = new Float64Array(1);
const float32 = new Float32Array(1);
const float64Bytes = new Uint8Array(float64.buffer);
const float32Bytes = new Uint8Array(float32.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How a structure's records are read: keys, and a compiled reader once it is used often. */
interface RecordReader {
  readonly keys: Structure;
  uses: number;
  compiled: ((reader: ValueReader) => object) | null;
}

export class ValueReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private nesting = 0;
  /** Records of the message: shared structures (by index), then those it defines itself. */
  private records = false;
  private readonly shared: RecordReader[] = [];
  private readonly locals: (RecordReader | undefined)[] = [];
  private localsUsed = false;
  /** Short strings seen lately, by a hash of their length and first and last bytes. */
  private readonly keys: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

  constructor(private readonly table: StructureTable | null) {}

  /** The value in `bytes`; throws (any error) if they are not exactly one. */
  decode(input: Uint8Array): unknown {
    // A Buffer (or other subclass) would make our binary copies Buffers: read a plain view.
    const bytes = Object.getPrototypeOf(input) === UINT8_PROTOTYPE ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const length = bytes.length;
    if (length === 0) throw new Error('no bytes');
    this.bytes = bytes;
    this.pos = 0;
    this.end = length;
    this.nesting = 0;
    this.records = false;
    try {
      if (bytes[0] === RECORDS_MARKER) {
        if (this.table === null) throw new Error('bytes with records, and this codec has no structure store');
        if (length <= RECORDS_HEADER_LENGTH) throw new Error('a records message without a value');
        this.requireShared(bytes[1]!);
        this.records = true;
        this.pos = RECORDS_HEADER_LENGTH;
      }
      if (this.localsUsed) {
        this.locals.fill(undefined);
        this.localsUsed = false;
      }
      const value = this.read();
      if (this.pos !== length) throw new Error(`${length - this.pos} bytes after the value`);
      return value;
    } finally {
      this.bytes = NO_BYTES; // do not keep the caller's memory alive
    }
  }

  /** Makes sure the first `count` shared structures are known, loading them if need be. */
  private requireShared(count: number): void {
    if (count <= this.shared.length) return;
    const keys = this.table!.keys;
    if (count > keys.length) this.table!.reload();
    for (let i = this.shared.length; i < keys.length; i++) this.shared.push({ keys: keys[i]!, uses: 0, compiled: null });
    if (count > this.shared.length) throw new Error(`a message that needs ${count} shared structures, and the store has ${this.shared.length}`);
  }

  /** Moves past `size` bytes, returning where they start. */
  private take(size: number): number {
    const at = this.pos;
    if (at + size > this.end) throw new Error('unexpected end of the bytes');
    this.pos = at + size;
    return at;
  }

  private u16(at: number): number {
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }

  private u32(at: number): number {
    const bytes = this.bytes;
    return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
  }

  private float(at: number, size: 4 | 8): number {
    const target = size === 8 ? float64Bytes : float32Bytes;
    const bytes = this.bytes;
    for (let i = 0; i < size; i++) target[LITTLE_ENDIAN ? size - 1 - i : i] = bytes[at + i]!;
    return size === 8 ? float64[0]! : float32[0]!;
  }

  /** One value. Not private: compiled record readers call it. */
  read(): unknown {
    if (this.pos >= this.end) throw new Error('unexpected end of the bytes');
    const bytes = this.bytes;
    const token = bytes[this.pos++]!;
    if (token < 0x80) return token < 0x40 || !this.records ? token : this.readRecord(token);
    if (token < 0x90) return this.readMap(token & 0x0f);
    if (token < 0xa0) return this.readArray(token & 0x0f);
    if (token < 0xc0) return this.readFixString(token & 0x1f);
    if (token >= 0xe0) return token - 0x100;
    switch (token) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.readBinary(bytes[this.take(1)]!);
      case 0xc5: return this.readBinary(this.u16(this.take(2)));
      case 0xc6: return this.readBinary(this.u32(this.take(4)));
      case 0xc7: return this.readExtension(bytes[this.take(1)]!);
      case 0xc8: return this.readExtension(this.u16(this.take(2)));
      case 0xc9: return this.readExtension(this.u32(this.take(4)));
      case 0xca: return this.float(this.take(4), 4);
      case 0xcb: return this.float(this.take(8), 8);
      case 0xcc: return bytes[this.take(1)]!;
      case 0xcd: return this.u16(this.take(2));
      case 0xce: return this.u32(this.take(4));
      case 0xcf: return this.int64(this.u32(this.take(8)), this.u32(this.pos - 4));
      case 0xd0: return (bytes[this.take(1)]! << 24) >> 24;
      case 0xd1: return (this.u16(this.take(2)) << 16) >> 16;
      case 0xd2: return this.u32(this.take(4)) | 0;
      case 0xd3: return this.int64(this.u32(this.take(8)) | 0, this.u32(this.pos - 4));
      case 0xd4: return bytes[this.pos] === RECORD_DEFINITION_EXT && this.records ? this.readDefinition() : this.readExtension(1);
      case 0xd5: return this.readExtension(2);
      case 0xd6: return this.readExtension(4);
      case 0xd7: return this.readExtension(8);
      case 0xd8: return this.readExtension(16);
      case 0xd9: return this.readString(bytes[this.take(1)]!);
      case 0xda: return this.readString(this.u16(this.take(2)));
      case 0xdb: return this.readString(this.u32(this.take(4)));
      case 0xdc: return this.readArray(this.u16(this.take(2)));
      case 0xdd: return this.readArray(this.u32(this.take(4)));
      case 0xde: return this.readMap(this.u16(this.take(2)));
      case 0xdf: return this.readMap(this.u32(this.take(4)));
      default: throw new Error(`the byte 0x${token.toString(16)}, which MessagePack never uses`); // 0xc1
    }
  }

  /** int 64 / uint 64 as a number, as the writers mean it (a bigint travels as extension 2). */
  private int64(high: number, low: number): number {
    const value = high * 0x100000000 + low;
    if (!Number.isSafeInteger(value)) throw new Error('a 64-bit integer beyond 2^53');
    return value;
  }

  /** The str of `size` bytes at the current position. */
  private readString(size: number): string {
    const start = this.take(size);
    if (size < 16) {
      // Short strings are mostly ASCII (keys, tags, ids): built here without a native call.
      const bytes = this.bytes;
      let text = '';
      for (let i = start; i < start + size; i++) {
        const byte = bytes[i]!;
        if (byte >= 0x80) return decodeUtf8(bytes, start, start + size);
        text += fromCharCode(byte);
      }
      return text;
    }
    return decodeUtf8(this.bytes, start, start + size);
  }

  /** A map key: a str (through the cache when short) or a number. */
  private readKey(): string {
    const token = this.bytes[this.pos]!;
    if (token >= 0xa0 && token < 0xc0) {
      this.pos++;
      return this.readFixString(token & 0x1f);
    }
    const key = this.read();
    if (typeof key === 'string') return key;
    if (typeof key === 'number') return String(key);
    throw new Error(`a map key of type ${typeof key}, where objects have string keys`);
  }

  /**
   * A fixstr (under 32 bytes). Short ASCII ones come from a cache, as keys and tag-like
   * values repeat from message to message: a hit compares bytes and allocates nothing.
   */
  private readFixString(size: number): string {
    if (size >= KEY_CACHE_MAX_LENGTH || this.pos + size > this.end) return this.readString(size);
    const bytes = this.bytes;
    const start = this.pos;
    const slot = (size * 31 + (size > 0 ? bytes[start]! * 7 + bytes[start + size - 1]! : 0)) & (KEY_CACHE_SIZE - 1);
    const cached = this.keys[slot];
    if (cached !== undefined && cached.length === size) {
      let i = 0;
      while (i < size && cached.charCodeAt(i) === bytes[start + i]) i++;
      if (i === size) {
        this.pos = start + size;
        return cached;
      }
    }
    const text = this.readString(size);
    if (text.length === size) this.keys[slot] = text; // ASCII only: one byte per character
    return text;
  }

  private readBinary(size: number): Uint8Array {
    const start = this.take(size);
    return this.bytes.slice(start, start + size); // a copy: the input is reused
  }

  private enter(): void {
    if (++this.nesting > MAX_NESTING) throw new Error(`values nested more than ${MAX_NESTING} levels deep`);
  }

  private readArray(size: number): unknown[] {
    if (size > this.end - this.pos) throw new Error('an array longer than the bytes left');
    this.enter();
    const array = new Array<unknown>(size);
    for (let i = 0; i < size; i++) array[i] = this.read();
    this.nesting--;
    return array;
  }

  private readMap(size: number): Record<string, unknown> {
    if (size * 2 > this.end - this.pos) throw new Error('a map longer than the bytes left');
    this.enter();
    const object: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const name = this.readKey();
      if (name === '__proto__') throw new Error('a "__proto__" map key (our writers send such objects as key/value lists)');
      object[name] = this.read();
    }
    this.nesting--;
    return object;
  }

  private readExtension(size: number): unknown {
    const type = (this.bytes[this.take(1)]! << 24) >> 24;
    const start = this.take(size);
    if (type === TIMESTAMP_EXT) return this.readDate(start, size);
    const rule = BY_EXT.get(type);
    if (rule === undefined) throw new Error(`an unknown MessagePack extension type ${type}`);
    const read = rule.read as (payload: unknown) => unknown;
    if (rule.payload === 'bytes') return read(this.bytes.subarray(start, start + size));
    // One nested value that must fill the data exactly.
    const end = this.end;
    this.pos = start;
    this.end = start + size;
    this.enter();
    const payload = this.read();
    if (this.pos !== this.end) throw new Error(`a ${rule.type} extension whose data are not one value`);
    this.nesting--;
    this.end = end;
    return read(payload);
  }

  /** The timestamp extension's data (timestamp.ts's readTimestamp, without a DataView). */
  private readDate(start: number, size: number): Date {
    if (size === 4) return new Date(this.u32(start) * 1000);
    if (size === 8) {
      const high = this.u32(start);
      return new Date(((high & 3) * 0x100000000 + this.u32(start + 4)) * 1000 + Math.floor(high / 4) / 1e6);
    }
    if (size === 12) return new Date(((this.u32(start + 4) | 0) * 0x100000000 + this.u32(start + 8)) * 1000 + this.u32(start) / 1e6);
    throw new Error(`a timestamp of ${size} bytes`);
  }

  /** A record of shared structure (token - 0x40) or of a local structure this message defined. */
  private readRecord(token: number): object {
    const index = token - 0x40;
    const reader = index < this.shared.length ? this.shared[index]! : this.locals[index - (LOCAL_RECORD_BASE - 0x40)];
    if (reader === undefined) throw new Error(`a record of structure 0x${token.toString(16)}, which neither the message nor the shared structures define`);
    return this.readFields(reader);
  }

  /** 0xd4 0x72 id [keys] values: defines a local structure and reads its first record. */
  private readDefinition(): object {
    this.pos++;
    const id = this.bytes[this.take(1)]!;
    if (id < LOCAL_RECORD_BASE || id >= LOCAL_RECORD_BASE + MAX_LOCAL_STRUCTURES) throw new Error(`a record definition for id 0x${id.toString(16)}`);
    const keys = this.read();
    if (!isValidStructure(keys)) throw new Error('a record definition whose keys cannot be an object');
    const reader: RecordReader = { keys, uses: -Infinity, compiled: null }; // local: never compiled
    this.locals[id - LOCAL_RECORD_BASE] = reader;
    this.localsUsed = true;
    return this.readFields(reader);
  }

  private readFields(reader: RecordReader): object {
    const keys = reader.keys;
    if (keys.length > this.end - this.pos) throw new Error('a record longer than the bytes left');
    this.enter();
    let object: object;
    if (reader.compiled !== null) {
      object = reader.compiled(this);
    } else {
      if (++reader.uses >= COMPILE_AFTER) {
        reader.compiled = compileRecord(keys);
        if (reader.compiled === null) reader.uses = -Infinity; // no code from strings here: stay generic
      }
      const record: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) record[keys[i]!] = this.read();
      object = record;
    }
    this.nesting--;
    return object;
  }
}

const NO_BYTES = new Uint8Array(0);

/**
 * An object literal with the structure's keys in order, each value from reader.read(): V8
 * makes such objects from one template, which beats adding the properties one by one. The
 * keys are valid structure keys (never "__proto__", which a literal would turn into a
 * prototype) and go in as JSON string literals, so no key can be code. Null where code from
 * strings is not allowed.
 */
function compileRecord(keys: Structure): ((reader: ValueReader) => object) | null {
  if (keys.includes('__proto__')) throw new Error('a "__proto__" record key'); // isValidStructure already refuses it
  const fields = keys.map((key) => `${JSON.stringify(key)}: r.read()`).join(', ');
  try {
    return new Function('r', `return { ${fields} };`) as (reader: ValueReader) => object;
  } catch {
    return null; // node --disallow-code-generation-from-strings
  }
}
