/**
 * SpscRing: one producer, one consumer, no locks and no read-modify-write on the hot path.
 *
 * Producer: tryClaim finds room below the cached head (re-reading the shared head only when
 * the ring looks full), writes a padding record at the wrap, and returns where the payload
 * goes; commit writes the record header and publishes the tail (release store). Consumer:
 * tryRead looks below the cached tail (re-reading the shared tail only when it caught up),
 * release moves its private head; the shared head is published in batches (a quarter of the
 * capacity), when the consumer catches up, or at once when a producer is parked, so the
 * producer's cache line is not pulled on every message.
 *
 * Exactly one thread may produce and one consume (each side's position lives in this object):
 * each side takes its slot in the header before its first claim or read (ring-slot.ts), so a
 * second live producer or consumer is ChannelBusyError, and taking the slot reloads the
 * shared position, so a handle opened long before it is used starts where the ring is.
 */
import {
  RECORD_HEAP,
  RECORD_MESSAGE,
  RECORD_PADDING,
  RING_HEAD_OFFSET,
  RING_CONSUMER_SLOT_OFFSET,
  RING_KIND_SPSC,
  RING_PRODUCER_SLOT_OFFSET,
  RING_TAIL_OFFSET,
  recordLength,
} from '../layout/ring.js';
import type { Waiter } from '../sync/waiter.js';
import { pauseHook } from '../sync/pause-points.js';
import { PRODUCERS_PARKED, RingBase } from './ring-base.js';
import { RingSlot } from './ring-slot.js';

const TAIL = RING_TAIL_OFFSET >> 2;
const HEAD = RING_HEAD_OFFSET >> 2;

/**
 * A ring for exactly one producer and one consumer, lock-free: the fastest kind. A second
 * live producer or consumer is refused with ChannelBusyError (another may take a side over
 * once its holder closed its handle or died).
 */
export class SpscRing extends RingBase {
  // producer side
  private tail: number;
  private headCache: number;
  private claimAt = -1;
  private claimLength = 0;
  /** The tail last stored in the header; `tail` runs ahead of it while a batch is held. */
  private publishedTail: number;
  private holding = false;
  // consumer side
  private head: number;
  private publishedHead: number;
  private tailCache: number;
  private readonly publishEvery: number;
  private readonly producerSlot: RingSlot;
  private readonly consumerSlot: RingSlot;
  private producing = false;
  readOffset = 0;
  readType = RECORD_MESSAGE;
  private readSize = 0;

  /** A handle on the SPSC ring at `byteOffset` of `buffer`; errors as RingBase's constructor. */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, waiter: Waiter) {
    super(buffer, byteOffset, waiter, RING_KIND_SPSC);
    this.tail = Atomics.load(this.header, TAIL);
    this.publishedTail = this.tail;
    this.headCache = Atomics.load(this.header, HEAD);
    this.head = this.headCache;
    this.publishedHead = this.head;
    this.tailCache = this.tail;
    this.publishEvery = this.capacity >> 2;
    this.producerSlot = new RingSlot(buffer, byteOffset + RING_PRODUCER_SLOT_OFFSET, waiter, 'producer', 'this spsc channel', "kind 'mpsc' is for many producers");
    this.consumerSlot = new RingSlot(buffer, byteOffset + RING_CONSUMER_SLOT_OFFSET, waiter, 'consumer', 'this spsc channel', "kind 'mpmc' is for many consumers");
  }

  /** Takes the producer slot and starts from the shared tail (a predecessor may have moved it). */
  private startProducing(): void {
    this.producerSlot.take();
    this.startSending();
    this.producing = true;
    this.tail = Atomics.load(this.header, TAIL);
    this.publishedTail = this.tail;
    this.headCache = Atomics.load(this.header, HEAD);
  }

  /** Takes the consumer slot and starts from the shared head. */
  private startConsuming(): void {
    this.consumerSlot.take();
    this.detachOnExit();
    this.consuming = true;
    this.head = Atomics.load(this.header, HEAD);
    this.publishedHead = this.head;
    this.tailCache = Atomics.load(this.header, TAIL);
  }

  override detach(): void {
    try {
      if (this.consuming) this.publish(); // what this handle consumed is not seen again
      if (this.producing) this.flushProduced(); // a batch held when the handle is let go goes out
    } finally {
      this.claimAt = -1; // a claim left open is dropped: a commit after detach is refused
      this.producing = false;
      this.consuming = false;
      this.producerSlot.release();
      this.consumerSlot.release();
      this.stopSending();
    }
  }

  tryClaim(length: number): number {
    this.checkLength(length);
    if (this.claimAt >= 0) this.claimPending();
    if (!this.producing) this.startProducing();
    const size = recordLength(length);
    let tail = this.tail;
    let at = tail & this.mask;
    if ((at & 7) !== 0) this.corrupt(`tail ${tail >>> 0} is not 8-byte aligned`);
    const toEnd = this.capacity - at;
    const needed = size <= toEnd ? size : toEnd + size;
    if (needed > this.capacity - this.used(tail, this.headCache)) {
      this.headCache = Atomics.load(this.header, HEAD);
      if (needed > this.capacity - this.used(tail, this.headCache)) return -1;
    }
    if (size > toEnd) {
      const words = this.words;
      words[(at >> 2) + 1] = RECORD_PADDING;
      words[at >> 2] = toEnd; // published with the tail, below
      tail = (tail + toEnd) | 0;
      this.tail = tail;
      at = 0;
    }
    this.claimAt = at;
    this.claimLength = length;
    return at + 8;
  }

  tryCommit(type = RECORD_MESSAGE): boolean {
    const at = this.claimAt;
    if (at < 0) this.noClaim();
    this.claimAt = -1;
    const words = this.words;
    words[(at >> 2) + 1] = type;
    words[at >> 2] = 8 + this.claimLength;
    this.tail = (this.tail + recordLength(this.claimLength)) | 0;
    if (this.holding) return true; // published by flushProduced, with the rest of the batch
    pauseHook?.('spsc.commit');
    this.publishedTail = this.tail;
    Atomics.store(this.header, TAIL, this.tail); // SYNC POINT: publishes payload and header
    this.signalData();
    return true;
  }

  override holdProduced(): void {
    this.holding = true;
  }

  override flushProduced(): void {
    this.holding = false;
    if (this.tail === this.publishedTail || !this.producing) return;
    pauseHook?.('spsc.commit');
    this.publishedTail = this.tail;
    Atomics.store(this.header, TAIL, this.tail); // SYNC POINT: publishes the batch's payloads and headers
    this.signalData();
  }

  override flushConsumed(): void {
    this.holdingConsumed = false;
    if (this.consuming) this.publish();
  }

  override abandonRead(): void {
    this.readSize = 0;
  }

  /** Nothing was published: forget the claim (a wrap padding it wrote goes out with the next record). */
  cancelClaim(): void {
    if (this.claimAt < 0) this.noClaim();
    this.claimAt = -1;
  }

  tryRead(): number {
    if (!this.consuming) this.startConsuming();
    for (;;) {
      let head = this.head;
      if (head === this.tailCache) {
        this.tailCache = Atomics.load(this.header, TAIL); // SYNC POINT: acquire of records below tail
        if (head === this.tailCache) {
          this.publish();
          return -1;
        }
      }
      const used = this.used(this.tailCache, head);
      const at = head & this.mask;
      if ((at & 7) !== 0 || (this.tailCache & 7) !== 0) this.corrupt(`positions not 8-byte aligned (head ${head >>> 0})`);
      const words = this.words;
      const size = words[at >> 2]!;
      const type = words[(at >> 2) + 1]!;
      if (type === RECORD_PADDING) {
        if (size !== this.capacity - at || size > used) this.corrupt(`padding of ${size} bytes at offset ${at}`);
        head = (head + size) | 0;
        this.head = head;
        continue;
      }
      const length = size - 8;
      if ((type !== RECORD_MESSAGE && type !== RECORD_HEAP) || length < 0 || at + size > this.capacity || recordLength(length) > used) {
        this.corrupt(`record header (size ${size}, type ${type}) at offset ${at}`);
      }
      this.readOffset = at + 8;
      this.readType = type;
      this.readSize = recordLength(length);
      this.readPosition = head >>> 0;
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
      this.head === this.tailCache ||
      this.readType === RECORD_HEAP || // its heap block is freed next: a restart must not see it again
      Atomics.load(this.header, PRODUCERS_PARKED) > 0
    ) {
      this.publish();
    }
  }

  protected override publish(): void {
    if (this.readsHeld) return; // held reads go out at commitReads; a close or death leaves them to the next reader
    if (this.head === this.publishedHead) return;
    this.consumerSlot.check();
    this.publishedHead = this.head;
    Atomics.store(this.header, HEAD, this.head); // SYNC POINT: the producer may reuse the space
    this.signalSpace();
  }
}
