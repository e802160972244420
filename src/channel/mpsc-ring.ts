/**
 * MpscRing: many producers, one consumer. MpmcQueue (mpmc-queue.ts) adds many consumers.
 *
 * Claim, then commit: a producer holds the producer lock (a robust Mutex: a producer killed
 * holding it is recovered by the next) only to write its claim header (size < 0, type = its
 * owner word) and advance the tail. It copies its payload without the lock, then commits by
 * writing the type and storing size > 0. The consumer reads headers, never the tail: a
 * positive size is a whole record, 0 is "nothing yet", a negative size a claim in progress.
 *
 * A claim whose producer died before committing would block the consumer forever; unblock()
 * (called by the Channel when a park slice passes with the head still claimed) checks that
 * the owner word's process is dead and turns the record into padding: no committed record is
 * lost and the torn one is never delivered.
 *
 * Consumed bytes are zeroed before producers may reuse them (every claim starts on zeros).
 * The consumer publishes `head`, zeroes, then publishes `free head`; producers reuse space up
 * to `free head`. A consumer that dies in between leaves head != free head, and the next
 * consumer zeroes the gap again before anything else (repair()).
 */
import { OWNER_WAITERS_BIT, ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import {
  RECORD_HEAP,
  RECORD_MESSAGE,
  RECORD_PADDING,
  RING_FREE_HEAD_OFFSET,
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_KIND_MPSC,
  RING_PRODUCER_LOCK_OFFSET,
  RING_TAIL_OFFSET,
  recordLength,
} from '../layout/ring.js';
import { Mutex } from '../sync/mutex.js';
import type { Waiter } from '../sync/waiter.js';
import { PRODUCERS_PARKED, RingBase } from './ring-base.js';

const TAIL = RING_TAIL_OFFSET >> 2;
const HEAD = RING_HEAD_OFFSET >> 2;
const FREE_HEAD = RING_FREE_HEAD_OFFSET >> 2;
const LOCK_WAIT = { timeout: 30_000 };

export class MpscRing extends RingBase {
  private readonly producerLock: Mutex;
  private readonly self: number;
  private claimAt = -1;
  private claimLength = 0;
  // consumer side
  protected head: number;
  protected publishedHead: number;
  private repaired = false;
  private readonly publishEvery: number;
  readOffset = 0;
  readType = RECORD_MESSAGE;
  protected readSize = 0;
  /** Claims of dead producers this object turned into padding. */
  unblocked = 0;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, waiter: Waiter, kind = RING_KIND_MPSC) {
    super(buffer, byteOffset, waiter, kind);
    this.producerLock = new Mutex(buffer, byteOffset + RING_PRODUCER_LOCK_OFFSET, waiter);
    this.self = ownerWord(waiter.identity.pid, waiter.identity.startTime);
    this.head = Atomics.load(this.header, HEAD);
    this.publishedHead = this.head;
    this.publishEvery = this.capacity >> 3;
  }

  tryClaim(length: number): number {
    this.checkLength(length);
    const size = recordLength(length);
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
      const words = this.words;
      if (size > toEnd) {
        Atomics.store(words, (at >> 2) + 1, RECORD_PADDING);
        Atomics.store(words, at >> 2, toEnd); // committed at once: nothing to copy
        tail = (tail + toEnd) | 0;
        at = 0;
      }
      Atomics.store(words, (at >> 2) + 1, this.self); // who claimed it, for unblock()
      Atomics.store(words, at >> 2, -(8 + length)); // SYNC POINT: claim visible before the tail moves
      Atomics.store(this.header, TAIL, (tail + size) | 0);
      this.claimAt = at;
      this.claimLength = length;
      return at + 8;
    } finally {
      lock.unlock();
    }
  }

  commit(type = RECORD_MESSAGE): void {
    const at = this.claimAt;
    Atomics.store(this.words, (at >> 2) + 1, type);
    Atomics.store(this.words, at >> 2, 8 + this.claimLength); // SYNC POINT: publishes the record
    this.signalData();
  }

  tryRead(): number {
    if (!this.repaired) {
      this.repaired = true;
      this.repair(); // a consumer before us may have died mid-publish
    }
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
      return length;
    }
  }

  release(): void {
    this.head = (this.head + this.readSize) | 0;
    if (
      ((this.head - this.publishedHead) | 0) >= this.publishEvery ||
      this.readType === RECORD_HEAP || // its heap block is freed next: a restart must not see it again
      Atomics.load(this.header, PRODUCERS_PARKED) > 0 ||
      Atomics.load(this.words, (this.head & this.mask) >> 2) <= 0
    ) {
      this.publish();
    }
  }

  /** Publishes head, zeroes what was consumed, then publishes free head (see class comment). */
  protected publish(): void {
    const head = this.head;
    const from = this.publishedHead;
    if (head === from) return;
    Atomics.store(this.header, HEAD, head);
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
    const at = this.head & this.mask;
    if ((at & 7) !== 0) this.corrupt(`head ${this.head >>> 0} is not 8-byte aligned`);
    const size = Atomics.load(this.words, at >> 2);
    if (size >= 0) return false;
    const skip = recordLength(-size - 8);
    if (skip > this.capacity - at) this.corrupt(`claim of ${-size} bytes at offset ${at}`);
    // A claim past the tail belongs to a producer that died before moving the tail: the next
    // producer writes over it. Only claims inside [head, tail) are ours to skip.
    if (skip > this.used(Atomics.load(this.header, TAIL), this.head)) return false;
    const owner = Atomics.load(this.words, (at >> 2) + 1);
    const identity = owner & ~OWNER_WAITERS_BIT;
    if (this.waiter.isAlive(ownerPid(identity), ownerHash(identity))) return false;
    // Owner word first (CAS): a live producer that re-claimed this spot with the same length
    // has another owner word, so it cannot be mistaken for the dead claim.
    if (Atomics.compareExchange(this.words, (at >> 2) + 1, owner, RECORD_PADDING) !== owner) return false;
    Atomics.store(this.words, at >> 2, skip);
    this.unblocked++;
    return true;
  }

  /** Byte offset of this ring's header in its buffer plus the header length (for tests). */
  get dataOffset(): number {
    return this.byteOffset + RING_HEADER_LENGTH;
  }
}
