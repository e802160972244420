/**
 * MpscRing: many producers, one consumer. MpmcQueue (mpmc-queue.ts) adds many consumers.
 *
 * Claim, then commit (header states: layout/ring.ts): a producer holds the producer lock (a
 * robust Mutex: a producer killed holding it is recovered by the next) only to write its
 * claim header (size < 0, its owner word with bit 31 set) and advance the tail. It copies its
 * payload without the lock, then commits with one 64-bit CAS of the header from (claimed,
 * owner) to (size > 0, type). The consumer reads headers, never the tail: a positive size is
 * a whole record, 0 is "nothing yet", a negative size a claim in progress.
 *
 * A claim whose producer died before committing would block the consumer forever; unblock()
 * (called by the Channel when a park slice passes with the head still claimed) reads the
 * header as one 64-bit value, asks whether the owner is alive, and if not turns the record
 * into padding with a 64-bit CAS from exactly the value it read. The owner stays in the
 * header until the commit CAS, so a live claim is never mistaken for a dead one, and a commit
 * that lands first makes the unblock CAS fail. A producer whose CAS fails was revoked (the
 * liveness answer was wrong): tryCommit returns false and the copying paths claim again.
 *
 * Consumed bytes are zeroed before producers may reuse them (every claim starts on zeros).
 * The consumer publishes `head`, zeroes, then publishes `free head`; producers reuse space up
 * to `free head`. A consumer that dies in between leaves head != free head, and the next
 * consumer zeroes the gap again before anything else (repair()). One consumer at a time: it
 * takes the consumer slot first (ring-slot.ts).
 */
import { NotOwnerError } from '../errors.js';
import { OWNER_HASH_MASK, OWNER_HASH_SHIFT, OWNER_PID_MASK, ownerPid, ownerWord } from '../layout/owner.js';
import {
  RECORD_CLAIM_BIT,
  RECORD_HEAP,
  RECORD_MESSAGE,
  RECORD_PADDING,
  RING_CONSUMER_SLOT_OFFSET,
  RING_FREE_HEAD_OFFSET,
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_KIND_MPSC,
  RING_OWNER_OFFSET,
  RING_PRODUCER_LOCK_OFFSET,
  RING_TAIL_OFFSET,
  recordLength,
} from '../layout/ring.js';
import { Mutex } from '../sync/mutex.js';
import { pauseHook } from '../sync/pause-points.js';
import type { Waiter } from '../sync/waiter.js';
import { PRODUCERS_PARKED, RingBase } from './ring-base.js';
import { RingSlot } from './ring-slot.js';

const TAIL = RING_TAIL_OFFSET >> 2;
const HEAD = RING_HEAD_OFFSET >> 2;
const FREE_HEAD = RING_FREE_HEAD_OFFSET >> 2;
const LOCK_WAIT = { timeout: 30_000 };
const PADDING_HIGH = BigInt(RECORD_PADDING) << 32n;

/** The 64-bit header lane (size low, type or owner high) as BigInt64Array holds it. */
function lane(size: number, high: number): bigint {
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(size >>> 0));
}

/**
 * A ring for many producers and one consumer. Producers claim under a short robust lock, copy
 * without it and commit; a claim left by a producer that died is skipped by the consumer. A
 * second live consumer is refused with ChannelBusyError.
 */
export class MpscRing extends RingBase {
  private readonly producerLock: Mutex;
  /** This process's owner word with the claim bit: the high word of every claim it makes. */
  private readonly claimOwner: number;
  /** The data area as 64-bit header lanes (index: byte offset >> 3). */
  private readonly lanes: BigInt64Array;
  private claimAt = -1;
  private claimLength = 0;
  // The lanes of the last length claimed and (length, type) committed, kept: a stream of
  // equal-sized messages builds no BigInt operands. (The commit CAS still returns one: one
  // short-lived BigInt per MPSC/MPMC message, the price of publishing header and owner in
  // one atomic step; SPSC has none.)
  private claimLaneLength = -1;
  private claimedLane = 0n;
  private commitLaneLength = -1;
  private commitLaneType = -1;
  private committedLane = 0n;
  // consumer side
  protected head: number;
  protected publishedHead: number;
  private readonly consumerSlot: RingSlot | undefined;
  private readonly publishEvery: number;
  readOffset = 0;
  readType = RECORD_MESSAGE;
  protected readSize = 0;

  /**
   * A handle on the MPSC ring at `byteOffset` of `buffer`; errors as RingBase's constructor.
   * `kind` is for MpmcQueue, which extends this class: leave it out.
   */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, waiter: Waiter, kind = RING_KIND_MPSC) {
    super(buffer, byteOffset, waiter, kind);
    this.producerLock = new Mutex(buffer, byteOffset + RING_PRODUCER_LOCK_OFFSET, waiter);
    this.claimOwner = ownerWord(waiter.identity.pid, waiter.identity.startTime) | RECORD_CLAIM_BIT;
    this.lanes = new BigInt64Array(buffer, byteOffset + RING_HEADER_LENGTH, this.capacity >> 3);
    this.head = Atomics.load(this.header, HEAD);
    this.publishedHead = this.head;
    this.publishEvery = this.capacity >> 3;
    this.consumerSlot = kind === RING_KIND_MPSC ? new RingSlot(buffer, byteOffset + RING_CONSUMER_SLOT_OFFSET, waiter, 'consumer', 'this mpsc channel', "kind 'mpmc' is for many consumers") : undefined;
  }

  /**
   * Before the first read: take the consumer slot, then finish what a consumer that died
   * mid-publish left (repair). MpmcQueue has no slot and repairs under its consumer lock.
   */
  protected startConsuming(): void {
    // A mailbox (owner word in the header) is read by its owner only: checked once, here,
    // since every read path (receive, receiveMany, poll, read...) starts with this.
    const owner = Atomics.load(this.header, RING_OWNER_OFFSET >> 2);
    if (owner !== 0 && owner !== (this.claimOwner & ~RECORD_CLAIM_BIT)) {
      throw new NotOwnerError(`only the owner of this mailbox (process or thread ${ownerPid(owner)}) may receive from it`);
    }
    this.consumerSlot?.take();
    if (this.consumerSlot) this.detachOnExit();
    this.consuming = true;
    this.repair();
  }

  override detach(): void {
    try {
      if (this.consuming) this.publish(); // what this handle consumed is not seen again
    } finally {
      this.consuming = false;
      this.consumerSlot?.release();
      if (this.claimAt >= 0) this.cancelClaim(); // a claim left open would hold the consumer up
      this.stopSending();
    }
  }

  tryClaim(length: number): number {
    this.checkLength(length);
    if (this.claimAt >= 0) this.claimPending();
    if (!this.senders.registered) this.startSending();
    const size = recordLength(length);
    if (length !== this.claimLaneLength) {
      this.claimLaneLength = length;
      this.claimedLane = lane(-(8 + length), this.claimOwner);
    }
    const lock = this.producerLock;
    if (!lock.tryLock()) lock.lock(LOCK_WAIT);
    try {
      let tail = Atomics.load(this.header, TAIL);
      let at = tail & this.mask;
      if ((at & 7) !== 0) this.corrupt(`tail ${tail >>> 0} is not 8-byte aligned`);
      const toEnd = this.capacity - at;
      const needed = size <= toEnd ? size : toEnd + size;
      // Read under the lock every time: a cached copy can be stale by whole laps of 2^32
      // bytes in a producer that sat idle, and wrap into a plausible, wrong value.
      const freeHead = Atomics.load(this.header, FREE_HEAD);
      if (needed > this.capacity - this.used(tail, freeHead)) return -1;
      // Headers are stored as one 64-bit lane: the bytes under a new header may hold a stale
      // header of a producer that died before moving the tail, and a consumer must never see
      // half of one and half of the other.
      if (size > toEnd) {
        Atomics.store(this.lanes, at >> 3, PADDING_HIGH | BigInt(toEnd)); // committed at once: nothing to copy
        tail = (tail + toEnd) | 0;
        at = 0;
      }
      Atomics.store(this.lanes, at >> 3, this.claimedLane); // SYNC POINT: claim, with its owner, before the tail moves
      pauseHook?.('ring.claim.header');
      Atomics.store(this.header, TAIL, (tail + size) | 0);
      this.claimAt = at;
      this.claimLength = length;
    } finally {
      lock.unlock();
    }
    pauseHook?.('ring.claim.done');
    return this.claimAt + 8;
  }

  tryCommit(type = RECORD_MESSAGE): boolean {
    const at = this.claimAt;
    if (at < 0) this.noClaim();
    this.claimAt = -1;
    const length = this.claimLength;
    if (length !== this.commitLaneLength || type !== this.commitLaneType) {
      this.commitLaneLength = length;
      this.commitLaneType = type;
      this.committedLane = lane(8 + length, type);
    }
    pauseHook?.('ring.commit');
    // SYNC POINT: publishes the record, header and payload, unless the consumer revoked it.
    if (Atomics.compareExchange(this.lanes, at >> 3, this.claimedLane, this.committedLane) !== this.claimedLane) {
      this.revoked++;
      return false;
    }
    this.signalData();
    return true;
  }

  override abandonRead(): void {
    this.readSize = 0;
  }

  override flushConsumed(): void {
    this.holdingConsumed = false;
    if (this.consuming && this.consumerSlot) this.publish();
  }

  protected claimPendingHere(): boolean {
    return this.claimAt >= 0;
  }

  /** Turns the pending claim into padding (unless a consumer revoked it already): nothing is sent. */
  cancelClaim(): void {
    const at = this.claimAt;
    if (at < 0) this.noClaim();
    this.claimAt = -1;
    const skip = recordLength(this.claimLength);
    Atomics.compareExchange(this.lanes, at >> 3, this.claimedLane, PADDING_HIGH | BigInt(skip)); // SYNC POINT
    this.signalData(); // a consumer parked behind the claim may go on
  }

  tryRead(): number {
    if (!this.consuming) this.startConsuming();
    for (;;) {
      const at = this.head & this.mask;
      if ((at & 7) !== 0) this.corrupt(`head ${this.head >>> 0} is not 8-byte aligned`);
      const words = this.words;
      const size = Atomics.load(words, at >> 2); // SYNC POINT: acquire of a committed record
      if (size <= 0) {
        this.publish();
        return -1; // nothing yet (0), or a claim in progress (< 0)
      }
      const type = Atomics.load(words, (at >> 2) + 1);
      if (type === RECORD_PADDING) {
        if (size < 8 || size >= this.capacity || size > this.capacity - at || (size & 7) !== 0) {
          this.corrupt(`padding of ${size} bytes at offset ${at}`);
        }
        // Padding past the tail was written by a producer that died before moving the tail:
        // not ours to skip (the next producer writes over it).
        if (size > this.used(Atomics.load(this.header, TAIL), this.head)) {
          this.publish();
          return -1;
        }
        this.head = (this.head + size) | 0;
        continue;
      }
      const length = size - 8;
      if ((type !== RECORD_MESSAGE && type !== RECORD_HEAP) || at + size > this.capacity) {
        this.corrupt(`record header (size ${size}, type ${type}) at offset ${at}`);
      }
      this.readOffset = at + 8;
      this.readType = type;
      this.readSize = recordLength(length);
      this.readPosition = this.head >>> 0;
      return length;
    }
  }

  release(): void {
    const size = this.readSize;
    if (size === 0) this.noRead();
    this.readSize = 0;
    this.head = (this.head + size) | 0;
    if (
      !this.holdingConsumed ||
      ((this.head - this.publishedHead) | 0) >= this.publishEvery ||
      this.readType === RECORD_HEAP || // its heap block is freed next: a restart must not see it again
      Atomics.load(this.header, PRODUCERS_PARKED) > 0 ||
      Atomics.load(this.words, (this.head & this.mask) >> 2) <= 0
    ) {
      this.publish();
    }
  }

  /** Publishes head, zeroes what was consumed, then publishes free head (see class comment). */
  protected override publish(): void {
    if (this.readsHeld) return; // held reads go out at commitReads; a close or death leaves them to the next reader
    const head = this.head;
    const from = this.publishedHead;
    if (head === from) return;
    this.consumerSlot?.check();
    Atomics.store(this.header, HEAD, head);
    pauseHook?.('ring.publish');
    this.zero(from, head);
    this.publishedHead = head;
    Atomics.store(this.header, FREE_HEAD, head); // SYNC POINT: producers may claim the zeroed bytes
    this.signalSpace();
  }

  private zero(from: number, to: number): void {
    const start = from & this.mask;
    const length = this.used(to, from);
    if (length === 0) return;
    if (start + length <= this.capacity) {
      this.bytes.fill(0, start, start + length);
    } else {
      this.bytes.fill(0, start, this.capacity);
      this.bytes.fill(0, 0, start + length - this.capacity);
    }
  }

  /**
   * Finishes what a consumer that died mid-publish left: bytes between free head and head
   * are consumed but maybe not zeroed. Idempotent; call before consuming as a new consumer.
   */
  repair(): void {
    const head = Atomics.load(this.header, HEAD);
    const freeHead = Atomics.load(this.header, FREE_HEAD);
    if (head !== freeHead) {
      this.zero(freeHead, head);
      Atomics.store(this.header, FREE_HEAD, head);
      this.signalSpace();
    }
    this.head = head;
    this.publishedHead = head;
  }

  /** The head record's claim, if its producer is dead, becomes padding. */
  override unblock(): boolean {
    if (!this.consuming) this.startConsuming();
    const at = this.head & this.mask;
    if ((at & 7) !== 0) this.corrupt(`head ${this.head >>> 0} is not 8-byte aligned`);
    if (Atomics.load(this.words, at >> 2) >= 0) return false; // committed, or nothing claimed
    pauseHook?.('ring.unblock.look');
    // One 64-bit read: the size and the owner of the same claim, never a type in its place.
    const seen = Atomics.load(this.lanes, at >> 3);
    const size = Number(BigInt.asIntN(32, seen));
    const owner = Number(BigInt.asIntN(32, seen >> 32n));
    if (size >= 0) return false; // committed since the first look
    if ((owner & RECORD_CLAIM_BIT) === 0) this.corrupt(`claim of ${-size} bytes at offset ${at} without an owner`);
    const skip = recordLength(-size - 8);
    if (skip > this.capacity - at) this.corrupt(`claim of ${-size} bytes at offset ${at}`);
    // A claim past the tail belongs to a producer that died before moving the tail: the next
    // producer writes over it. Only claims inside [head, tail) are ours to skip.
    if (skip > this.used(Atomics.load(this.header, TAIL), this.head)) return false;
    if (this.waiter.isAlive(owner & OWNER_PID_MASK, (owner >>> OWNER_HASH_SHIFT) & OWNER_HASH_MASK)) return false;
    pauseHook?.('ring.unblock');
    // SYNC POINT: fails if the producer committed after all, or if the claim is another one.
    if (Atomics.compareExchange(this.lanes, at >> 3, seen, PADDING_HIGH | BigInt(skip)) !== seen) return false;
    this.unblocked++;
    return true;
  }

  /** Times a lock of this ring (producer lock; MPMC: consumer lock too) was taken from a dead holder, by anyone. */
  override get lockRecoveries(): number {
    return this.producerLock.recoveries;
  }

  /** Byte offset of this ring's header in its buffer plus the header length (for tests). */
  get dataOffset(): number {
    return this.byteOffset + RING_HEADER_LENGTH;
  }
}
