/**
 * Ring kinds by name, and opening the right ring class over memory that holds one.
 */
import { InvalidArgValueError } from '../errors.js';
import { RING_HEADER_LENGTH, RING_KIND_MPMC, RING_KIND_MPSC, RING_KIND_OFFSET, RING_KIND_SPSC } from '../layout/ring.js';
import type { Waiter } from '../sync/waiter.js';
import { MpmcQueue } from './mpmc-queue.js';
import { MpscRing } from './mpsc-ring.js';
import { RING_ALIGNMENT, type RingBase } from './ring-base.js';
import { checkPlacement } from '../sync/placement.js';
import { SpscRing } from './spsc-ring.js';

/**
 * Who may use a channel: 'spsc' one sender and one receiver, 'mpsc' many senders and one
 * receiver, 'mpmc' many of both (each message to one receiver: a work queue).
 */
export type RingKind = 'spsc' | 'mpsc' | 'mpmc';

const CODES: Record<RingKind, number> = { spsc: RING_KIND_SPSC, mpsc: RING_KIND_MPSC, mpmc: RING_KIND_MPMC };

export function ringKindCode(kind: unknown): number {
  const code = CODES[kind as RingKind];
  if (code === undefined) throw new InvalidArgValueError(`options.kind must be 'spsc', 'mpsc' or 'mpmc', got ${String(kind)}`);
  return code;
}

export function ringKindName(code: number): RingKind | undefined {
  return (Object.keys(CODES) as RingKind[]).find((name) => CODES[name] === code);
}

/** The ring at `byteOffset`, of whatever kind its header says. */
export function attachRing(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, waiter: Waiter): RingBase {
  checkPlacement('a ring', buffer, byteOffset, RING_HEADER_LENGTH, RING_ALIGNMENT);
  const code = new Int32Array(buffer, byteOffset, 4)[RING_KIND_OFFSET >> 2];
  if (code === RING_KIND_SPSC) return new SpscRing(buffer, byteOffset, waiter);
  if (code === RING_KIND_MPSC) return new MpscRing(buffer, byteOffset, waiter);
  if (code === RING_KIND_MPMC) return new MpmcQueue(buffer, byteOffset, waiter);
  return new SpscRing(buffer, byteOffset, waiter); // reports the bad header as CorruptChannelError
}
