/**
 * ByteWriter: MessagePack's own types into a growing buffer that is reused from message to
 * message (ValueWriter adds the value rules and records on top). Sizes are checked once per
 * item with ensure(); `records` changes one thing here: bytes 0x40..0x7f then name record
 * structures, so integers 64..127 are written as uint 8.
 */
import { timestampLength, writeTimestamp } from './timestamp.js';

const INITIAL_LENGTH = 8192;
/** A buffer grown past this for one large value is dropped at the next message. */
const KEEP_AT_MOST = 1 << 20;
/** Strings shorter than this are encoded by hand; longer ones by TextEncoder. */
const SHORT_STRING = 64;
const textEncoder = new TextEncoder();

export class ByteWriter {
  protected bytes = new Uint8Array(INITIAL_LENGTH);
  protected view = new DataView(this.bytes.buffer);
  protected pos = 0;

  constructor(protected readonly records: boolean) {}

  /** Starts a message at byte `at` (room left for a header before it). */
  protected begin(at: number): void {
    if (this.bytes.length > KEEP_AT_MOST) this.replaceBuffer(INITIAL_LENGTH);
    this.pos = at;
  }

  protected ensure(size: number): void {
    if (this.pos + size > this.bytes.length) this.replaceBuffer(Math.max(this.bytes.length * 2, this.pos + size + INITIAL_LENGTH));
  }

  protected replaceBuffer(length: number): void {
    const bytes = new Uint8Array(length);
    bytes.set(this.bytes.subarray(0, Math.min(this.pos, length)));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  protected writeNumber(value: number): void {
    this.ensure(9);
    const bytes = this.bytes;
    if (value >>> 0 === value) {
      if (value < 0x40 || (value < 0x80 && !this.records)) {
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

  protected writeFloat(value: number): void {
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
  protected writeString(text: string): boolean {
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

  protected writeArrayHeader(size: number): void {
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

  protected writeBinary(bytes: Uint8Array): void {
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

  protected writeMapHeader(size: number): void {
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
  }

  /** The header of an extension of `size` data bytes and type `ext` (the data follow). */
  protected writeExtensionHeader(size: number, ext: number): void {
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
    this.bytes[this.pos++] = ext & 0xff;
  }

  /** A valid time as the timestamp extension (type -1), fixext where its length allows. */
  protected writeTimestamp(ms: number): void {
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
}
