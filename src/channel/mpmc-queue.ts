/**
 * MpmcQueue: many producers, many consumers, each record to exactly one consumer: a work
 * queue. Producers are MpscRing's. Consumers take the consumer lock (a robust Mutex) from
 * tryRead until release has moved the shared head past the record; that lock is held for one
 * header read and one copy, so consumers serialize on taking work, not on doing it.
 *
 * A consumer killed holding the lock: the next consumer recovers the lock and first repairs
 * (zeroes between free head and head, see MpscRing), then reads the record at head, which
 * the dead consumer never consumed (head had not moved): nothing is lost or delivered twice
 * except a record whose consumer died after taking it.
 */
import { RING_CONSUMER_LOCK_OFFSET, RING_HEAD_OFFSET, RING_KIND_MPMC } from '../layout/ring.js';
import { Mutex } from '../sync/mutex.js';
import type { Waiter } from '../sync/waiter.js';
import { MpscRing } from './mpsc-ring.js';

const HEAD = RING_HEAD_OFFSET >> 2;
const LOCK_WAIT = { timeout: 30_000 };

/**
 * A work queue: many producers, many consumers, each record to exactly one consumer.
 * Consumers take turns under a robust lock held only for one record's read, not its work.
 * A record whose consumer died after taking it is not delivered again.
 */
export class MpmcQueue extends MpscRing {
  private readonly consumerLock: Mutex;
  private holding = false;

  /** A handle on the MPMC queue at `byteOffset` of `buffer`; errors as RingBase's constructor. */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, waiter: Waiter) {
    super(buffer, byteOffset, waiter, RING_KIND_MPMC);
    this.consumerLock = new Mutex(buffer, byteOffset + RING_CONSUMER_LOCK_OFFSET, waiter, {
      onRecover: () => this.repair(),
    });
  }

  override tryRead(): number {
    const lock = this.consumerLock;
    if (!lock.tryLock()) lock.lock(LOCK_WAIT);
    this.holding = true;
    // Other consumers moved the head (and published it, zeroed): start from there.
    this.head = Atomics.load(this.header, HEAD);
    this.publishedHead = this.head;
    let length: number;
    try {
      length = super.tryRead();
    } catch (error) {
      this.abandonRead();
      throw error;
    }
    if (length < 0) this.abandonRead();
    return length;
  }

  override release(): void {
    const size = this.readSize;
    if (size === 0) this.noRead();
    this.readSize = 0;
    this.head = (this.head + size) | 0;
    try {
      this.publish(); // every time: other consumers read the shared head
    } finally {
      this.abandonRead(); // the consumer lock is given back whatever publish met
    }
  }

  /** Under the consumer lock, from the shared head: another consumer may be far ahead. */
  override unblock(): boolean {
    if (!this.consumerLock.tryLock()) return false;
    try {
      this.head = Atomics.load(this.header, HEAD);
      this.publishedHead = this.head;
      return super.unblock();
    } finally {
      this.consumerLock.unlock();
    }
  }

  override get lockRecoveries(): number {
    return super.lockRecoveries + this.consumerLock.recoveries;
  }

  /**
   * MPMC publishes on every release, under the consumer lock: nothing to publish here, and
   * this handle's private head may be ahead of the shared one (past a padding it skipped
   * before an abandoned read), so it must not be published without the lock.
   */
  override detach(): void {
    this.consuming = false;
    if (this.claimPendingHere()) this.cancelClaim();
    this.stopSending();
  }

  /** Every read is published under the consumer lock, for the other consumers: no holding. */
  override holdReads(_on: boolean): boolean {
    return false;
  }

  override commitReads(): void {}

  override abandonRead(): void {
    this.readSize = 0;
    if (!this.holding) return;
    this.holding = false;
    this.consumerLock.unlock();
  }
}
