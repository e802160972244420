/**
 * Reads the sync primitives (src/layout/sync.ts) without touching them: who holds a mutex
 * and whether it lives, a semaphore's count, an event's state, a barrier's parties.
 */
import { OWNER_WAITERS_BIT } from '../layout/owner.js';
import {
  BARRIER_ARRIVED_OFFSET,
  BARRIER_BROKEN_OFFSET,
  BARRIER_ENTRY_LENGTH,
  BARRIER_GENERATION_OFFSET,
  BARRIER_MAX_PARTIES,
  BARRIER_PARTIES_OFFSET,
  BARRIER_TABLE_OFFSET,
  BARRIER_WAITERS_OFFSET,
  EVENT_FLAG_MANUAL_RESET,
  EVENT_FLAGS_OFFSET,
  EVENT_GENERATION_OFFSET,
  EVENT_LENGTH,
  EVENT_STATE_OFFSET,
  EVENT_WAITERS_OFFSET,
  MUTEX_LENGTH,
  MUTEX_OWNER_OFFSET,
  MUTEX_RECOVERIES_OFFSET,
  MUTEX_THREAD_OFFSET,
  SEMAPHORE_COUNT_OFFSET,
  SEMAPHORE_LENGTH,
  SEMAPHORE_WAITERS_OFFSET,
  barrierLength,
} from '../layout/sync.js';
import { ownerReport, type OwnerReport } from './liveness.js';

export interface MutexReport {
  locked: boolean;
  owner: OwnerReport | null;
  /** Someone may be parked waiting for it (the owner word's W bit). */
  waiters: boolean;
  /** Times the lock was taken over from a dead owner. */
  recoveries: number;
}

export interface SemaphoreReport {
  count: number;
  waiters: number;
}

export interface EventReport {
  state: 'set' | 'reset';
  manualReset: boolean;
  /** +1 on every set(). */
  generation: number;
  waiters: number;
}

export interface BarrierReport {
  parties: number;
  /** Parties arrived in this generation. */
  arrived: number;
  /** +1 each time the barrier opened. */
  generation: number;
  broken: boolean;
  waiters: number;
  /** Registered parties (each registers on its first arrive), with their liveness. */
  registered: OwnerReport[];
}

function words(buffer: ArrayBuffer, at: number, length: number, what: string): Int32Array {
  if (at < 0 || (at & 3) !== 0 || at + length > buffer.byteLength) throw new Error(`the ${what} lies outside the section`);
  return new Int32Array(buffer, at, length >> 2);
}

export function readMutex(buffer: ArrayBuffer, at: number): MutexReport {
  const w = words(buffer, at, MUTEX_LENGTH, 'mutex');
  const word = Atomics.load(w, MUTEX_OWNER_OFFSET >> 2);
  const owner = word & ~OWNER_WAITERS_BIT;
  return {
    locked: owner !== 0,
    owner: ownerReport(owner, owner === 0 ? null : Atomics.load(w, MUTEX_THREAD_OFFSET >> 2)),
    waiters: (word & OWNER_WAITERS_BIT) !== 0,
    recoveries: Atomics.load(w, MUTEX_RECOVERIES_OFFSET >> 2),
  };
}

export function readSemaphore(buffer: ArrayBuffer, at: number): SemaphoreReport {
  const w = words(buffer, at, SEMAPHORE_LENGTH, 'semaphore');
  return { count: Atomics.load(w, SEMAPHORE_COUNT_OFFSET >> 2), waiters: Atomics.load(w, SEMAPHORE_WAITERS_OFFSET >> 2) };
}

export function readEvent(buffer: ArrayBuffer, at: number): EventReport {
  const w = words(buffer, at, EVENT_LENGTH, 'event');
  return {
    state: Atomics.load(w, EVENT_STATE_OFFSET >> 2) !== 0 ? 'set' : 'reset',
    manualReset: (Atomics.load(w, EVENT_FLAGS_OFFSET >> 2) & EVENT_FLAG_MANUAL_RESET) !== 0,
    generation: Atomics.load(w, EVENT_GENERATION_OFFSET >> 2) >>> 0,
    waiters: Atomics.load(w, EVENT_WAITERS_OFFSET >> 2),
  };
}

export function readBarrier(buffer: ArrayBuffer, at: number): BarrierReport {
  const head = words(buffer, at, BARRIER_TABLE_OFFSET, 'barrier');
  const parties = Atomics.load(head, BARRIER_PARTIES_OFFSET >> 2);
  if (parties < 1 || parties > BARRIER_MAX_PARTIES) throw new Error(`the barrier says it has ${parties} parties (damaged, or not initialised)`);
  const w = words(buffer, at, barrierLength(parties), 'barrier');
  const registered: OwnerReport[] = [];
  for (let i = 0; i < parties; i++) {
    const entry = (BARRIER_TABLE_OFFSET + i * BARRIER_ENTRY_LENGTH) >> 2;
    const owner = ownerReport(Atomics.load(w, entry), Atomics.load(w, entry + 1));
    if (owner) registered.push(owner);
  }
  return {
    parties,
    arrived: Atomics.load(w, BARRIER_ARRIVED_OFFSET >> 2),
    generation: Atomics.load(w, BARRIER_GENERATION_OFFSET >> 2) >>> 0,
    broken: Atomics.load(w, BARRIER_BROKEN_OFFSET >> 2) !== 0,
    waiters: Atomics.load(w, BARRIER_WAITERS_OFFSET >> 2),
    registered,
  };
}
