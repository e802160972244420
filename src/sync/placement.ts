/**
 * Checks where a primitive is placed: inside its buffer, aligned, and with a Waiter bound to
 * the same memory. Returns an Int32Array over the primitive's bytes.
 */
import { InvalidArgTypeError, InvalidArgValueError, OutOfRangeError } from '../errors.js';
import { SYNC_ALIGNMENT } from '../layout/sync.js';
import type { Waiter } from './waiter.js';

/**
 * Checks that `byteLength` bytes at `byteOffset` lie inside `buffer`, aligned: a bad buffer
 * or offset is a typed error naming `what`, never a RangeError from a typed-array view.
 */
export function checkPlacement(
  what: string,
  buffer: ArrayBuffer | SharedArrayBuffer,
  byteOffset: number,
  byteLength: number,
  alignment = SYNC_ALIGNMENT,
): void {
  if (!(buffer instanceof ArrayBuffer) && !(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgTypeError(`${what}: buffer must be an ArrayBuffer or SharedArrayBuffer`);
  }
  if (typeof byteOffset !== 'number' || !Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % alignment !== 0) {
    throw new OutOfRangeError(`${what}: byteOffset must be a non-negative multiple of ${alignment}, got ${String(byteOffset)}`);
  }
  if (byteOffset + byteLength > buffer.byteLength) {
    throw new OutOfRangeError(
      `${what}: needs ${byteLength} bytes at offset ${byteOffset}, but the buffer has ${buffer.byteLength}`,
    );
  }
}

export function placeWords(
  what: string,
  buffer: ArrayBuffer | SharedArrayBuffer,
  byteOffset: number,
  byteLength: number,
  waiter: Waiter,
): Int32Array {
  checkPlacement(what, buffer, byteOffset, byteLength);
  if (typeof waiter !== 'object' || waiter === null || typeof waiter.wait !== 'function') {
    throw new InvalidArgTypeError(`${what}: waiter must be a Waiter`);
  }
  if (waiter.buffer !== buffer) {
    throw new InvalidArgValueError(`${what}: the waiter is bound to another buffer than the primitive`);
  }
  return new Int32Array(buffer, byteOffset, byteLength >> 2);
}
