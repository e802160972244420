/** What channels, broadcasts and namespaces need of a codec. */
export interface Codec<T = unknown> {
  /**
   * The bytes of `value`. May be a view into a buffer the codec reuses: the channel copies
   * it into the ring before the next encode. Throws for values it cannot encode.
   */
  encode(value: T): Uint8Array;
  /** The value in `bytes`, a view into the ring that is only valid during this call. */
  decode(bytes: Uint8Array): T;
}

/**
 * How a channel, broadcast or namespace picks its codec:
 * - 'msgpack' (the default): MessagePack following the value rules, with msgpackr's record
 *   structures when a structure store is at hand (msgpack-codec.ts);
 * - '@msgpack/msgpack': the same format through the @msgpack/msgpack library, without
 *   records (msgpack-javascript-codec.ts);
 * - 'raw': Uint8Array messages as they are;
 * - or any object with encode and decode.
 */
export type CodecOption = 'msgpack' | '@msgpack/msgpack' | 'raw' | Codec;
