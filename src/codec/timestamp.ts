/**
 * The MessagePack timestamp extension (type -1) for Date values: 32 bits of seconds when the
 * time is whole seconds in [1970, 2106), 64 bits (30 of nanoseconds, 34 of seconds) up to
 * 2514, else 96 bits (32 of nanoseconds, a signed 64-bit second count). Every JavaScript Date
 * fits; msgpackr, @msgpack/msgpack and other MessagePack readers understand all three.
 */
export const TIMESTAMP_EXT = -1;

/** The data length of the timestamp of `ms` (milliseconds since 1970): 4, 8 or 12. */
export function timestampLength(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0 || seconds > 0x3ffffffff) return 12;
  return seconds <= 0xffffffff && ms === seconds * 1000 ? 4 : 8;
}

/** Writes the timestamp data of `ms` at `at`; returns its length (timestampLength). */
export function writeTimestamp(view: DataView, at: number, ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanoseconds = (ms - seconds * 1000) * 1e6;
  const length = timestampLength(ms);
  if (length === 4) {
    view.setUint32(at, seconds);
  } else if (length === 8) {
    view.setUint32(at, nanoseconds * 4 + Math.floor(seconds / 0x100000000));
    view.setUint32(at + 4, seconds >>> 0);
  } else {
    view.setUint32(at, nanoseconds);
    view.setBigInt64(at + 4, BigInt(seconds));
  }
  return length;
}

/** The Date in timestamp data; throws for a length that is not 4, 8 or 12. */
export function readTimestamp(bytes: Uint8Array): Date {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes.byteLength) {
    case 4:
      return new Date(view.getUint32(0) * 1000);
    case 8: {
      const high = view.getUint32(0);
      return new Date(((high & 3) * 0x100000000 + view.getUint32(4)) * 1000 + Math.floor(high / 4) / 1e6);
    }
    case 12:
      return new Date(Number(view.getBigInt64(4)) * 1000 + view.getUint32(0) / 1e6);
    default:
      throw new Error(`a timestamp of ${bytes.byteLength} bytes`);
  }
}
