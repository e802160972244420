/**
 * Layouts of the sync primitives. Each sits at any 8-byte aligned offset of a section or a
 * SharedArrayBuffer; all-zero bytes are a valid initial state (unlocked, count 0, reset),
 * except where `initialize` writes a parameter (semaphore count, event flags, barrier parties).
 *
 * Mutex (16 bytes)
 * +---------------------------------------------------------------+ +0
 * | owner word (i32): 0 free, else pid|hash|W (layout/owner.ts)   |  futex word
 * +---------------------------------------------------------------+ +4
 * | owner thread id (i32): threadId of the holder, for unlock      |
 * +---------------------------------------------------------------+ +8
 * | recoveries (i32): times the lock was taken from a dead owner  |
 * +---------------------------------------------------------------+ +12
 * | reserved                                                      |
 * +---------------------------------------------------------------+ +16
 *
 * Semaphore (16 bytes)
 * +---------------------------------------------------------------+ +0
 * | count (i32): permits available                                |  futex word
 * +---------------------------------------------------------------+ +4
 * | waiters (i32): threads parked or about to park                |
 * +---------------------------------------------------------------+ +8
 * | reserved (8 bytes)                                            |
 * +---------------------------------------------------------------+ +16
 *
 * Event (16 bytes)
 * +---------------------------------------------------------------+ +0
 * | state (i32): 0 reset, 1 set                                   |
 * +---------------------------------------------------------------+ +4
 * | generation (i32): +1 on every set()                           |  futex word
 * +---------------------------------------------------------------+ +8
 * | waiters (i32)                                                 |
 * +---------------------------------------------------------------+ +12
 * | flags (i32): bit 0 manual reset                               |
 * +---------------------------------------------------------------+ +16
 *
 * Barrier (24 + 8 × parties bytes)
 * +---------------------------------------------------------------+ +0
 * | arrived (i32): parties arrived in this generation             |
 * +---------------------------------------------------------------+ +4
 * | generation (i32): +1 each time the barrier opens              |  futex word
 * +---------------------------------------------------------------+ +8
 * | parties (i32)                                                 |
 * +---------------------------------------------------------------+ +12
 * | broken (i32): 0, or 1 once a party died or timed out          |
 * +---------------------------------------------------------------+ +16
 * | waiters (i32)                                                 |
 * +---------------------------------------------------------------+ +20
 * | reserved                                                      |
 * +---------------------------------------------------------------+ +24
 * | party table: parties × { owner word (i32), thread id (i32) }  |
 * +---------------------------------------------------------------+
 *
 * Who writes what: every field is written with Atomics by whichever party acts; the futex
 * word of each is what waiters park on, and every change to it that a waiter must see is
 * followed by a notify when `waiters` (or the W bit) says someone may be parked.
 */

const i32 = 4;

let offset = 0;
export const MUTEX_OWNER_OFFSET = offset; offset += i32;
export const MUTEX_THREAD_OFFSET = offset; offset += i32;
export const MUTEX_RECOVERIES_OFFSET = offset; offset += i32;
offset += i32; // reserved
export const MUTEX_LENGTH = offset;

offset = 0;
export const SEMAPHORE_COUNT_OFFSET = offset; offset += i32;
export const SEMAPHORE_WAITERS_OFFSET = offset; offset += i32;
offset += 2 * i32; // reserved
export const SEMAPHORE_LENGTH = offset;

offset = 0;
export const EVENT_STATE_OFFSET = offset; offset += i32;
export const EVENT_GENERATION_OFFSET = offset; offset += i32;
export const EVENT_WAITERS_OFFSET = offset; offset += i32;
export const EVENT_FLAGS_OFFSET = offset; offset += i32;
export const EVENT_LENGTH = offset;
export const EVENT_FLAG_MANUAL_RESET = 1;

offset = 0;
export const BARRIER_ARRIVED_OFFSET = offset; offset += i32;
export const BARRIER_GENERATION_OFFSET = offset; offset += i32;
export const BARRIER_PARTIES_OFFSET = offset; offset += i32;
export const BARRIER_BROKEN_OFFSET = offset; offset += i32;
export const BARRIER_WAITERS_OFFSET = offset; offset += i32;
offset += i32; // reserved
export const BARRIER_TABLE_OFFSET = offset;
export const BARRIER_ENTRY_LENGTH = 2 * i32;
export const BARRIER_MAX_PARTIES = 4096;

export function barrierLength(parties: number): number {
  return BARRIER_TABLE_OFFSET + parties * BARRIER_ENTRY_LENGTH;
}

/** Every primitive starts on an 8-byte boundary. */
export const SYNC_ALIGNMENT = 8;
