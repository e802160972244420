/** Codec options to codecs, and the encode step every writer of values goes through. */
import { InvalidArgTypeError, UnserializableValueError } from '../errors.js';
import type { Codec } from './codec-types.js';
import { msgpackJavascriptCodec } from './msgpack-javascript-codec.js';
import { msgpackCodec } from './msgpack-codec.js';
import { rawCodec } from './raw.js';
import type { StructureStore } from './structure-store.js';

/**
 * The codec for a `codec` option (see CodecOption). `structures` is where a default
 * ('msgpack') codec shares its record structures, if the caller has a store.
 */
export function resolveCodec(option: unknown, context: { structures?: StructureStore } = {}): Codec {
  if (option === undefined || option === 'msgpack') return msgpackCodec(context.structures === undefined ? {} : { structures: context.structures });
  if (option === '@msgpack/msgpack') return msgpackJavascriptCodec();
  if (option === 'raw') return rawCodec() as Codec;
  if (
    typeof option === 'object' && option !== null &&
    typeof (option as Codec).encode === 'function' && typeof (option as Codec).decode === 'function'
  ) {
    return option as Codec;
  }
  throw new InvalidArgTypeError("options.codec must be 'msgpack', '@msgpack/msgpack', 'raw' or an object with encode and decode functions");
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
