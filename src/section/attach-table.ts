/**
 * The attach table in the section header: one slot per open Section object, holding the
 * owner's pid and start time (so a reused pid is not taken for the dead process) and the
 * doorbell that wakers ring to wake the owner's async waits. Layout: src/layout/section-header.ts.
 *
 * A slot is freed by its owner (close, or its thread's normal exit: release-at-exit.ts) or,
 * if the owner died without either (SIGKILL, a crash), by the next process that attaches
 * (reapDead). So dead attachments last only until the section's next open: a section is
 * stale when its last users died and nobody has opened it since.
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
import { sleepSync } from './handshake.js';

export { ARMED_FUTEX, ARMED_WATCHED, SLOT_POKE_OFFSET } from '../layout/section-header.js';

/** How long release waits for a reaper to hand back a slot it marked by mistake. */
const RELEASE_WAIT_LIMIT_MS = 50;

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
   * Claims a free slot, after clearing every slot whose process is provably dead (reapDead),
   * so a section's dead users do not outlive its next open. A claim in progress holds the
   * negated pid until the start time is written, so nobody judges the new owner by the old
   * owner's start time and clears the slot under it.
   */
  claim(self: ProcessIdentity): number {
    this.reapDead(self);
    for (let slot = 0; slot < ATTACH_CAPACITY; slot++) {
      const pidIndex = AttachTable.wordIndex(slot, SLOT_PID_OFFSET);
      if (Atomics.load(this.i32, pidIndex) !== 0) continue;
      if (Atomics.compareExchange(this.i32, pidIndex, 0, -self.pid) !== 0) continue;
      this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = self.startTime;
      this.disarm(slot);
      Atomics.store(this.i32, pidIndex, self.pid); // SYNC POINT: publishes the start time
      const highWater = SLOT_HIGH_WATER_OFFSET / 4;
      for (let seen = Atomics.load(this.i32, highWater); seen < slot + 1; seen = Atomics.load(this.i32, highWater)) {
        if (Atomics.compareExchange(this.i32, highWater, seen, slot + 1) === seen) break;
      }
      return slot;
    }
    throw new NoSpaceError(`the section's attach table is full (${ATTACH_CAPACITY} live attachments)`);
  }

  /**
   * Frees every slot (below the high-water mark) whose owner is provably dead: no process
   * has its pid, or the one that has it started at another time. A process whose liveness
   * cannot be told now counts as alive. Returns how many slots it freed.
   */
  reapDead(self: ProcessIdentity): number {
    const highWater = Math.min(Atomics.load(this.i32, SLOT_HIGH_WATER_OFFSET / 4), ATTACH_CAPACITY);
    let freed = 0;
    for (let slot = 0; slot < highWater; slot++) {
      const seen = Atomics.load(this.i32, AttachTable.wordIndex(slot, SLOT_PID_OFFSET));
      if (seen !== 0 && !this.isAlive(slot, seen) && this.reap(slot, seen, self)) freed++;
    }
    return freed;
  }

  /**
   * Frees one slot judged dead while it held `seen`. The pid word alone cannot tell the dead
   * owner from a new process that got the same pid (recycled) and claimed this very slot
   * between our look and our write. So the slot is first taken from exactly `seen` to our
   * own claim-in-progress mark (-self.pid: alive, so nobody else touches it), its owner is
   * judged again from the start time now in it, and only then is it cleared — or, if it
   * turns out to belong to a live process after all, given back.
   */
  private reap(slot: number, seen: number, self: ProcessIdentity): boolean {
    const pidIndex = AttachTable.wordIndex(slot, SLOT_PID_OFFSET);
    const mark = -self.pid;
    if (Atomics.compareExchange(this.i32, pidIndex, seen, mark) !== seen) return false; // changed: not ours to judge
    // SYNC POINT: the CAS read `seen` as the last owner published it, start time included.
    if (this.isAlive(slot, seen)) {
      // A live owner with a recycled pid: hand the slot back (unless it released it meanwhile).
      Atomics.compareExchange(this.i32, pidIndex, mark, seen);
      return false;
    }
    this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = 0;
    this.disarm(slot); // wakers stop ringing a doorbell nobody listens to
    return Atomics.compareExchange(this.i32, pidIndex, mark, 0) === mark;
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

  /**
   * Gives back a slot `pid` holds (close, or this thread's normal exit). A CAS from the pid:
   * if the slot no longer holds it, it is somebody else's now and is left alone.
   */
  release(slot: number, pid: number): boolean {
    const pidIndex = AttachTable.wordIndex(slot, SLOT_PID_OFFSET);
    // A negative pid in our own slot is a reaper's mark (see reap): it judged a dead process
    // with our recycled pid, sees us alive and hands the slot back within a liveness check.
    // Wait for that, briefly: past the bound the reaper itself died, and the slot, ours by
    // then or its, is freed as a dead one by a later attacher.
    for (let wait = 0; Atomics.load(this.i32, pidIndex) !== pid; wait++) {
      if (Atomics.load(this.i32, pidIndex) >= 0 || wait >= RELEASE_WAIT_LIMIT_MS) return false;
      sleepSync(1);
    }
    this.disarm(slot);
    this.f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = 0;
    return Atomics.compareExchange(this.i32, pidIndex, pid, 0) === pid;
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
