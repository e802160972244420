/**
 * SenderTable: who may still send on a ring, so that a receiver can learn that nobody is left
 * (issue 12: a `for await` consumer whose producer exited without end() waited for ever).
 *
 * Eight sender slots in the ring header (layout/ring.ts, "sender table"), each a RingSlot:
 * a handle takes one the first time it sends, from 0 or from a dead holder. `close()` gives
 * it back: that sender is done, but the stream is not (another sender, or a coordinator that
 * calls end() later, may follow). A sender that exits, is killed or whose thread ends without
 * close() leaves its slot to a dead owner. "Senders flags" says that a sender has registered
 * (bit 0) and that one found no slot (bit 1: more than eight at once: nobody can tell).
 *
 * Gone = no live holder, and at least one holder that died without letting go, and this
 * receiver either saw a sender alive or the ring was read since this handle opened (so a
 * consumer restarted after a crash does not give up on producers that restart too). A
 * receiver asks only when it has waited a park slice with the ring empty: the hot paths never
 * look at the table.
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
  /** The shared head when this handle opened: a head that moved means messages were read since. */
  private readonly headAtOpen: number;

  constructor(
    private readonly buffer: ArrayBuffer | SharedArrayBuffer,
    private readonly ringOffset: number,
    private readonly waiter: Waiter,
  ) {
    this.header = new Int32Array(buffer, ringOffset, RING_HEADER_LENGTH >> 2);
    this.lanes = new BigInt64Array(buffer, ringOffset + RING_SENDER_TABLE_OFFSET, RING_SENDER_SLOTS);
    this.headAtOpen = Atomics.load(this.header, RING_HEAD_OFFSET >> 2);
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

  /** Gives this handle's slot back (close()); true if it held one. */
  release(): boolean {
    this.registered = false;
    const slot = this.held;
    if (!slot) return false;
    this.held = undefined;
    slot.release();
    return true;
  }

  /** Whether this receiver should stop waiting: see the file comment for "gone". */
  allGone(): 'live' | 'none-yet' | 'gone' {
    const flags = Atomics.load(this.header, RING_SENDERS_FLAGS_OFFSET >> 2);
    if ((flags & SENDERS_UNTRACKED) !== 0) return 'live'; // cannot tell
    if ((flags & SENDERS_REGISTERED) === 0) return 'none-yet';
    let dead = false;
    for (let i = 0; i < RING_SENDER_SLOTS; i++) {
      const lane = Atomics.load(this.lanes, i);
      if (lane === 0n) continue;
      const holder = Number(lane & 0xffff_ffffn);
      if (this.waiter.isAlive(ownerPid(holder), ownerHash(holder))) {
        this.sawSender = true;
        return 'live';
      }
      dead = true;
    }
    if (!dead) return 'none-yet'; // every sender let go with close(): more may come, or end()
    if (this.sawSender || Atomics.load(this.header, RING_HEAD_OFFSET >> 2) !== this.headAtOpen) return 'gone';
    return 'none-yet';
  }
}
