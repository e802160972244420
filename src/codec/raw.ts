import { InvalidArgTypeError } from '../errors.js';
import type { Codec } from './codec-types.js';

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
