/**
 * SenderTable: who may still send on a ring, so that a receiver can learn that nobody is left
 * (issue 12: a `for await` consumer whose producer exited without end() waited for ever).
 *
 * Eight sender slots in the ring header (layout/ring.ts, "sender table"), each a RingSlot:
 * a handle takes one the first time it sends, from 0 or from a dead holder, and gives it back
 * when it is closed, collected, or its thread ends. "Senders flags" says that a sender has
 * ever registered (bit 0) and that one found no slot (bit 1: more than eight at once), in
 * which case nobody can tell when all are gone and receivers just wait, as before.
 *
 * A receiver asks only when it has waited a park slice with the ring empty, so the hot paths
 * never look at the table.
 */
import {
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_SENDER_SLOTS,
  RING_SENDER_TABLE_OFFSET,
  RING_SENDERS_FLAGS_OFFSET,
  SENDERS_REGISTERED,
  SENDERS_UNTRACKED,
} from '../layout/ring.js';
import { ownerHash, ownerPid } from '../layout/owner.js';
import type { Waiter } from '../sync/waiter.js';
import { RingSlot } from './ring-slot.js';

const SLOT_LENGTH = 8;

export class SenderTable {
  private readonly header: Int32Array;
  private readonly lanes: BigInt64Array;
  private held: RingSlot | undefined;
  /** This handle has asked to send (registered, or found the table full). */
  registered = false;
  /** A receiver saw a live sender: from then on, none left means gone. */
  private sawSender = false;

  constructor(
    private readonly buffer: ArrayBuffer | SharedArrayBuffer,
    private readonly ringOffset: number,
    private readonly waiter: Waiter,
  ) {
    this.header = new Int32Array(buffer, ringOffset, RING_HEADER_LENGTH >> 2);
    this.lanes = new BigInt64Array(buffer, ringOffset + RING_SENDER_TABLE_OFFSET, RING_SENDER_SLOTS);
  }

  /** Called before this handle's first send. */
  register(): void {
    if (this.registered) return;
    this.registered = true;
    for (let i = 0; i < RING_SENDER_SLOTS; i++) {
      const slot = new RingSlot(this.buffer, this.ringOffset + RING_SENDER_TABLE_OFFSET + i * SLOT_LENGTH, this.waiter, 'sender', 'this channel', '');
      if (slot.tryTake() === 0) {
        this.held = slot;
        Atomics.or(this.header, RING_SENDERS_FLAGS_OFFSET >> 2, SENDERS_REGISTERED);
        return;
      }
    }
    Atomics.or(this.header, RING_SENDERS_FLAGS_OFFSET >> 2, SENDERS_REGISTERED | SENDERS_UNTRACKED);
  }

  /** Gives this handle's slot back; true if it held one (the caller wakes parked receivers). */
  release(): boolean {
    this.registered = false;
    const slot = this.held;
    if (!slot) return false;
    this.held = undefined;
    slot.release();
    return true;
  }

  /**
   * True when no live sender is left for this receiver: senders have registered (all were
   * tracked), none is alive now, and this receiver saw one alive or the ring has been read
   * from (a producer that sent and left before anyone waited).
   */
  allGone(): 'live' | 'none-yet' | 'gone' {
    const flags = Atomics.load(this.header, RING_SENDERS_FLAGS_OFFSET >> 2);
    if ((flags & SENDERS_UNTRACKED) !== 0) return 'live'; // cannot tell
    if ((flags & SENDERS_REGISTERED) === 0) return 'none-yet';
    for (let i = 0; i < RING_SENDER_SLOTS; i++) {
      const lane = Atomics.load(this.lanes, i);
      if (lane === 0n) continue;
      const holder = Number(lane & 0xffff_ffffn);
      if (this.waiter.isAlive(ownerPid(holder), ownerHash(holder))) {
        this.sawSender = true;
        return 'live';
      }
    }
    if (this.sawSender || Atomics.load(this.header, RING_HEAD_OFFSET >> 2) !== 0) return 'gone';
    return 'none-yet';
  }
}
