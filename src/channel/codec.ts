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
 * Type bytes after which @msgpack/msgpack hands out views into its input: bin 8/16/32 and the
 * ext family (ExtData.data). A message holding none of them decodes straight from the ring;
 * one that might (a false positive only costs a copy) is copied first, so no decoded
 * Uint8Array ever points into ring memory that the next message will overwrite.
 */
const VIEW_MARKERS = [0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8];

function mayHoldViews(bytes: Uint8Array): boolean {
  for (const marker of VIEW_MARKERS) if (bytes.indexOf(marker) >= 0) return true;
  return false;
}

/** MessagePack: objects, arrays, strings, numbers, booleans, null, Uint8Array, Date. */
export function msgpackCodec(): Codec {
  const encoder = new Encoder();
  const decoder = new Decoder();
  return {
    encode: (value) => encoder.encodeSharedRef(value),
    decode: (bytes) => decoder.decode(mayHoldViews(bytes) ? Uint8Array.prototype.slice.call(bytes) : bytes),
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
