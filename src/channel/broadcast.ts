/**
 * Broadcast: one writer, many readers, each reader with its own cursor. publish() never
 * waits; a reader that falls behind by more than the capacity loses the oldest messages and
 * is told how many (`lost`). Layout and the lapping check: src/layout/broadcast.ts.
 */
import { ChannelEndedError, CorruptChannelError, SectionClosedError, IncompatibleSectionError, InvalidArgTypeError, MessageTooLargeError } from '../errors.js';
import {
  BROADCAST_CAPACITY_OFFSET,
  BROADCAST_DATA_SIGNAL_OFFSET,
  BROADCAST_FLAGS_OFFSET,
  BROADCAST_HEADER_LENGTH,
  BROADCAST_LATEST_OFFSET,
  BROADCAST_MAGIC,
  BROADCAST_MAGIC_OFFSET,
  BROADCAST_MAX_PAYLOAD_OFFSET,
  BROADCAST_NEXT_SEQUENCE_OFFSET,
  BROADCAST_READERS_PARKED_OFFSET,
  BROADCAST_RECORD_HEADER_LENGTH,
  BROADCAST_TAIL_INTENT_OFFSET,
  BROADCAST_TAIL_OFFSET,
  BROADCAST_VERSION,
  BROADCAST_VERSION_OFFSET,
  BROADCAST_WRITER_SLOT_OFFSET,
  broadcastLength,
  broadcastMaxPayload,
  broadcastRecordLength,
} from '../layout/broadcast.js';
import { RECORD_MESSAGE, RECORD_PADDING } from '../layout/ring.js';
import { ownSections, type OwnSection, type OwnSectionRequest, type OwnSectionUnlinkOptions } from './own-section.js';
import { parkAsync, parkSync, parseWaitOptions, type ParsedWait, type WaitOptionsArg } from '../sync/wait-options.js';
import { assertOpen, type Waiter } from '../sync/waiter.js';
import { validateKnownKeys, validateObject } from '../validate.js';
import { checkSame, DEFAULT_CAPACITY } from './channel.js';
import { encodeValue, resolveCodec, type Codec, type CodecOption, type StructureStore } from '../codec/index.js';
import { RING_ALIGNMENT, validateCapacity } from './ring-base.js';
import { checkPlacement } from '../sync/placement.js';
import { pauseHook } from '../sync/pause-points.js';
import { RingSlot } from './ring-slot.js';

const TAIL_INTENT = BROADCAST_TAIL_INTENT_OFFSET >> 2;
const TAIL = BROADCAST_TAIL_OFFSET >> 2;
const LATEST = BROADCAST_LATEST_OFFSET >> 2;
const NEXT_SEQUENCE = BROADCAST_NEXT_SEQUENCE_OFFSET >> 2;
const DATA_SIGNAL = BROADCAST_DATA_SIGNAL_OFFSET >> 2;
const READERS_PARKED = BROADCAST_READERS_PARKED_OFFSET >> 2;
const FLAGS = BROADCAST_FLAGS_OFFSET >> 2;

/** One message as a Broadcast reader receives it. */
export interface BroadcastMessage<T> {
  /** The published value, decoded by the reader's codec. */
  value: T;
  /** Messages this reader lost (lapped by the writer) just before this one. */
  lost: number;
}

/** Options of Broadcast.create and Broadcast.openOrCreate. */
export interface BroadcastCreateOptions {
  /** Ring bytes, a power of two from 1 KiB to 1 GiB (default 1 MiB). */
  capacity?: number;
  /** How this handle encodes values: 'msgpack' (default), 'raw' or your own; not stored. */
  codec?: CodecOption;
  /** Permission bits of the section, 0o600 by default. */
  mode?: number;
}

/** Options of Broadcast.open. */
export interface BroadcastOpenOptions {
  /** How this handle decodes values: must match what the writer encodes with. */
  codec?: CodecOption;
  /** Ms to wait for a creator still initialising the section (default 5000). */
  timeout?: number;
  /** Ms to wait for a name nobody has created yet (default 0). */
  wait?: number;
}

/**
 * One writer, many readers, each reader with its own cursor: publish() never waits, and a
 * reader that falls behind by more than the ring loses the oldest messages and is told how
 * many (`lost`). A new reader sees what is published after it opens. Standalone
 * (Broadcast.create / open) or placed in a buffer (initialize, then the constructor).
 */
export class Broadcast<T = unknown> implements Disposable {
  /** Ring bytes. */
  readonly capacity: number;
  /** The largest message it takes, in encoded bytes (half the ring, less a record header). */
  readonly maxPayload: number;
  /** Messages this reader has lost in all, by being lapped. */
  lost = 0;
  /** The section a standalone broadcast lives on, let go of by close(); undefined otherwise. */
  readonly section: OwnSection | undefined;
  private readonly header: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  private readonly mask: number;
  private readonly codec: Codec;
  private readonly signalOffset: number;
  private cursor: number;
  private expectedSequence: number | undefined;
  private scratch = new Uint8Array(256);
  private readonly writerSlot: RingSlot;
  private writing = false;

  /**
   * A handle on the broadcast that initialize() laid out at `byteOffset` (128-byte aligned)
   * of `buffer`, waiting through `waiter`. It reads from what is published next. Not a
   * broadcast there: CorruptChannelError; another format version: IncompatibleSectionError.
   */
  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    private readonly waiter: Waiter,
    options: { codec?: CodecOption; section?: OwnSection; structures?: StructureStore } = {},
  ) {
    checkPlacement('a broadcast', buffer, byteOffset, BROADCAST_HEADER_LENGTH, RING_ALIGNMENT);
    this.header = new Int32Array(buffer, byteOffset, BROADCAST_HEADER_LENGTH >> 2);
    if (Atomics.load(this.header, BROADCAST_MAGIC_OFFSET >> 2) !== BROADCAST_MAGIC) {
      throw new CorruptChannelError('no broadcast ring at this offset (bad magic)');
    }
    const version = this.header[BROADCAST_VERSION_OFFSET >> 2]!;
    if (version !== BROADCAST_VERSION) {
      throw new IncompatibleSectionError(`the broadcast at this offset has format version ${version}; this shmkit reads version ${BROADCAST_VERSION} (made by another shmkit version: recreate it)`);
    }
    const capacity = this.header[BROADCAST_CAPACITY_OFFSET >> 2]!;
    try {
      validateCapacity(capacity, 'broadcast capacity');
    } catch {
      throw new CorruptChannelError(`the broadcast header holds an impossible capacity (${capacity})`);
    }
    if (byteOffset + broadcastLength(capacity) > buffer.byteLength) throw new CorruptChannelError('the broadcast ring lies past its buffer');
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxPayload = broadcastMaxPayload(capacity);
    this.words = new Int32Array(buffer, byteOffset + BROADCAST_HEADER_LENGTH, capacity >> 2);
    this.bytes = Buffer.from(buffer, byteOffset + BROADCAST_HEADER_LENGTH, capacity);
    this.codec = resolveCodec(options.codec, options.structures === undefined ? {} : { structures: options.structures });
    this.section = options.section;
    this.signalOffset = byteOffset + BROADCAST_DATA_SIGNAL_OFFSET;
    this.cursor = Atomics.load(this.header, TAIL); // a new reader sees what comes next
    this.expectedSequence = Atomics.load(this.header, NEXT_SEQUENCE);
    this.writerSlot = new RingSlot(buffer, byteOffset + BROADCAST_WRITER_SLOT_OFFSET, waiter, 'writer', 'this broadcast', 'a broadcast has one writer (give each writer a broadcast of its own)');
  }

  /** Bytes a broadcast of `capacity` takes in a buffer (its header included). */
  static byteLength(capacity: number): number {
    return broadcastLength(validateCapacity(capacity));
  }

  /**
   * Lays out an empty broadcast of `capacity` ring bytes (default 1 MiB) at a 128-byte aligned
   * offset, zeroing its bytes. Only while nobody uses that memory.
   */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, capacity = DEFAULT_CAPACITY): void {
    validateCapacity(capacity);
    checkPlacement('a broadcast', buffer, byteOffset, broadcastLength(capacity), RING_ALIGNMENT);
    new Uint8Array(buffer, byteOffset, broadcastLength(capacity)).fill(0);
    const header = new Int32Array(buffer, byteOffset, BROADCAST_HEADER_LENGTH >> 2);
    header[BROADCAST_CAPACITY_OFFSET >> 2] = capacity;
    header[BROADCAST_MAX_PAYLOAD_OFFSET >> 2] = broadcastMaxPayload(capacity);
    header[BROADCAST_VERSION_OFFSET >> 2] = BROADCAST_VERSION;
    Atomics.store(header, BROADCAST_MAGIC_OFFSET >> 2, BROADCAST_MAGIC);
  }

  /** Creates a broadcast on its own section; this process is its writer. */
  static create<T = unknown>(name: string, options: BroadcastCreateOptions = {}): Broadcast<T> {
    const { request, codec } = Broadcast.parseCreate(options, []);
    return Broadcast.onSection<T>(ownSections().create(name, request, 'Broadcast'), codec);
  }

  /**
   * Opens a broadcast to read it (from now on) or, for its one writer, to publish. `wait: ms`
   * waits for a name that nobody has created yet.
   */
  static open<T = unknown>(name: string, options: BroadcastOpenOptions = {}): Broadcast<T> {
    const parsed = validateObject<BroadcastOpenOptions>(options, 'options');
    validateKnownKeys(parsed, ['codec', 'timeout', 'wait'], 'options');
    resolveCodec(parsed.codec);
    return Broadcast.onSection<T>(ownSections().open(name, { timeout: parsed.timeout, wait: parsed.wait }, 'Broadcast'), parsed.codec);
  }

  /**
   * Opens the broadcast, creating it if it does not exist (`broadcast.created` tells which).
   * Another capacity than the existing one is OptionsMismatchError.
   */
  static openOrCreate<T = unknown>(name: string, options: BroadcastCreateOptions & { timeout?: number } = {}): Broadcast<T> {
    const { request, codec, timeout } = Broadcast.parseCreate(options, ['timeout']);
    const section = ownSections().openOrCreate(name, { ...request, ...(timeout === undefined ? {} : { timeout }) }, 'Broadcast');
    const broadcast = Broadcast.onSection<T>(section, codec);
    if (!section.created) {
      try {
        checkSame(name, 'capacity', options.capacity, broadcast.capacity);
      } catch (error) {
        broadcast.close();
        throw error;
      }
    }
    return broadcast;
  }

  /**
   * Removes a standalone broadcast's name; false if there was none. While live processes
   * other than this one have it open: SectionInUseError, unless `force: true` (they keep
   * their mapping; later opens do not find it). A name that holds another kind is
   * KindMismatchError and stays.
   */
  static unlink(name: string, options: OwnSectionUnlinkOptions = {}): boolean {
    return ownSections().unlink(name, 'Broadcast', options);
  }

  private static parseCreate(options: BroadcastCreateOptions & { timeout?: number }, extraKeys: string[]): { request: OwnSectionRequest; codec: CodecOption | undefined; timeout: number | undefined } {
    const parsed = validateObject<BroadcastCreateOptions & { timeout?: number }>(options, 'options');
    validateKnownKeys(parsed, ['capacity', 'codec', 'mode', ...extraKeys], 'options');
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    resolveCodec(parsed.codec);
    return {
      request: {
        size: broadcastLength(capacity),
        kind: 'broadcast',
        ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
        initialize: (buffer) => Broadcast.initialize(buffer, 0, capacity),
      },
      codec: parsed.codec,
      timeout: parsed.timeout,
    };
  }

  /** `section` holds a broadcast: the provider refused any other kind (KindMismatchError). */
  private static onSection<T>(section: OwnSection, codec: CodecOption | undefined): Broadcast<T> {
    try {
      return new Broadcast<T>(section.buffer, 0, section.waiter, { codec, section });
    } catch (error) {
      section.close();
      throw error;
    }
  }

  /** True if this handle's Broadcast.openOrCreate (or create) made the broadcast. */
  get created(): boolean {
    return this.section?.created ?? false;
  }

  /** True once end() was called by the writer: readers drain, then get ChannelEndedError. */
  get ended(): boolean {
    return (Atomics.load(this.header, FLAGS) & 1) !== 0;
  }

  // ------------------------------------------------------------------ writer

  /** Publishes to every reader; never waits (the oldest messages are overwritten). */
  publish(value: T): void {
    this.publishBytes(encodeValue(this.codec, value));
  }

  /**
   * Publishes bytes as they are (no codec), as publish() does. The first publish takes the
   * writer's place: a second live writer gets ChannelBusyError. MessageTooLargeError past
   * maxPayload; ChannelEndedError after end().
   */
  publishBytes(payload: Uint8Array): void {
    if (!(payload instanceof Uint8Array)) throw new InvalidArgTypeError('Broadcast.publishBytes takes a Uint8Array (or Buffer); publish() encodes other values');
    this.checkOpen();
    if (this.ended) throw new ChannelEndedError('the broadcast has ended');
    if (!this.writing) {
      this.writerSlot.take();
      this.writing = true;
    }
    if (payload.length > this.maxPayload) throw new MessageTooLargeError(payload.length, this.maxPayload, 'this broadcast');
    const size = broadcastRecordLength(payload.length);
    let tail = Atomics.load(this.header, TAIL);
    let at = tail & this.mask;
    const toEnd = this.capacity - at;
    if (size > toEnd) {
      Atomics.store(this.header, TAIL_INTENT, (tail + toEnd + size) | 0); // SYNC POINT: before any byte moves
      this.words[(at >> 2) + 1] = RECORD_PADDING;
      this.words[at >> 2] = toEnd;
      tail = (tail + toEnd) | 0;
      at = 0;
    } else {
      Atomics.store(this.header, TAIL_INTENT, (tail + size) | 0); // SYNC POINT: before any byte moves
    }
    const sequence = Atomics.add(this.header, NEXT_SEQUENCE, 1);
    this.bytes.set(payload, at + BROADCAST_RECORD_HEADER_LENGTH);
    this.words[(at >> 2) + 1] = RECORD_MESSAGE;
    this.words[(at >> 2) + 2] = sequence;
    this.words[at >> 2] = BROADCAST_RECORD_HEADER_LENGTH + payload.length;
    pauseHook?.('broadcast.publish');
    Atomics.store(this.header, LATEST, tail);
    Atomics.store(this.header, TAIL, (tail + size) | 0); // SYNC POINT: the record is complete
    if (Atomics.load(this.header, READERS_PARKED) > 0) {
      Atomics.add(this.header, DATA_SIGNAL, 1);
      this.waiter.notify(this.signalOffset, 0x7fff_ffff);
    }
  }

  /** Ends the broadcast for everyone: readers drain what they can, then get ChannelEndedError. */
  end(): void {
    this.checkOpen();
    Atomics.or(this.header, FLAGS, 1);
    Atomics.add(this.header, DATA_SIGNAL, 1);
    this.waiter.notify(this.signalOffset, 0x7fff_ffff);
  }

  // ------------------------------------------------------------------ reader

  /** The next message for this reader (with how many it lost before it), or undefined. */
  tryReceive(): BroadcastMessage<T> | undefined {
    this.checkOpen();
    const length = this.readNext();
    if (length < 0) {
      if (this.ended && this.readNext() < 0) throw new ChannelEndedError('the broadcast has ended');
      return undefined;
    }
    return { value: this.codec.decode(this.scratch.subarray(0, length)) as T, lost: this.lastLost };
  }

  /**
   * The next message for this reader, waiting for one (async). ChannelEndedError once the
   * broadcast has ended and this reader has read everything left.
   */
  async receive(options?: WaitOptionsArg): Promise<BroadcastMessage<T>> {
    const wait = parseWaitOptions(options, 'Broadcast.receive');
    for (;;) {
      const message = this.tryReceive();
      if (message) return message;
      const signal = this.parkBegin();
      try {
        const again = this.tryReceive();
        if (again) return again;
        await parkAsync(this.waiter, this.signalOffset, signal, wait, 'Broadcast.receive');
      } finally {
        Atomics.sub(this.header, READERS_PARKED, 1);
      }
    }
  }

  /** receive, blocking this thread while there is nothing new (for workers). */
  receiveSync(options?: WaitOptionsArg): BroadcastMessage<T> {
    const wait: ParsedWait = parseWaitOptions(options, 'Broadcast.receiveSync');
    for (;;) {
      for (let i = 0; i <= wait.spin; i++) {
        const message = this.tryReceive();
        if (message) return message;
        if ((i & 255) === 255 && performance.now() >= wait.deadline) break; // spin within the timeout
      }
      const signal = this.parkBegin();
      try {
        const again = this.tryReceive();
        if (again) return again;
        parkSync(this.waiter, this.signalOffset, signal, wait, 'Broadcast.receiveSync');
      } finally {
        Atomics.sub(this.header, READERS_PARKED, 1);
      }
    }
  }

  private parkBegin(): number {
    Atomics.add(this.header, READERS_PARKED, 1);
    return Atomics.load(this.header, DATA_SIGNAL);
  }

  private lastLost = 0;

  /** Copies the next record into scratch; its length, or -1. Handles lapping. */
  private readNext(): number {
    for (let attempts = 0; attempts < 64; attempts++) {
      const tail = Atomics.load(this.header, TAIL);
      if (this.cursor === tail) return -1;
      const behind = (Atomics.load(this.header, TAIL_INTENT) - this.cursor) | 0;
      if (behind > this.capacity || behind < 0) {
        this.cursor = Atomics.load(this.header, LATEST); // lapped: jump to the newest record
        continue;
      }
      const at = this.cursor & this.mask;
      const size = this.words[at >> 2]!;
      const type = this.words[(at >> 2) + 1]!;
      const sequence = this.words[(at >> 2) + 2]!;
      if (type === RECORD_PADDING) {
        if (size !== this.capacity - at) {
          if (this.lapped()) continue;
          throw new CorruptChannelError(`broadcast padding of ${size} bytes at offset ${at}`);
        }
        this.cursor = (this.cursor + size) | 0;
        continue;
      }
      const length = size - BROADCAST_RECORD_HEADER_LENGTH;
      if (type !== RECORD_MESSAGE || length < 0 || at + size > this.capacity) {
        if (this.lapped()) continue;
        throw new CorruptChannelError(`broadcast record header (size ${size}, type ${type}) at offset ${at}`);
      }
      if (this.scratch.length < length) this.scratch = new Uint8Array(Math.max(length, this.scratch.length * 2));
      this.bytes.copy(this.scratch, 0, at + BROADCAST_RECORD_HEADER_LENGTH, at + size);
      if (this.lapped()) continue; // overwritten while we copied: discard
      const lost = this.expectedSequence === undefined ? 0 : Math.max(0, (sequence - this.expectedSequence) | 0);
      this.lastLost = lost;
      this.lost += lost;
      this.expectedSequence = (sequence + 1) | 0;
      this.cursor = (this.cursor + broadcastRecordLength(length)) | 0;
      return length;
    }
    throw new CorruptChannelError('the broadcast writer laps this reader faster than it can read');
  }

  private lapped(): boolean {
    const behind = (Atomics.load(this.header, TAIL_INTENT) - this.cursor) | 0;
    return behind > this.capacity || behind < 0;
  }

  /**
   * Lets go of this process's handle: the writer slot, if it held it, and a standalone
   * broadcast's mapping. The broadcast goes on for the others (end() ends it for everyone).
   */
  close(): void {
    this.handleClosed = true; // first: this handle never takes the writer slot again
    this.writing = false;
    this.writerSlot.release();
    this.section?.close();
  }

  /** Set by close(): this handle never takes the writer slot again, and its calls are SectionClosedError. */
  private handleClosed = false;

  /** SectionClosedError once the memory is gone or close() was called on this handle. */
  private checkOpen(): void {
    assertOpen(this.waiter, 'broadcast');
    if (this.handleClosed) throw new SectionClosedError('this broadcast handle (close() was called on it)');
  }

  /** close(), for `using broadcast = Broadcast.open(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
