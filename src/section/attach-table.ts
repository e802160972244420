/**
 * The attach table in the section header: one slot per open Section object, holding the
 * owner's pid and start time (so a reused pid is not taken for the dead process) and the
 * doorbell that wakers ring to wake the owner's async waits. Layout: src/layout/section-header.ts.
 */
import { NoSpaceError } from '../errors.js';
import {
  ARMED_FUTEX,
  ARMED_SLOTS_OFFSET,
  ATTACH_CAPACITY,
  SLOT_HIGH_WATER_OFFSET,
  SLOT_ARMED_OFFSET,
  SLOT_PID_OFFSET,
  SLOT_START_TIME_OFFSET,
  slotOffset,
} from '../layout/section-header.js';
import { UNKNOWN_START_TIME, type Platform, type ProcessIdentity } from '../platform/index.js';

export { ARMED_FUTEX, ARMED_WATCHED, SLOT_POKE_OFFSET } from '../layout/section-header.js';

export interface Attachment {
  readonly slot: number;
  readonly pid: number;
  readonly startTime: number;
  readonly alive: boolean;
}

export class AttachTable {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(headerBuffer: ArrayBuffer, private readonly platform: Platform) {
    this.i32 = new Int32Array(headerBuffer);
    this.f64 = new Float64Array(headerBuffer);
  }

  /** Int32 index of a slot field, for Atomics and for futex addresses. */
  static wordIndex(slot: number, fieldOffset: number): number {
    return (slotOffset(slot) + fieldOffset) / 4;
  }

  /**
   * Claims a free slot, or else the slot of a dead process. A claim in progress holds the
   * negated pid until the start time is written, so nobody judges the new owner by the old
   * owner's start time and steals the slot back.
   */
  claim(self: ProcessIdentity): number {
    for (let pass = 0; pass < 2; pass++) {
      for (let slot = 0; slot < ATTACH_CAPACITY; slot++) {
        const pidIndex = AttachTable.wordIndex(slot, SLOT_PID_OFFSET);
        const current = Atomics.load(this.i32, pidIndex);
        if (pass === 0 ? current !== 0 : current === 0 || this.isAlive(slot, current)) continue;
        if (Atomics.compareExchange(this.i32, pidIndex, current, -self.pid) !== current) continue;
        this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = self.startTime;
        this.disarm(slot);
        Atomics.store(this.i32, pidIndex, self.pid); // SYNC POINT: publishes the start time
        const highWater = SLOT_HIGH_WATER_OFFSET / 4;
        for (let seen = Atomics.load(this.i32, highWater); seen < slot + 1; seen = Atomics.load(this.i32, highWater)) {
          if (Atomics.compareExchange(this.i32, highWater, seen, slot + 1) === seen) break;
        }
        return slot;
      }
    }
    throw new NoSpaceError(`the section's attach table is full (${ATTACH_CAPACITY} live attachments)`);
  }

  /** Clears a slot's armed count, keeping the section-wide count of armed slots exact. */
  disarm(slot: number): void {
    if (Atomics.exchange(this.i32, AttachTable.wordIndex(slot, SLOT_ARMED_OFFSET), 0) > 0) {
      Atomics.sub(this.i32, ARMED_SLOTS_OFFSET / 4, 1);
    }
  }

  /**
   * Marks a slot as having async waits pending, so wakers ring its doorbell: ARMED_FUTEX
   * (the owner futex-waits on the doorbell) or ARMED_WATCHED (it also wants a poke, a
   * one-byte write wakers make through their descriptor, which its inotify watch sees).
   */
  arm(slot: number, mode: number = ARMED_FUTEX): void {
    if (Atomics.exchange(this.i32, AttachTable.wordIndex(slot, SLOT_ARMED_OFFSET), mode) === 0) {
      Atomics.add(this.i32, ARMED_SLOTS_OFFSET / 4, 1);
    }
  }

  release(slot: number): void {
    this.disarm(slot);
    this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = 0;
    Atomics.store(this.i32, AttachTable.wordIndex(slot, SLOT_PID_OFFSET), 0);
  }

  /** Every occupied slot with the liveness of its process. */
  attachments(): Attachment[] {
    const found: Attachment[] = [];
    for (let slot = 0; slot < ATTACH_CAPACITY; slot++) {
      const raw = Atomics.load(this.i32, AttachTable.wordIndex(slot, SLOT_PID_OFFSET));
      if (raw === 0) continue;
      const startTime = this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8]!;
      found.push({ slot, pid: Math.abs(raw), startTime, alive: this.isAlive(slot, raw) });
    }
    return found;
  }

  private isAlive(slot: number, rawPid: number): boolean {
    const actual = this.platform.processStartTime(Math.abs(rawPid));
    if (actual === 0) return false;
    if (actual === UNKNOWN_START_TIME) return true; // cannot tell now: never judge a live one dead
    if (rawPid < 0) return true; // claim in progress: judged by pid alone
    const recorded = this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8]!;
    return recorded === 0 || recorded === actual;
  }
}
