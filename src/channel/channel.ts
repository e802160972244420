/**
 * Channel: a ring plus a codec plus waiting. send waits for space, receive for a message,
 * both spin briefly and then park (sync or async), and producers ring only when a consumer
 * is parked. end() ends the stream for everyone: receivers drain what is there, then get
 * ChannelEndedError (and `for await` ends); close() lets go of this handle only.
 *
 * Standalone on its own section (Channel.create / open), or on any memory with a Waiter
 * (Channel.initialize + new Channel), such as a SharedArrayBuffer between worker threads.
 */
import { ChannelEndedError, CorruptChannelError, InvalidArgTypeError, InvalidArgValueError, MessageTooLargeError, OutOfRangeError } from '../errors.js';
import { RECORD_HEAP, RECORD_MESSAGE, RING_DATA_SIGNAL_OFFSET, RING_SPACE_SIGNAL_OFFSET, ringLength } from '../layout/ring.js';
import { Section } from '../section/section.js';
import {
  FIRST_PARK_SLICE_MS,
  MAX_PARK_SLICE_MS,
  parkAsync,
  parkSync,
  parseWaitOptions,
  ASYNC_SPIN_BURST,
  type ParsedWait,
  type WaitOptionsArg,
} from '../sync/wait-options.js';
import { assertOpen, type Waiter } from '../sync/waiter.js';
import { validateKnownKeys, validateObject } from '../validate.js';
import { encodeValue, resolveCodec, type Codec, type CodecOption } from '../codec/index.js';
import { CONSUMERS_PARKED, DATA_SIGNAL, initializeRing, PRODUCERS_PARKED, SPACE_SIGNAL, validateCapacity, type RingBase } from './ring-base.js';
import { attachRing, ringKindCode, ringKindName, type RingKind } from './ring-kind.js';

export const DEFAULT_CAPACITY = 1 << 20;

/**
 * Where a channel in a namespace puts messages larger than a ring record: the namespace
 * heap. The ring then carries an 8-byte handle record (offset, length) of type HEAP.
 */
export interface LargeMessageStore {
  /** Copies `bytes` into a new heap block; its buffer offset. NamespaceFullError if no room. */
  store(bytes: Uint8Array): number;
  /** The bytes of a stored message (a view, valid until free). */
  view(offset: number, length: number): Uint8Array;
  free(offset: number): void;
  /** The largest message it can take now, for error messages. */
  readonly limit: number;
}

/**
 * How long a waiting sender or receiver spins before it parks, unless the caller passed
 * `spin`. Longer than the sync primitives' default: a channel's peer is usually streaming,
 * and a park costs a futex wake on the other side for every message after it. 30 µs of a
 * core is cheap next to that; an idle channel still parks after 30 µs.
 */
export const CHANNEL_SPIN_MS = 0.03;
/** The same for async waits, which must not hold the event loop: a few µs, then parkAsync polls per turn. */
export const CHANNEL_ASYNC_SPIN_MS = 0.005;

/**
 * A pause between two looks at the other side's position (JS has no PAUSE instruction): a
 * consumer re-reading the producer's cache line in a tight loop forces every store the
 * producer makes to that line to fetch it back first, which halves small-message throughput.
 */
let backOffSink = 0;
function backOff(): void {
  let x = backOffSink;
  for (let i = 0; i < BACK_OFF_ITERATIONS; i++) x = (x * 31 + i) | 0;
  backOffSink = x;
}
const BACK_OFF_ITERATIONS = 64;

function checkBytes(bytes: unknown): void {
  if (!(bytes instanceof Uint8Array)) {
    const got = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes.constructor?.name ?? 'an object') : typeof bytes;
    throw new InvalidArgTypeError(`a raw message must be a Uint8Array (or Buffer), got ${got}; send() encodes other values`);
  }
}

function spinsByTime(options: WaitOptionsArg): boolean {
  return typeof options !== 'object' || options.spin === undefined;
}

export interface ChannelCreateOptions {
  /** Ring bytes, a power of two from 1 KiB to 1 GiB (default 1 MiB). Largest message: half. */
  capacity?: number;
  /** 'spsc' (one sender, one receiver), 'mpsc' (default) or 'mpmc' (a work queue). */
  kind?: RingKind;
  codec?: CodecOption;
  mode?: number;
}

export interface ChannelOpenOptions {
  codec?: CodecOption;
  timeout?: number;
}

export class Channel<T = unknown> implements AsyncIterable<T>, Disposable {
  readonly ring: RingBase;
  readonly kind: RingKind;
  /** The section this channel owns (standalone channels), let go of by close(). */
  readonly section: Section | undefined;
  private readonly codec: Codec;
  private readonly dataSignal: number;
  private readonly spaceSignal: number;
  private claimed = -1;
  private readonly large: LargeMessageStore | undefined;
  private readonly handle = new Uint8Array(8);
  private readonly handleView = new DataView(this.handle.buffer);

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    private readonly waiter: Waiter,
    options: { codec?: CodecOption; section?: Section; largeMessages?: LargeMessageStore } = {},
  ) {
    this.ring = attachRing(buffer, byteOffset, waiter);
    this.large = options.largeMessages;
    this.kind = ringKindName(this.ring.kind)!;
    this.codec = resolveCodec(options.codec);
    this.section = options.section;
    this.dataSignal = byteOffset + RING_DATA_SIGNAL_OFFSET;
    this.spaceSignal = byteOffset + RING_SPACE_SIGNAL_OFFSET;
  }

  /** Bytes a channel of `capacity` takes in a buffer (ring header included). */
  static byteLength(capacity: number): number {
    return ringLength(validateCapacity(capacity));
  }

  /** Lays out an empty channel ring at a 128-byte aligned offset. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, options: { capacity?: number; kind?: RingKind } = {}): void {
    const parsed = validateObject<{ capacity?: number; kind?: RingKind }>(options, 'Channel.initialize options');
    validateKnownKeys(parsed, ['capacity', 'kind'], 'Channel.initialize options');
    initializeRing(buffer, byteOffset, parsed.capacity ?? DEFAULT_CAPACITY, ringKindCode(parsed.kind ?? 'mpsc'));
  }

  /** A channel on a new section of its own. */
  static create<T = unknown>(name: string, options: ChannelCreateOptions = {}): Channel<T> {
    const parsed = validateObject<ChannelCreateOptions>(options, 'options');
    validateKnownKeys(parsed, ['capacity', 'kind', 'codec', 'mode'], 'options');
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    const kind = ringKindCode(parsed.kind ?? 'mpsc');
    resolveCodec(parsed.codec); // reject a bad codec before creating anything
    const section = Section.create(name, {
      size: ringLength(capacity),
      kind: 'channel',
      ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
      initialize: (buffer) => initializeRing(buffer, 0, capacity, kind),
    });
    return Channel.onSection<T>(section, parsed.codec);
  }

  /** Opens a channel made by Channel.create, in this or another process. */
  static open<T = unknown>(name: string, options: ChannelOpenOptions = {}): Channel<T> {
    const parsed = validateObject<ChannelOpenOptions>(options, 'options');
    validateKnownKeys(parsed, ['codec', 'timeout'], 'options');
    const section = Section.open(name, parsed.timeout === undefined ? {} : { timeout: parsed.timeout });
    if (section.kind !== 'channel' && section.kind !== 'mailbox') {
      section.close();
      throw new CorruptChannelError(`section '${name}' holds a ${section.kind}, not a channel`);
    }
    return Channel.onSection<T>(section, parsed.codec);
  }

  static unlink(name: string): boolean {
    return Section.unlink(name);
  }

  protected static onSection<T>(section: Section, codec: CodecOption | undefined): Channel<T> {
    try {
      return new Channel<T>(section.buffer, 0, section.waiter, { codec, section });
    } catch (error) {
      section.close();
      throw error;
    }
  }

  /** True once end() was called by any process: no more sends; receivers drain, then finish. */
  get ended(): boolean {
    return this.ring.ended;
  }

  /** Throws SectionClosedError once the memory under this channel is gone (see assertOpen). */
  private open(): RingBase {
    if (this.waiter.closed) assertOpen(this.waiter, 'channel');
    return this.ring;
  }

  /** What this channel was created with (opening it again with other values is refused). */
  get options(): { kind: RingKind; capacity: number } {
    return { kind: this.kind, capacity: this.ring.capacity };
  }

  /** The largest message this channel takes, in encoded bytes. */
  get maxMessageLength(): number {
    return this.ring.maxPayload;
  }

  // ---------------------------------------------------------------- values (through the codec)

  /** Sends without waiting: false if the ring is full. */
  trySend(value: T): boolean {
    return this.tryWrite(encodeValue(this.codec, value));
  }

  /** Sends, waiting for space (async: never blocks the event loop). */
  async send(value: T, options?: WaitOptionsArg): Promise<void> {
    const bytes = encodeValue(this.codec, value);
    if (bytes.length > this.ring.maxPayload) return this.write(bytes, options); // stored before any wait
    if (this.tryWrite(bytes)) return;
    // The encoder reuses its buffer: keep our own copy across the wait.
    await this.write(bytes.slice(), options);
  }

  /** Sends, blocking this thread while the ring is full (for workers). */
  sendSync(value: T, options?: WaitOptionsArg): void {
    const bytes = encodeValue(this.codec, value);
    if (bytes.length <= this.ring.maxPayload && this.tryWrite(bytes)) return;
    this.writeSync(bytes, options);
  }

  /** The next message, or undefined if none is there now. */
  tryReceive(): { value: T } | undefined {
    const length = this.open().tryRead();
    if (length < 0) {
      if (this.ring.ended && this.ring.tryRead() < 0) throw new ChannelEndedError();
      return undefined;
    }
    return { value: this.decodeAndRelease(length) };
  }

  async receive(options?: WaitOptionsArg): Promise<T> {
    const length = this.open().tryRead();
    if (length >= 0) return this.decodeAndRelease(length);
    return this.decodeAndRelease(await this.awaitRecord(parseWaitOptions(options, 'Channel.receive'), 'Channel.receive', spinsByTime(options)));
  }

  receiveSync(options?: WaitOptionsArg): T {
    const length = this.open().tryRead();
    if (length >= 0) return this.decodeAndRelease(length);
    return this.decodeAndRelease(this.awaitRecordSync(parseWaitOptions(options, 'Channel.receiveSync'), 'Channel.receiveSync', spinsByTime(options)));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        let value: T;
        try {
          value = await this.receive();
        } catch (error) {
          if (error instanceof ChannelEndedError) return;
          throw error;
        }
        yield value;
      }
    } finally {
      // A loop left early (break, return, throw): what it took is consumed for good, so a
      // consumer after it does not get it again.
      if (!this.waiter.closed) this.ring.flushConsumed();
    }
  }

  private decodeAndRelease(length: number): T {
    if (this.ring.readType === RECORD_HEAP) return this.codec.decode(this.takeLarge(length)) as T;
    const at = this.ring.readOffset;
    try {
      return this.codec.decode(this.ring.plainBytes.subarray(at, at + length)) as T;
    } catch (error) {
      throw new CorruptChannelError(`a message could not be decoded (${(error as Error).message}); it was skipped`);
    } finally {
      this.ring.release();
    }
  }

  /** Copies a heap-held message out, frees its block and consumes its handle record. */
  private takeLarge(length: number): Uint8Array {
    const large = this.large;
    const at = this.ring.readOffset;
    if (!large || length !== 8) {
      this.ring.release();
      throw new CorruptChannelError('a heap message record where no namespace heap is attached');
    }
    const view = new DataView(this.ring.plainBytes.buffer, this.ring.plainBytes.byteOffset + at, 8);
    const offset = view.getUint32(0, true);
    const size = view.getUint32(4, true);
    this.ring.release();
    const copy = new Uint8Array(large.view(offset, size));
    large.free(offset);
    return copy;
  }

  /** A message past the ring's limit: into the heap, and a handle record into the ring. */
  private storeLarge(bytes: Uint8Array): Uint8Array {
    if (!this.large) throw new MessageTooLargeError(bytes.length, this.ring.maxPayload);
    const offset = this.large.store(bytes);
    this.handleView.setUint32(0, offset, true);
    this.handleView.setUint32(4, bytes.length, true);
    return this.handle;
  }

  // ---------------------------------------------------------------- raw bytes

  /** Copies `bytes` in as one message; false if full. Allocates nothing. */
  tryWrite(bytes: Uint8Array): boolean {
    checkBytes(bytes);
    if (this.open().ended) throw new ChannelEndedError();
    if (bytes.length > this.ring.maxPayload) {
      const handle = this.storeLarge(bytes);
      let sent = false;
      try {
        sent = this.ring.tryWrite(handle, RECORD_HEAP);
      } finally {
        if (!sent) this.large!.free(this.handleView.getUint32(0, true)); // full, or refused (busy, bad state)
      }
      return sent;
    }
    return this.ring.tryWrite(bytes, RECORD_MESSAGE);
  }

  /** Writes one record of `type`, for the waiting loops. */
  private tryWriteRecord(bytes: Uint8Array, type: number): boolean {
    if (this.open().ended) throw new ChannelEndedError();
    return this.ring.tryWrite(bytes, type);
  }

  async write(bytes: Uint8Array, options?: WaitOptionsArg): Promise<void> {
    checkBytes(bytes);
    if (bytes.length > this.ring.maxPayload) {
      const handle = this.storeLarge(bytes).slice();
      try {
        return await this.writeRecord(handle, RECORD_HEAP, options);
      } catch (error) {
        this.large!.free(new DataView(handle.buffer).getUint32(0, true));
        throw error;
      }
    }
    return this.writeRecord(bytes, RECORD_MESSAGE, options);
  }

  private async writeRecord(bytes: Uint8Array, type: number, options?: WaitOptionsArg): Promise<void> {
    if (this.tryWriteRecord(bytes, type)) return;
    const wait = parseWaitOptions(options, 'Channel.write');
    const byTime = spinsByTime(options);
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      if (this.spinWrite(bytes, type, wait, byTime, true)) return;
      const signal = this.parkForSpace();
      try {
        if (this.tryWriteRecord(bytes, type)) return;
        await parkAsync(this.waiter, this.spaceSignal, signal, wait, 'Channel.send', slice);
      } finally {
        Atomics.sub(this.ring.header, PRODUCERS_PARKED, 1);
      }
      if (this.tryWriteRecord(bytes, type)) return;
      slice = Math.min(slice * 2, MAX_PARK_SLICE_MS);
    }
  }

  writeSync(bytes: Uint8Array, options?: WaitOptionsArg): void {
    checkBytes(bytes);
    if (bytes.length > this.ring.maxPayload) {
      const handle = this.storeLarge(bytes).slice();
      try {
        return this.writeRecordSync(handle, RECORD_HEAP, options);
      } catch (error) {
        this.large!.free(new DataView(handle.buffer).getUint32(0, true));
        throw error;
      }
    }
    return this.writeRecordSync(bytes, RECORD_MESSAGE, options);
  }

  private writeRecordSync(bytes: Uint8Array, type: number, options?: WaitOptionsArg): void {
    if (this.tryWriteRecord(bytes, type)) return;
    const wait = parseWaitOptions(options, 'Channel.writeSync');
    const byTime = spinsByTime(options);
    for (;;) {
      if (this.spinWrite(bytes, type, wait, byTime, false)) return;
      const signal = this.parkForSpace();
      try {
        if (this.tryWriteRecord(bytes, type)) return;
        parkSync(this.waiter, this.spaceSignal, signal, wait, 'Channel.sendSync', MAX_PARK_SLICE_MS);
      } finally {
        Atomics.sub(this.ring.header, PRODUCERS_PARKED, 1);
      }
    }
  }

  /** A copy of the next message's bytes, or undefined. */
  tryRead(): Uint8Array | undefined {
    const length = this.open().tryRead();
    if (length < 0) {
      if (this.ring.ended && this.ring.tryRead() < 0) throw new ChannelEndedError();
      return undefined;
    }
    return this.copyAndRelease(length);
  }

  /** Copies the next message into `target` and returns its length, or -1. Allocates nothing. */
  tryReadInto(target: Uint8Array): number {
    checkBytes(target);
    const length = this.open().tryRead();
    if (length >= 0) return this.copyInto(target, length);
    if (this.ring.ended && this.ring.tryRead() < 0) throw new ChannelEndedError();
    return -1;
  }

  async read(options?: WaitOptionsArg): Promise<Uint8Array> {
    const length = this.open().tryRead();
    if (length >= 0) return this.copyAndRelease(length);
    return this.copyAndRelease(await this.awaitRecord(parseWaitOptions(options, 'Channel.read'), 'Channel.read', spinsByTime(options)));
  }

  readSync(options?: WaitOptionsArg): Uint8Array {
    const length = this.open().tryRead();
    if (length >= 0) return this.copyAndRelease(length);
    return this.copyAndRelease(this.awaitRecordSync(parseWaitOptions(options, 'Channel.readSync'), 'Channel.readSync', spinsByTime(options)));
  }

  /**
   * Waits for the next message and copies it into `target`; returns its length. Allocates
   * nothing, so a receive loop on it makes no garbage.
   */
  readIntoSync(target: Uint8Array, options?: WaitOptionsArg): number {
    checkBytes(target);
    const length = this.open().tryRead();
    if (length >= 0) return this.copyInto(target, length);
    return this.copyInto(target, this.awaitRecordSync(parseWaitOptions(options, 'Channel.readIntoSync'), 'Channel.readIntoSync', spinsByTime(options)));
  }

  async readInto(target: Uint8Array, options?: WaitOptionsArg): Promise<number> {
    checkBytes(target);
    const length = this.open().tryRead();
    if (length >= 0) return this.copyInto(target, length);
    return this.copyInto(target, await this.awaitRecord(parseWaitOptions(options, 'Channel.readInto'), 'Channel.readInto', spinsByTime(options)));
  }

  /** Copies the record that tryRead returned into `target` and consumes it. */
  private copyInto(target: Uint8Array, length: number): number {
    if (this.ring.readType === RECORD_HEAP) {
      const size = new DataView(this.ring.plainBytes.buffer, this.ring.plainBytes.byteOffset + this.ring.readOffset + 4, 4).getUint32(0, true);
      if (size > target.length) {
        this.ring.abandonRead();
        throw new OutOfRangeError(`the next message has ${size} bytes, more than the target's ${target.length}`);
      }
      const bytes = this.takeLarge(length);
      target.set(bytes);
      return bytes.length;
    }
    if (length > target.length) {
      this.ring.abandonRead();
      throw new OutOfRangeError(`the next message has ${length} bytes, more than the target's ${target.length}`);
    }
    this.ring.copyOut(target, this.ring.readOffset, length);
    this.ring.release();
    return length;
  }

  private copyAndRelease(length: number): Uint8Array {
    if (this.ring.readType === RECORD_HEAP) return this.takeLarge(length);
    const at = this.ring.readOffset;
    const copy = new Uint8Array(length);
    this.ring.bytes.copy(copy, 0, at, at + length);
    this.ring.release();
    return copy;
  }

  // ---------------------------------------------------------------- zero copy

  /**
   * Reserves room for an `length`-byte message and returns the bytes to fill in place;
   * then commit(). Returns undefined if the ring is full (nothing reserved).
   */
  claim(length: number): Uint8Array | undefined {
    if (this.open().ended) throw new ChannelEndedError();
    if (this.claimed >= 0) throw new InvalidArgValueError('claim() twice: commit() or cancel() the pending claim first');
    const at = this.ring.tryClaim(length);
    if (at < 0) return undefined;
    this.claimed = at;
    return this.ring.bytes.subarray(at, at + length);
  }

  /**
   * Publishes the message reserved by claim(). ClaimRevokedError if the consumer revoked the
   * claim first (it judged this process dead: processes in different pid namespaces); the
   * message was not sent.
   */
  commit(): void {
    this.open();
    if (this.claimed < 0) throw new InvalidArgValueError('commit() without claim()');
    this.claimed = -1;
    this.ring.commit(RECORD_MESSAGE);
  }

  /**
   * Gives up the message reserved by claim(): nothing is sent, and the ring goes on (a
   * producer that fails while composing in place must call it, or the receiver waits behind
   * the open claim for as long as this process lives).
   */
  cancel(): void {
    if (this.claimed < 0) throw new InvalidArgValueError('cancel() without claim()');
    this.claimed = -1;
    this.ring.cancelClaim();
  }

  // ---------------------------------------------------------------- waiting

  private parkForSpace(): number {
    Atomics.add(this.ring.header, PRODUCERS_PARKED, 1);
    return Atomics.load(this.ring.header, SPACE_SIGNAL);
  }

  /** Returns the length of a record now readable, or throws (ended, timeout, abort). */
  private async awaitRecord(wait: ParsedWait, what: string, byTime: boolean): Promise<number> {
    const ring = this.ring;
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      const spun = this.spinRead(wait, byTime, true);
      if (spun >= 0) return spun;
      Atomics.add(ring.header, CONSUMERS_PARKED, 1);
      let result;
      try {
        const signal = Atomics.load(ring.header, DATA_SIGNAL);
        const length = this.readOrThrowIfClosed();
        if (length >= 0) return length;
        result = await parkAsync(this.waiter, this.dataSignal, signal, wait, what, slice);
      } finally {
        Atomics.sub(ring.header, CONSUMERS_PARKED, 1);
      }
      const length = this.readOrThrowIfClosed();
      if (length >= 0) return length;
      slice = this.afterPark(result, slice);
    }
  }

  private awaitRecordSync(wait: ParsedWait, what: string, byTime: boolean): number {
    const ring = this.ring;
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      const spun = this.spinRead(wait, byTime, false);
      if (spun >= 0) return spun;
      Atomics.add(ring.header, CONSUMERS_PARKED, 1);
      let result;
      try {
        const signal = Atomics.load(ring.header, DATA_SIGNAL);
        const length = this.readOrThrowIfClosed();
        if (length >= 0) return length;
        result = parkSync(this.waiter, this.dataSignal, signal, wait, what, slice);
      } finally {
        Atomics.sub(ring.header, CONSUMERS_PARKED, 1);
      }
      const length = this.readOrThrowIfClosed();
      if (length >= 0) return length;
      slice = this.afterPark(result, slice);
    }
  }

  /**
   * Spins on tryRead: `wait.spin` times, or for CHANNEL_SPIN_MS when the caller set no spin;
   * never past the deadline, and an async caller only for a burst of a few µs (it goes on
   * polling once per event-loop turn in parkAsync).
   */
  private spinRead(wait: ParsedWait, byTime: boolean, asyncCaller: boolean): number {
    const ring = this.ring;
    if (!byTime) {
      const count = asyncCaller ? Math.min(wait.spin, ASYNC_SPIN_BURST) : wait.spin;
      for (let i = 0; i < count; i++) {
        const length = ring.tryRead();
        if (length >= 0) return length;
        if ((i & 255) === 255 && performance.now() >= wait.deadline) return -1;
      }
      return -1;
    }
    const until = Math.min(performance.now() + (asyncCaller ? CHANNEL_ASYNC_SPIN_MS : CHANNEL_SPIN_MS), wait.deadline);
    do {
      for (let i = 0; i < 32; i++) {
        const length = ring.tryRead();
        if (length >= 0) return length;
        backOff();
      }
    } while (performance.now() < until);
    return -1;
  }

  /** Spins on tryWrite, like spinRead. */
  private spinWrite(bytes: Uint8Array, type: number, wait: ParsedWait, byTime: boolean, asyncCaller: boolean): boolean {
    if (!byTime) {
      const count = asyncCaller ? Math.min(wait.spin, ASYNC_SPIN_BURST) : wait.spin;
      for (let i = 0; i < count; i++) {
        if (this.tryWriteRecord(bytes, type)) return true;
        if ((i & 255) === 255 && performance.now() >= wait.deadline) return false;
      }
      return false;
    }
    const until = Math.min(performance.now() + (asyncCaller ? CHANNEL_ASYNC_SPIN_MS : CHANNEL_SPIN_MS), wait.deadline);
    do {
      for (let i = 0; i < 32; i++) if (this.tryWriteRecord(bytes, type)) return true;
    } while (performance.now() < until);
    return false;
  }

  private readOrThrowIfClosed(): number {
    const length = this.open().tryRead();
    if (length < 0 && this.ring.ended) {
      const last = this.ring.tryRead(); // a record published just before the close
      if (last >= 0) return last;
      throw new ChannelEndedError();
    }
    return length;
  }

  /** A slice that passed with nothing to read: maybe a dead producer blocks the head. */
  private afterPark(result: string, slice: number): number {
    if (result !== 'timed-out') return FIRST_PARK_SLICE_MS;
    if (this.ring.unblock()) return FIRST_PARK_SLICE_MS;
    return Math.min(slice * 2, MAX_PARK_SLICE_MS);
  }

  // ---------------------------------------------------------------- lifetime

  /** Ends the stream for everyone: no more sends; receivers drain, then finish. */
  end(): void {
    this.ring.end();
  }

  /**
   * Lets go of this handle: its consumer or producer slot (so another handle may take it) and,
   * for standalone channels, this process's mapping. The channel stays for others (end()
   * ends it for everyone).
   */
  close(): void {
    this.ring.detach();
    this.section?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
