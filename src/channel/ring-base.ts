/**
 * What every ring shares: the typed views over its header and data area, its parameters,
 * initialisation and the checks that turn damaged memory into CorruptChannelError.
 * Layout and invariants: src/layout/ring.ts.
 */
import {
  ClaimRevokedError,
  CorruptChannelError,
  IncompatibleSectionError,
  InvalidArgTypeError,
  InvalidArgValueError,
  MessageTooLargeError,
  OutOfRangeError,
} from '../errors.js';
import {
  MAX_RING_CAPACITY,
  MIN_RING_CAPACITY,
  RING_CAPACITY_OFFSET,
  RING_CONSUMERS_PARKED_OFFSET,
  RING_DATA_SIGNAL_OFFSET,
  RING_DATA_WAKE_PENDING_OFFSET,
  RING_FLAG_CLOSED,
  RING_FLAGS_OFFSET,
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_KIND_OFFSET,
  RING_MAGIC,
  RING_MAGIC_OFFSET,
  RING_MAX_PAYLOAD_OFFSET,
  RING_PRODUCERS_PARKED_OFFSET,
  RING_SPACE_SIGNAL_OFFSET,
  RING_SPACE_WAKE_PENDING_OFFSET,
  RING_TAIL_OFFSET,
  RING_VERSION,
  RING_VERSION_OFFSET,
  maxPayloadLength,
  ringLength,
} from '../layout/ring.js';
import { checkPlacement } from '../sync/placement.js';
import type { Waiter } from '../sync/waiter.js';
import { SenderTable } from './sender-table.js';

const SHARED_HEAD = RING_HEAD_OFFSET >> 2;
const SHARED_TAIL = RING_TAIL_OFFSET >> 2;

export const CLOSED = RING_FLAGS_OFFSET >> 2;
export const DATA_SIGNAL = RING_DATA_SIGNAL_OFFSET >> 2;
export const CONSUMERS_PARKED = RING_CONSUMERS_PARKED_OFFSET >> 2;
export const SPACE_SIGNAL = RING_SPACE_SIGNAL_OFFSET >> 2;
export const PRODUCERS_PARKED = RING_PRODUCERS_PARKED_OFFSET >> 2;
const DATA_WAKE_PENDING = RING_DATA_WAKE_PENDING_OFFSET >> 2;
const SPACE_WAKE_PENDING = RING_SPACE_WAKE_PENDING_OFFSET >> 2;

export function validateCapacity(capacity: unknown, label = 'options.capacity'): number {
  if (typeof capacity !== 'number' || !Number.isInteger(capacity)) {
    throw new OutOfRangeError(`${label} must be an integer power of two, got ${String(capacity)}`);
  }
  if (capacity < MIN_RING_CAPACITY || capacity > MAX_RING_CAPACITY) {
    throw new OutOfRangeError(`${label} must be between ${MIN_RING_CAPACITY} and ${MAX_RING_CAPACITY} bytes, got ${capacity}`);
  }
  if ((capacity & (capacity - 1)) !== 0) {
    throw new OutOfRangeError(`${label} must be a power of two, got ${capacity}`);
  }
  return capacity;
}

/** Writes a fresh ring header (all positions 0) of `kind` at `byteOffset`. */
export function initializeRing(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, capacity: number, kind: number): void {
  validateCapacity(capacity);
  checkPlacement('a ring', buffer, byteOffset, ringLength(capacity), RING_ALIGNMENT);
  new Uint8Array(buffer, byteOffset, ringLength(capacity)).fill(0);
  const header = new Int32Array(buffer, byteOffset, RING_HEADER_LENGTH >> 2);
  header[RING_CAPACITY_OFFSET >> 2] = capacity;
  header[RING_KIND_OFFSET >> 2] = kind;
  header[RING_MAX_PAYLOAD_OFFSET >> 2] = maxPayloadLength(capacity);
  header[RING_VERSION_OFFSET >> 2] = RING_VERSION;
  Atomics.store(header, RING_MAGIC_OFFSET >> 2, RING_MAGIC); // SYNC POINT: the header is ready
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

/**
 * Rings whose handle consumes (or produces, SPSC) in this thread. A consumer publishes its
 * head in batches; one that ends without close() would leave what it read unpublished,
 * and the next consumer would get it again. On this thread's exit each one is detached
 * (head published, slots given back). A crash still re-delivers: at-least-once.
 */
const active = new Set<WeakRef<RingBase>>();
let detachesOnExit = false;

/** Set while this thread exits: sender slots stay, naming a thread about to be gone. */
let exiting = false;

function detachAllOnExit(): void {
  exiting = true;
  for (const ref of active) {
    try {
      ref.deref()?.detach();
    } catch {
      // exiting: a closed section or a lost slot has nothing left to give back
    }
  }
  active.clear();
}

/** Rings start on a 128-byte boundary (cache-line pairs; see layout/ring.ts). */
export const RING_ALIGNMENT = 128;

/**
 * What every ring (SpscRing, MpscRing, MpmcQueue) offers: variable-length records in shared
 * memory, claimed then committed by producers, read then released by consumers. Payloads are
 * bytes, with no codec or waiting; Channel adds both on top. try* calls never wait for data
 * or space (an MPSC or MPMC one may wait a moment for the lock its side shares).
 */
export abstract class RingBase {
  /** Data bytes of the ring (a power of two), its header not included. */
  readonly capacity: number;
  /** The largest payload a record takes, in bytes (half the capacity, less a record header). */
  readonly maxPayload: number;
  /** The kind code in the header: 1 SPSC, 2 MPSC, 3 MPMC (Channel's `kind` names it). */
  readonly kind: number;
  /** The header, as Int32 words (indices: the *_OFFSET constants >> 2). */
  readonly header: Int32Array;
  /**
   * The data area. Payload offsets returned by tryClaim / tryRead index into it. A Buffer, so
   * copies out (`bytes.copy(target, ...)`) allocate nothing.
   */
  readonly bytes: Buffer;
  /** The same bytes as a plain Uint8Array, for codecs (a Buffer would leak into decoded values). */
  readonly plainBytes: Uint8Array;
  /** The data area as Int32 words, for record headers. */
  protected readonly words: Int32Array;
  protected readonly mask: number;
  /** Byte offset of the header in the Waiter's buffer (for futex offsets). */
  protected readonly base: number;
  /** Who may still send (sender-table.ts). */
  readonly senders: SenderTable;

  /**
   * A handle on the ring initialized at `byteOffset` (128-byte aligned) of `buffer`.
   * CorruptChannelError if no valid ring is there, IncompatibleSectionError for another
   * format version, InvalidArgValueError if its kind is not `expectedKind`.
   */
  constructor(
    /** The memory the ring lives in. */
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    /** Where the ring's header starts in `buffer`. */
    readonly byteOffset: number,
    protected readonly waiter: Waiter,
    expectedKind: number,
  ) {
    checkPlacement('a ring', buffer, byteOffset, RING_HEADER_LENGTH, RING_ALIGNMENT);
    this.header = new Int32Array(buffer, byteOffset, RING_HEADER_LENGTH >> 2);
    if (Atomics.load(this.header, RING_MAGIC_OFFSET >> 2) !== RING_MAGIC) {
      throw new CorruptChannelError('no ring at this offset (bad magic): not initialised, or overwritten');
    }
    const version = this.header[RING_VERSION_OFFSET >> 2]!;
    if (version !== RING_VERSION) {
      throw new IncompatibleSectionError(
        `the ring at this offset has ring format version ${version}; this shmkit reads version ${RING_VERSION} (made by another shmkit version: recreate it)`,
      );
    }
    const capacity = this.header[RING_CAPACITY_OFFSET >> 2]!;
    try {
      validateCapacity(capacity, 'ring capacity');
    } catch {
      throw new CorruptChannelError(`the ring header holds an impossible capacity (${capacity})`);
    }
    if (byteOffset + ringLength(capacity) > buffer.byteLength) {
      throw new CorruptChannelError(`the ring header says capacity ${capacity}, more than the buffer holds`);
    }
    this.kind = this.header[RING_KIND_OFFSET >> 2]!;
    if (this.kind !== expectedKind) {
      throw new InvalidArgValueError(`the ring at this offset is of kind ${this.kind}, not ${expectedKind}`);
    }
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxPayload = maxPayloadLength(capacity);
    this.base = byteOffset;
    this.senders = new SenderTable(buffer, byteOffset, waiter);
    this.bytes = Buffer.from(buffer, byteOffset + RING_HEADER_LENGTH, capacity);
    this.plainBytes = new Uint8Array(buffer, byteOffset + RING_HEADER_LENGTH, capacity);
    this.words = new Int32Array(buffer, byteOffset + RING_HEADER_LENGTH, capacity >> 2);
  }

  /**
   * Whether the shared head has reached the shared tail: every claimed record was read, so no
   * claim is open and no dead producer can be blocking a reader. A reader that parks on this
   * needs no time slice to look for one: a producer that claims later and dies leaves the
   * head behind the tail, and the next live publication (which wakes the reader) shows it.
   * Conservative: a consumer that has not published its head yet looks not drained.
   */
  drained(): boolean {
    return Atomics.load(this.header, SHARED_HEAD) === Atomics.load(this.header, SHARED_TAIL);
  }

  /** True once end() was called by any process: no more sends; receivers drain. */
  get ended(): boolean {
    return (Atomics.load(this.header, CLOSED) & RING_FLAG_CLOSED) !== 0;
  }

  /** Ends the stream for everyone and wakes everyone parked on it. */
  end(): void {
    Atomics.or(this.header, CLOSED, RING_FLAG_CLOSED);
    Atomics.add(this.header, DATA_SIGNAL, 1);
    Atomics.add(this.header, SPACE_SIGNAL, 1);
    this.waiter.notify(this.base + RING_DATA_SIGNAL_OFFSET, 0x7fff_ffff);
    this.waiter.notify(this.base + RING_SPACE_SIGNAL_OFFSET, 0x7fff_ffff);
  }

  /** A claim length must be a whole number of bytes the ring takes: caller bugs throw. */
  protected checkLength(length: number): void {
    if (typeof length !== 'number' || (length >>> 0) !== length) {
      throw new OutOfRangeError(`a message length must be a non-negative integer, got ${String(length)}`);
    }
    if (length > this.maxPayload) throw new MessageTooLargeError(length, this.maxPayload, `a ring of capacity ${this.capacity}`);
  }

  /*
   * Waking. A parked side is woken once per park, not once per message: the first publisher
   * after a consumer parked wins the CAS on "data wake pending" and makes the one futex wake;
   * the others see the flag and make no syscall. On a busy machine a woken consumer may wait
   * milliseconds for a core, and a producer that rang for every message meanwhile spent its
   * own slice in syscalls (issue 11: 11x slower under one CPU hog per core).
   *
   * The parking side: counts itself parked, reads the signal, clears "wake pending", looks at
   * the ring once more, then waits on the signal value it read. A publisher: publishes, then
   * sees the parked count (seq-cst: after its publication), and if the flag was clear, sets
   * it, bumps the signal and wakes. Either the parker's last look saw the record, or the
   * publisher saw parked > 0 after the parker cleared the flag, so its CAS (or another
   * publisher's, also after the clear) bumps the signal after the parker read it: no wake
   * is lost.
   */

  /** A producer published: wake parked consumers, if any and nobody rang since they parked. */
  protected signalData(): void {
    if (Atomics.load(this.header, CONSUMERS_PARKED) > 0 && Atomics.compareExchange(this.header, DATA_WAKE_PENDING, 0, 1) === 0) {
      Atomics.add(this.header, DATA_SIGNAL, 1);
      // Every parked receiver: MPMC consumers each take what they can, and one SPSC / MPSC
      // handle may have several receives pending (Promise.all); a wake for one would leave
      // the others parked with "wake pending" set until their slices end.
      this.waiter.notify(this.base + RING_DATA_SIGNAL_OFFSET, 0x7fff_ffff);
    }
  }

  /** A consumer freed space: wake the parked producers, if any and nobody rang since they parked. */
  protected signalSpace(): void {
    if (Atomics.load(this.header, PRODUCERS_PARKED) > 0 && Atomics.compareExchange(this.header, SPACE_WAKE_PENDING, 0, 1) === 0) {
      Atomics.add(this.header, SPACE_SIGNAL, 1);
      this.waiter.notify(this.base + RING_SPACE_SIGNAL_OFFSET, 0x7fff_ffff);
    }
  }

  /** A consumer is about to park: returns the data signal to wait on (see "Waking"). Pair with unparkConsumer(). */
  parkConsumer(): number {
    Atomics.add(this.header, CONSUMERS_PARKED, 1);
    const signal = Atomics.load(this.header, DATA_SIGNAL);
    Atomics.store(this.header, DATA_WAKE_PENDING, 0);
    return signal;
  }

  /** A consumer is done parking (after parkConsumer), whether it was woken or not. */
  unparkConsumer(): void {
    Atomics.sub(this.header, CONSUMERS_PARKED, 1);
  }

  /** A producer is about to park: returns the space signal to wait on. Pair with unparkProducer(). */
  parkProducer(): number {
    Atomics.add(this.header, PRODUCERS_PARKED, 1);
    const signal = Atomics.load(this.header, SPACE_SIGNAL);
    Atomics.store(this.header, SPACE_WAKE_PENDING, 0);
    return signal;
  }

  /** A producer is done parking (after parkProducer), whether it was woken or not. */
  unparkProducer(): void {
    Atomics.sub(this.header, PRODUCERS_PARKED, 1);
  }

  /** tryCommit with no claim pending: a caller bug, not damage. */
  protected noClaim(): never {
    throw new InvalidArgValueError('commit without a pending claim (claim first; each claim commits once)');
  }

  /** release() with no record read: a caller bug, not damage. */
  protected noRead(): never {
    throw new InvalidArgValueError('release without a record read (tryRead first; each record releases once)');
  }

  /** tryClaim with a claim already pending on this handle: a caller bug, not damage. */
  protected claimPending(): never {
    throw new InvalidArgValueError('a claim is pending on this handle: commit() or cancel() it before the next write');
  }

  protected corrupt(what: string): never {
    throw new CorruptChannelError(`ring corrupted: ${what}`);
  }

  /** Bytes in use between two positions, checked against the capacity. */
  protected used(tail: number, head: number): number {
    const used = (tail - head) | 0;
    if (used < 0 || used > this.capacity) this.corrupt(`positions head ${head >>> 0} and tail ${tail >>> 0} are ${used} bytes apart`);
    return used;
  }

  // --- the interface every ring offers (see SpscRing for the protocol) ---

  /** Reserves a record for `length` payload bytes; returns its payload offset in `bytes`, or -1 if full. */
  abstract tryClaim(length: number): number;
  /**
   * Publishes the record reserved by the last tryClaim; false if the consumer revoked the
   * claim first (it became padding: nothing was sent, claim again).
   */
  abstract tryCommit(type?: number): boolean;
  /** Length of the next record's payload (its offset is `readOffset`), or -1 if none is ready. */
  abstract tryRead(): number;
  /** Consumes the record returned by the last tryRead. */
  abstract release(): void;
  /** Payload offset in `bytes` of the record returned by the last tryRead. */
  abstract readonly readOffset: number;
  /** Type of the record returned by the last tryRead (RECORD_MESSAGE or RECORD_HEAP). */
  abstract readonly readType: number;
  /** Turns a claim abandoned by a dead producer into padding; true if it did. */
  unblock(): boolean {
    return false;
  }

  /** Claims of dead producers this handle turned into padding (0 unless someone died). */
  unblocked = 0;
  /** This handle's claims that a consumer revoked before commit (0 unless liveness erred). */
  revoked = 0;

  /** Times a lock of this ring was taken from a dead holder (rings without locks: 0). */
  get lockRecoveries(): number {
    return 0;
  }

  /** Lets go of the consumer / producer slot this handle holds (see ring-slot.ts). */
  detach(): void {}

  /** Registers this handle as a sender before its first claim (sender-table.ts). */
  protected startSending(): void {
    this.senders.register();
    this.detachOnExit(); // a claim left open at exit is cancelled
  }

  /**
   * Gives this handle's sender slot back: close() says "this sender is done, not the stream".
   * Not at thread exit: a sender that ends without close() (or end()) leaves its slot to its
   * dead owner, which is how receivers learn that it is gone (sender-table.ts).
   */
  protected stopSending(): void {
    if (!exiting) this.senders.release();
  }

  /**
   * Consumers publish their head after every record, unless a batch of reads holds it
   * (holdConsumed: readMany, receiveMany, poll) until flushConsumed(). Publishing later than
   * the end of the reader's call hid space a producer was parked for: a consumer that took
   * one message and then waited on something else left the producer waiting its whole
   * timeout (found by an attack on the batching change). Inside a batch the head still goes
   * out every quarter (SPSC) or eighth (MPSC) of the ring, and at once for a parked producer.
   */
  holdConsumed(): void {
    this.holdingConsumed = true;
  }

  protected holdingConsumed = false;

  /**
   * Held reads (Channel.holdReads): what this handle reads is consumed only here until
   * commitReads() publishes it; a handle that closes or dies first leaves it to the next
   * reader. For relays that must not lose a message taken but not yet passed on (the Redis
   * bridge). False where a ring cannot hold (MPMC publishes every read under its lock).
   */
  holdReads(on: boolean): boolean {
    if (!on && this.readsHeld) this.commitReads();
    this.readsHeld = on;
    return true;
  }

  /** Publishes the reads held since the last commit (no-op when not holding). */
  commitReads(): void {
    if (!this.readsHeld || !this.consuming) return;
    this.readsHeld = false;
    try {
      this.publish();
    } finally {
      this.readsHeld = true;
    }
  }

  /** While reads are held: publish() is suppressed (see holdReads). */
  protected readsHeld = false;

  /** True once this handle has read: it is the consumer (or, MPMC, one of them). */
  protected consuming = false;

  /** Makes what this handle consumed visible to producers (a no-op while reads are held). */
  protected abstract publish(): void;

  /** Ring position (uint32, in bytes since the ring began) where the record last read starts. */
  readPosition = 0;

  /** Publishes what this handle consumed so far and stops holding (see holdConsumed). */
  flushConsumed(): void {
    this.holdingConsumed = false;
  }

  /**
   * Batches publication (writeMany): commits after this one store no shared position and ring
   * no bell until flushProduced(). Only SPSC defers (one tail store and at most one wake per
   * batch); MPSC / MPMC records are published by their own commit CAS and ignore it. A caller
   * that holds must flush before it waits for space, or the consumer never sees the batch.
   */
  holdProduced(): void {}

  /** Publishes what commits since holdProduced() wrote, and stops holding. */
  flushProduced(): void {}

  private exitRef: WeakRef<RingBase> | undefined;

  /** Called when this handle starts consuming or producing: detached at thread exit. */
  protected detachOnExit(): void {
    this.exitRef ??= new WeakRef(this);
    if (active.size >= 256) for (const ref of active) if (ref.deref() === undefined) active.delete(ref);
    active.add(this.exitRef);
    if (!detachesOnExit) {
      detachesOnExit = true;
      process.once('exit', detachAllOnExit);
    }
  }

  /** Gives up the pending claim: nothing is published, the ring goes on. */
  abstract cancelClaim(): void;

  /** Publishes the last claim; ClaimRevokedError if it was revoked (zero-copy callers). */
  commit(type?: number): void {
    if (!this.tryCommit(type)) {
      throw new ClaimRevokedError('the consumer revoked this claim before commit() (it judged this process dead); the message was not sent: claim again');
    }
  }

  /** Copies `bytes` in as one record; false if the ring is full. A revoked claim is retried. */
  tryWrite(source: Uint8Array, type?: number): boolean {
    if (!(source instanceof Uint8Array)) throw new InvalidArgTypeError(`a message must be a Uint8Array, got ${describe(source)}`);
    for (;;) {
      const at = this.tryClaim(source.length);
      if (at < 0) return false;
      this.bytes.set(source, at);
      if (this.tryCommit(type)) return true;
    }
  }

  /** Copies the next record into `target`; its length, or -1 if none. */
  tryReadInto(target: Uint8Array): number {
    const length = this.tryRead();
    if (length < 0) return -1;
    if (length > target.length) {
      this.abandonRead();
      throw new OutOfRangeError(`the next message has ${length} bytes, more than the target's ${target.length}`);
    }
    this.copyOut(target, this.readOffset, length);
    this.release();
    return length;
  }

  private lastTarget: Uint8Array | undefined;
  private lastTargetWords: Int32Array | undefined;

  /**
   * Copies `length` bytes at `at` (8-byte aligned) into `target`. Small messages go word by
   * word through an Int32Array over the target (kept for the next call: receive loops reuse
   * one buffer), because any native copy costs ~50 ns just to call and a byte loop ~2.5 ns a
   * byte; larger ones go through Buffer.copy (memcpy).
   */
  copyOut(target: Uint8Array, at: number, length: number): void {
    if (length > 256 || (target.byteOffset & 3) !== 0) {
      this.bytes.copy(target, 0, at, at + length);
      return;
    }
    let targetWords = this.lastTargetWords;
    if (this.lastTarget !== target || targetWords === undefined) {
      targetWords = new Int32Array(target.buffer, target.byteOffset, target.byteLength >> 2);
      this.lastTarget = target;
      this.lastTargetWords = targetWords;
    }
    const words = this.words;
    const base = at >> 2;
    const whole = length >> 2;
    for (let i = 0; i < whole; i++) targetWords[i] = words[base + i]!;
    const bytes = this.bytes;
    for (let j = whole << 2; j < length; j++) target[j] = bytes[at + j]!;
  }

  /**
   * Copies `length` bytes at `at` into `target` at `targetOffset` (a multiple of 4), word by
   * word through `targetWords` (an Int32Array over all of `target`'s buffer from its start):
   * readMany copies many small messages into one chunk without a view per copy.
   */
  copyOutAt(target: Uint8Array, targetWords: Int32Array, targetOffset: number, at: number, length: number): void {
    const words = this.words;
    const base = at >> 2;
    const into = targetOffset >> 2;
    const whole = length >> 2;
    for (let i = 0; i < whole; i++) targetWords[into + i] = words[base + i]!;
    const bytes = this.bytes;
    for (let j = whole << 2; j < length; j++) target[targetOffset + j] = bytes[at + j]!;
  }

  /** Gives up a tryRead without consuming (MPMC releases its lock). */
  abandonRead(): void {}
}
