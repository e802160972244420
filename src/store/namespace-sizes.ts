/**
 * What Namespace.open's `size` and `maxSize` mean (docs/decisions.md, "Growth"):
 * - neither: a growable namespace reserving 1 GiB and committing a few pages; where the OS
 *   cannot grow shared memory, a fixed 16 MiB as before;
 * - size alone: a fixed-size namespace, everything committed at create (what `size` always
 *   meant, so code written before growth keeps its limit and its memory);
 * - maxSize (with or without size): growable up to maxSize, committing `size` (default: a
 *   few pages) at create.
 */
import { InvalidArgValueError } from '../errors.js';
import { validateInteger } from '../validate.js';
import { DEFAULT_MAX_SIZE, DEFAULT_NAMESPACE_SIZE, initialCommit, MAX_NAMESPACE_SIZE, MIN_NAMESPACE_SIZE } from './namespace-format.js';

/** Bytes to commit at create (`size`) and to reserve (`maxSize`, >= size). */
export function namespaceSizes(sizeOption: unknown, maxSizeOption: unknown, growable: boolean): { size: number; maxSize: number } {
  const size = sizeOption === undefined ? undefined : validateInteger(sizeOption, 'options.size', MIN_NAMESPACE_SIZE, MAX_NAMESPACE_SIZE);
  const maxSize = maxSizeOption === undefined ? undefined : validateInteger(maxSizeOption, 'options.maxSize', MIN_NAMESPACE_SIZE, MAX_NAMESPACE_SIZE);
  if (maxSize === undefined) {
    if (size !== undefined) return { size, maxSize: size };
    return growable ? { size: initialCommit(DEFAULT_MAX_SIZE), maxSize: DEFAULT_MAX_SIZE } : { size: DEFAULT_NAMESPACE_SIZE, maxSize: DEFAULT_NAMESPACE_SIZE };
  }
  if (size !== undefined && size > maxSize) {
    throw new InvalidArgValueError(`options.size (${size}) must not exceed options.maxSize (${maxSize})`);
  }
  return { size: size ?? Math.min(maxSize, initialCommit(maxSize)), maxSize };
}
