/**
 * Codecs turn values into bytes for a ring and back. The default is MessagePack through
 * @msgpack/msgpack, with one Encoder and one Decoder reused for the life of the channel.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { InvalidArgTypeError, UnserializableValueError } from '../errors.js';

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

/**
 * A Decoder whose binary values (bin, and the data of ext values) are copies. @msgpack/msgpack
 * hands out views into its input there, and our input is ring or namespace memory that the
 * next message overwrites. Copying only these (not whole messages) keeps decoding of
 * ordinary objects at full speed. decodeBinary is the one place both go through (checked by
 * the channel and namespace tests: a decoded Uint8Array keeps its bytes after the slot is reused).
 */
function copyingDecoder(): Decoder {
  const decoder = new Decoder();
  const patched = decoder as unknown as { decodeBinary(byteLength: number, headOffset: number): Uint8Array };
  const viewing = patched.decodeBinary;
  patched.decodeBinary = function (this: Decoder, byteLength: number, headOffset: number): Uint8Array {
    return viewing.call(this, byteLength, headOffset).slice();
  };
  return decoder;
}

/** MessagePack: objects, arrays, strings, numbers, booleans, null, Uint8Array, Date. */
export function msgpackCodec(): Codec {
  const encoder = new Encoder();
  const decoder = copyingDecoder();
  return {
    encode: (value) => encoder.encodeSharedRef(value),
    decode: (bytes) => decoder.decode(bytes),
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
    if (error instanceof InvalidArgTypeError) throw error;
    throw new UnserializableValueError(`the value cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgTypeError('the codec.encode function must return a Uint8Array');
  }
  return bytes;
}
