/**
 * An owner word: a process identity packed into one 32-bit word, so that a lock's owner is
 * set by the same CAS that takes the lock (no window in which the lock is held but the owner
 * unknown) and a futex can wait on it.
 *
 *   31  30  29            22 21                               0
 *  +---+---+----------------+----------------------------------+
 *  | 0 | W | start-time hash|               pid                |
 *  +---+---+----------------+----------------------------------+
 *
 * - pid: 22 bits (Linux's pid_max is at most 2^22; macOS pids are below 100,000).
 * - start-time hash: 8 bits of the owner's process start time, so a pid reused by a new
 *   process is (with probability 255/256) not mistaken for the dead owner. A collision only
 *   delays recovery; it never takes a lock from a live owner.
 * - W: "waiters may be parked": the releaser must wake someone.
 * - 0 means free. Bit 31 stays clear so the word is a positive Int32.
 */

export const OWNER_PID_MASK = 0x003f_ffff;
export const OWNER_HASH_SHIFT = 22;
export const OWNER_HASH_MASK = 0xff;
export const OWNER_WAITERS_BIT = 0x4000_0000;
export const OWNER_MAX_PID = OWNER_PID_MASK;

export function startTimeHash(startTime: number): number {
  const low = startTime >>> 0;
  const high = Math.floor(startTime / 2 ** 32) >>> 0;
  return (Math.imul(low ^ Math.imul(high, 0x85eb_ca6b), 0x9e37_79b1) >>> 24) & OWNER_HASH_MASK;
}

export function ownerWord(pid: number, startTime: number): number {
  return ((startTimeHash(startTime) << OWNER_HASH_SHIFT) | (pid & OWNER_PID_MASK)) >>> 0;
}

export function ownerPid(word: number): number {
  return word & OWNER_PID_MASK;
}

export function ownerHash(word: number): number {
  return (word >>> OWNER_HASH_SHIFT) & OWNER_HASH_MASK;
}
