/**
 * Channel: a ring plus a codec plus waiting. send waits for space, receive for a message,
 * both spin briefly and then park (sync or async), and producers ring only when a consumer
 * is parked. end() ends the stream for everyone: receivers drain what is there, then get
 * ChannelEndedError (and `for await` ends); close() lets go of this handle only.
 *
 * Standalone on its own section (Channel.create / open), or on any memory with a Waiter
 * (Channel.initialize + new Channel), such as a SharedArrayBuffer between worker threads.
 */
import { ChannelEndedError, OptionsMismatchError, SendersGoneError, CorruptChannelError, InvalidArgTypeError, InvalidArgValueError, MessageTooLargeError, OutOfRangeError } from '../errors.js';
import { RECORD_HEAP, RECORD_MESSAGE, RING_DATA_SIGNAL_OFFSET, RING_SPACE_SIGNAL_OFFSET, ringLength } from '../layout/ring.js';
import { ownSections, type OwnSection, type OwnSectionRequest, type OwnSectionUnlinkOptions } from './own-section.js';
import {
  FIRST_PARK_SLICE_MS,
  MAX_PARK_SLICE_MS,
  parkAsync,
  parkSync,
  parseWaitOptions,
  ASYNC_SPIN_BURST,
  nextTurn,
  throwIfAborted,
  type ParsedWait,
  type WaitOptionsArg,
} from '../sync/wait-options.js';
import { assertOpen, type Waiter } from '../sync/waiter.js';
import { SectionClosedError } from '../errors.js';
import { validateInteger, validateKnownKeys, validateObject } from '../validate.js';
import { encodeValue, resolveCodec, type Codec, type CodecOption, type StructureStore } from '../codec/index.js';
import { initializeRing, validateCapacity, type RingBase } from './ring-base.js';
import { attachRing, ringKindCode, ringKindName, type RingKind } from './ring-kind.js';

export const DEFAULT_CAPACITY = 1 << 20;
/** readMany copies messages up to this size into shared chunks of COPY_CHUNK_LENGTH bytes. */
const SHARED_COPY_LIMIT = 1024;
/** What write() and send() return when the message went in at once. */
const SENT: Promise<void> = Promise.resolve();
const FIRST_COPY_CHUNK_LENGTH = 4 * 1024;
const COPY_CHUNK_LENGTH = 64 * 1024;

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
 * Before an async receiver (or sender) parks, it looks at the ring itself once per event-loop
 * turn for this long, without counting itself parked. A streaming peer then never has to
 * ring: parking first made the producer pay a futex wake (and the consumer a wake through the
 * doorbell thread) nearly every message once the consumer caught up (issue 11: `await read`
 * at a tenth of the sync path).
 */
export const CHANNEL_ASYNC_TURNS_MS = 0.2;

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


/** Receives one message in place: `bytes[offset, offset + length)`, valid during the call only. */
export type MessageHandler = (bytes: Uint8Array, offset: number, length: number) => void;

function checkHandler(handler: unknown): void {
  if (typeof handler !== 'function') throw new InvalidArgTypeError(`the handler must be a function, got ${typeof handler}`);
}

function checkMax(max: number): number {
  if (max === Infinity) return max;
  return validateInteger(max, 'max', 1, 2 ** 31 - 1);
}

/**
 * Encoded values of one sendMany, back to back in one growing buffer: the codec reuses its
 * output buffer, and every value is encoded before any is sent (a refused value sends none).
 */
class EncodedBatch {
  private bytes = new Uint8Array(4096);
  private readonly ends: number[] = [];
  private used = 0;
  count = 0;

  reset(): void {
    this.used = 0;
    this.count = 0;
    this.ends.length = 0;
  }

  add(encoded: Uint8Array): void {
    const end = this.used + encoded.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(encoded, this.used);
    this.used = end;
    this.ends.push(end);
    this.count++;
  }

  message(index: number): Uint8Array {
    return this.bytes.subarray(index === 0 ? 0 : this.ends[index - 1]!, this.ends[index]!);
  }
}

/**
 * A spin budget that follows what spinning bought lately, as adaptive mutexes do. Spinning
 * pays only while the peer runs: on a machine with every core busy the peer is often
 * descheduled for a whole time slice, and a receiver that spins its full budget each time
 * burns CPU the peer could have had, then parks anyway. Each spin that ended in a park halves
 * the budget (down to MIN_SPIN_MS); each that found its message doubles it (up to
 * CHANNEL_SPIN_MS), so a quiet machine's streaming channel keeps the full spin.
 */
const MIN_SPIN_MS = 0.002;
class AdaptiveSpin {
  ms = CHANNEL_SPIN_MS;

  paid(): void {
    if (this.ms < CHANNEL_SPIN_MS) this.ms = Math.min(this.ms * 2, CHANNEL_SPIN_MS);
  }

  wasted(): void {
    if (this.ms > MIN_SPIN_MS) this.ms = Math.max(this.ms / 2, MIN_SPIN_MS);
  }
}

function spinsByTime(options: WaitOptionsArg): boolean {
  return typeof options !== 'object' || options.spin === undefined;
}

/** Options of Channel.create and Channel.openOrCreate. */
export interface ChannelCreateOptions {
  /** Ring bytes, a power of two from 1 KiB to 1 GiB (default 1 MiB). Largest message: half. */
  capacity?: number;
  /** 'spsc' (one sender, one receiver), 'mpsc' (default) or 'mpmc' (a work queue). */
  kind?: RingKind;
  /** How this handle encodes and decodes values: 'msgpack' (default), 'raw' or your own. */
  codec?: CodecOption;
  /** Permission bits of the section, 0o600 by default. */
  mode?: number;
}

/** Options of Channel.open (and Mailbox.open). */
export interface ChannelOpenOptions {
  /** How this handle encodes and decodes values; use the same codec as the other side. */
  codec?: CodecOption;
  /** Ms to wait for a creator still initialising the section (default 5000). */
  timeout?: number;
  /** Ms to wait for a name nobody has created yet (default 0). */
  wait?: number;
}

/** An existing object opened with an option it was not created with. */
export function checkSame(name: string, option: string, asked: unknown, actual: unknown): void {
  if (asked !== undefined && asked !== actual) {
    throw new OptionsMismatchError(`'${name}' exists with ${option} ${String(actual)}, not ${String(asked)}: leave ${option} out to open it as it is`);
  }
}

/**
 * What a send on an ended channel says: an ended channel stays ended (a second producer run
 * that reopens the name finds it so), which new users did not expect.
 */
const SEND_ON_ENDED =
  'the channel has ended (end() was called): it takes no more messages and stays ended until the ' +
  'name is removed (Channel.unlink, once nobody has it open) and created again';

/**
 * A stream of messages between threads and processes: a ring in shared memory, a codec
 * (MessagePack by default) and waiting that spins briefly, then parks. Every way to send and
 * receive comes as try* (never waits for space or a message), async, and *Sync (blocks
 * this thread, for workers).
 * end() ends the stream for everyone; close() lets go of this handle. Standalone
 * (Channel.create / open) or placed in a buffer (Channel.initialize, then the constructor).
 */
export class Channel<T = unknown> implements AsyncIterable<T>, Disposable {
  /** The ring under the channel (SpscRing, MpscRing or MpmcQueue), for raw record access. */
  readonly ring: RingBase;
  /** Who may send and receive: 'spsc', 'mpsc' or 'mpmc' (fixed when it was created). */
  readonly kind: RingKind;
  /** The section this channel owns (standalone channels), let go of by close(). */
  readonly section: OwnSection | undefined;
  private readonly codec: Codec;
  private readonly dataSignal: number;
  private readonly spaceSignal: number;
  private claimed = -1;
  private readonly large: LargeMessageStore | undefined;
  private readonly handle = new Uint8Array(8);
  private readonly handleView = new DataView(this.handle.buffer);

  /**
   * A handle on the ring that Channel.initialize laid out at `byteOffset` (128-byte aligned)
   * of `buffer`, waiting through `waiter` (bound to the same buffer). CorruptChannelError if
   * no valid ring is there; IncompatibleSectionError for another format version.
   */
  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    private readonly waiter: Waiter,
    options: { codec?: CodecOption; section?: OwnSection; largeMessages?: LargeMessageStore; structures?: StructureStore } = {},
  ) {
    this.ring = attachRing(buffer, byteOffset, waiter);
    this.large = options.largeMessages;
    this.kind = ringKindName(this.ring.kind)!;
    this.codec = resolveCodec(options.codec, options.structures === undefined ? {} : { structures: options.structures });
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

  /** A channel on a new section of its own; SectionExistsError if the name is taken. */
  static create<T = unknown>(name: string, options: ChannelCreateOptions = {}): Channel<T> {
    const { request, codec } = Channel.parseCreate(options, 'channel');
    return Channel.onSection<T>(ownSections().create(name, request, 'Channel'), codec);
  }

  /**
   * Opens a channel made by Channel.create, in this or another process. `wait: ms` waits for
   * a name that nobody has created yet (blocking this thread, as open does); else it is
   * SectionNotFoundError at once.
   */
  static open<T = unknown>(name: string, options: ChannelOpenOptions = {}): Channel<T> {
    const parsed = validateObject<ChannelOpenOptions>(options, 'options');
    validateKnownKeys(parsed, ['codec', 'timeout', 'wait'], 'options');
    resolveCodec(parsed.codec);
    const section = ownSections().open(name, { timeout: parsed.timeout, wait: parsed.wait }, 'Channel'); // a channel or a mailbox, else KindMismatchError
    return Channel.onSection<T>(section, parsed.codec);
  }

  /**
   * Opens the channel, creating it with these options if it does not exist (every process may
   * call it, in any order; `channel.created` tells which). An existing channel of another kind
   * or capacity than asked is OptionsMismatchError (leave them out to take what is there).
   */
  static openOrCreate<T = unknown>(name: string, options: ChannelCreateOptions & { timeout?: number } = {}): Channel<T> {
    const { request, codec, timeout } = Channel.parseCreate(options, 'channel', ['timeout']);
    const section = ownSections().openOrCreate(name, { ...request, ...(timeout === undefined ? {} : { timeout }) }, 'Channel'); // another kind: KindMismatchError
    const channel = Channel.onSection<T>(section, codec);
    if (!section.created) {
      try {
        checkSame(name, 'kind', options.kind, channel.kind);
        checkSame(name, 'capacity', options.capacity, channel.ring.capacity);
      } catch (error) {
        channel.close();
        throw error;
      }
    }
    return channel;
  }

  /**
   * Removes a standalone channel's (or mailbox's) name; false if there was none. While live
   * processes other than this one have it open: SectionInUseError, unless `force: true`
   * (they keep their mapping; later opens do not find it). A name that holds another kind
   * (a namespace, a broadcast) is KindMismatchError and stays.
   */
  static unlink(name: string, options: OwnSectionUnlinkOptions = {}): boolean {
    return ownSections().unlink(name, 'Channel', options);
  }

  /** Checks create options and builds the section request (shared with Mailbox). */
  protected static parseCreate(
    options: ChannelCreateOptions & { timeout?: number },
    kind: 'channel' | 'mailbox',
    extraKeys: string[] = [],
    ringKind?: number,
  ): { request: OwnSectionRequest; codec: CodecOption | undefined; timeout: number | undefined } {
    const parsed = validateObject<ChannelCreateOptions & { timeout?: number }>(options, 'options');
    validateKnownKeys(parsed, [...(ringKind === undefined ? ['kind'] : []), 'capacity', 'codec', 'mode', ...extraKeys], 'options');
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    const code = ringKind ?? ringKindCode(parsed.kind ?? 'mpsc');
    resolveCodec(parsed.codec); // reject a bad codec before creating anything
    return {
      request: {
        size: ringLength(capacity),
        kind,
        ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
        initialize: (buffer) => initializeRing(buffer, 0, capacity, code),
      },
      codec: parsed.codec,
      timeout: parsed.timeout,
    };
  }

  protected static onSection<T>(section: OwnSection, codec: CodecOption | undefined): Channel<T> {
    try {
      return new Channel<T>(section.buffer, 0, section.waiter, { codec, section });
    } catch (error) {
      section.close();
      throw error;
    }
  }

  /** True if this handle's Channel.openOrCreate (or create) made the channel. */
  get created(): boolean {
    return this.section?.created ?? false;
  }

  /** True once end() was called by any process: no more sends; receivers drain, then finish. */
  get ended(): boolean {
    return this.ring.ended;
  }

  /** Throws SectionClosedError once the memory under this channel is gone (see assertOpen). */
  private open(): RingBase {
    if (this.waiter.closed || this.handleClosed) this.throwClosed();
    return this.ring;
  }

  /** close() was called on this handle: its waits end, and it never takes a slot again. */
  private handleClosed = false;

  private throwClosed(): never {
    assertOpen(this.waiter, 'channel');
    throw new SectionClosedError('this channel handle (close() was called on it)');
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
  send(value: T, options?: WaitOptionsArg): Promise<void> {
    // Not an async function: a send that fits now costs one resolved promise, not two.
    try {
      const bytes = encodeValue(this.codec, value);
      if (bytes.length > this.ring.maxPayload) return this.write(bytes, options); // stored before any wait
      if (this.tryWrite(bytes)) return SENT;
      // The encoder reuses its buffer: keep our own copy across the wait.
      return this.write(bytes.slice(), options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Sends, blocking this thread while the ring is full (for workers). */
  sendSync(value: T, options?: WaitOptionsArg): void {
    const bytes = encodeValue(this.codec, value);
    if (bytes.length <= this.ring.maxPayload && this.tryWrite(bytes)) return;
    this.writeSync(bytes, options);
  }

  /** The next message, or undefined if none is there now. */
  tryReceive(): { value: T } | undefined {
    this.throwDeferred();
    const length = this.open().tryRead();
    if (length < 0) {
      if (this.endedAndDrained()) throw new ChannelEndedError();
      return undefined;
    }
    return { value: this.decodeAndRelease(length) };
  }

  /**
   * The next message, waiting for one (async: never blocks the event loop). Once the channel
   * has ended and is drained: ChannelEndedError; once no live sender is left to fill it:
   * SendersGoneError; TimeoutError, AbortError as the options say.
   */
  receive(options?: WaitOptionsArg): Promise<T> {
    // Not an async function: a message already there costs one resolved promise.
    try {
      this.throwDeferred();
      const length = this.open().tryRead();
      if (length >= 0) return Promise.resolve(this.decodeAndRelease(length));
      return this.awaitRecord(parseWaitOptions(options, 'Channel.receive'), 'Channel.receive', spinsByTime(options)).then((found) => this.decodeAndRelease(found));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** receive, blocking this thread while the channel is empty (for workers). */
  receiveSync(options?: WaitOptionsArg): T {
    this.throwDeferred();
    const length = this.open().tryRead();
    if (length >= 0) return this.decodeAndRelease(length);
    return this.decodeAndRelease(this.awaitRecordSync(parseWaitOptions(options, 'Channel.receiveSync'), 'Channel.receiveSync', spinsByTime(options)));
  }

  /** `for await (const v of channel)`: every message until the channel has ended and is drained. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.iterate();
  }

  /**
   * The messages as an async iterator, like `for await (const v of channel)`, with options:
   * `timeout` bounds the wait for each message (TimeoutError), `signal` stops the loop
   * (AbortError). The loop finishes once the channel has ended and is drained.
   *
   * A message already in the ring is handed over without waiting for an event-loop turn (one
   * resolved promise per message, no macrotask), so draining a full ring runs at sync speed.
   */
  iterate(options?: WaitOptionsArg): AsyncIterableIterator<T> {
    if (options !== undefined) parseWaitOptions(options, 'Channel.iterate'); // bad options throw here, not at the first wait
    let finished = false;
    const finish = (): IteratorResult<T> => {
      if (!finished) {
        finished = true;
        // A loop left early (break, return, throw): what it took is consumed for good, so a
        // consumer after it does not get it again.
        try {
          if (!this.waiter.closed) this.ring.flushConsumed();
        } catch {
          // A slot taken over (ChannelBusyError) must not replace the error that ends the loop,
          // nor escape return() synchronously: this handle publishes nothing more anyway.
        }
      }
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<T> = {
      next: (): Promise<IteratorResult<T>> => {
        if (finished) return Promise.resolve({ done: true, value: undefined });
        try {
          this.throwDeferred();
          const length = this.open().tryRead();
          if (length >= 0) return Promise.resolve({ done: false, value: this.decodeAndRelease(length) });
        } catch (error) {
          finish();
          return Promise.reject(error);
        }
        return this.receive(options).then(
          (value): IteratorResult<T> => ({ done: false, value }),
          (error: unknown): IteratorResult<T> => {
            finish();
            if (error instanceof ChannelEndedError) return { done: true, value: undefined };
            throw error;
          },
        );
      },
      return: (): Promise<IteratorResult<T>> => Promise.resolve(finish()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
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
    if (this.heldFrees) this.heldFrees.push(offset); // freed once the read is committed (holdReads)
    else large.free(offset);
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

  // ---------------------------------------------------------------- batches

  /**
   * Sends as many of `values` as fit now, in order, without waiting; returns how many were
   * sent. Every value is encoded before any is sent: one that cannot be encoded throws
   * UnserializableValueError and nothing is sent. SPSC stores its tail once and wakes the
   * receiver at most once for the whole batch.
   */
  trySendMany(values: readonly T[]): number {
    return this.writeBatchNow(this.encodeBatch(values, this.scratchBatch), 0);
  }

  /** Sends every value in order, waiting for space as needed (async). All are encoded first. */
  async sendMany(values: readonly T[], options?: WaitOptionsArg): Promise<void> {
    const batch = this.encodeBatch(values, new EncodedBatch()); // its own buffer: it lives across waits
    for (let next = this.writeBatchNow(batch, 0); next < batch.count; next = this.writeBatchNow(batch, next + 1)) {
      await this.write(batch.message(next), options);
    }
  }

  /** sendMany, blocking this thread while the ring is full (for workers). */
  sendManySync(values: readonly T[], options?: WaitOptionsArg): void {
    const batch = this.encodeBatch(values, this.scratchBatch);
    for (let next = this.writeBatchNow(batch, 0); next < batch.count; next = this.writeBatchNow(batch, next + 1)) {
      this.writeSync(batch.message(next), options);
    }
  }

  /**
   * Every message there now, up to `max` (default: all), decoded; an empty array if none.
   * ChannelEndedError once the channel has ended and is drained (where `for await` finishes).
   */
  tryReceiveMany(max = Infinity): T[] {
    const values: T[] = [];
    this.takeValues(values, checkMax(max));
    if (values.length === 0 && this.endedAndDrained()) throw new ChannelEndedError();
    return values;
  }

  /** Waits for at least one message, then returns every message there, up to `max`. */
  async receiveMany(max = Infinity, options?: WaitOptionsArg): Promise<T[]> {
    const values: T[] = [];
    this.takeValues(values, checkMax(max));
    if (values.length > 0) return values;
    values.push(await this.receive(options));
    this.takeValues(values, max);
    return values;
  }

  /** receiveMany, blocking this thread while the channel is empty (for workers). */
  receiveManySync(max = Infinity, options?: WaitOptionsArg): T[] {
    const values: T[] = [];
    this.takeValues(values, checkMax(max));
    if (values.length > 0) return values;
    values.push(this.receiveSync(options));
    this.takeValues(values, max);
    return values;
  }

  /** Raw bytes: writes as many of `messages` as fit now, in order; returns how many. */
  tryWriteMany(messages: readonly Uint8Array[]): number {
    this.checkMessages(messages);
    return this.writeMessagesNow(messages, 0);
  }

  /** Raw bytes: writes every message in order, waiting for space as needed. */
  async writeMany(messages: readonly Uint8Array[], options?: WaitOptionsArg): Promise<void> {
    this.checkMessages(messages);
    for (let next = this.writeMessagesNow(messages, 0); next < messages.length; next = this.writeMessagesNow(messages, next + 1)) {
      await this.write(messages[next]!, options);
    }
  }

  /** writeMany, blocking this thread while the ring is full. */
  writeManySync(messages: readonly Uint8Array[], options?: WaitOptionsArg): void {
    this.checkMessages(messages);
    for (let next = this.writeMessagesNow(messages, 0); next < messages.length; next = this.writeMessagesNow(messages, next + 1)) {
      this.writeSync(messages[next]!, options);
    }
  }

  /** Raw bytes: copies of every message there now, up to `max`; ChannelEndedError as tryReceiveMany. */
  tryReadMany(max = Infinity): Uint8Array[] {
    const messages: Uint8Array[] = [];
    this.takeMessages(messages, checkMax(max));
    if (messages.length === 0 && this.endedAndDrained()) throw new ChannelEndedError();
    return messages;
  }

  /** Raw bytes: waits for at least one message, then returns every message there, up to `max`. */
  async readMany(max = Infinity, options?: WaitOptionsArg): Promise<Uint8Array[]> {
    const messages: Uint8Array[] = [];
    this.takeMessages(messages, checkMax(max));
    if (messages.length > 0) return messages;
    messages.push(await this.read(options));
    this.takeMessages(messages, max);
    return messages;
  }

  /** readMany, blocking this thread while the channel is empty. */
  readManySync(max = Infinity, options?: WaitOptionsArg): Uint8Array[] {
    const messages: Uint8Array[] = [];
    this.takeMessages(messages, checkMax(max));
    if (messages.length > 0) return messages;
    messages.push(this.readSync(options));
    this.takeMessages(messages, max);
    return messages;
  }

  private readonly scratchBatch = new EncodedBatch();
  /** A decode failure met after some messages of a batch were taken: thrown by the next call. */
  private deferred: Error | undefined;

  private throwDeferred(): void {
    const error = this.deferred;
    if (error) {
      this.deferred = undefined;
      throw error;
    }
  }

  private encodeBatch(values: readonly T[], batch: EncodedBatch): EncodedBatch {
    if (!Array.isArray(values)) throw new InvalidArgTypeError(`sendMany takes an array of values, got ${typeof values}`);
    this.open();
    batch.reset();
    for (const value of values) batch.add(this.checkFits(encodeValue(this.codec, value)));
    return batch;
  }

  /** A message this channel can never take is refused before any of its batch is sent. */
  private checkFits(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.ring.maxPayload && !this.large) throw new MessageTooLargeError(bytes.length, this.ring.maxPayload);
    return bytes;
  }

  /** Writes from `first` on until a message does not fit; returns its index (count: all written). */
  private writeBatchNow(batch: EncodedBatch, first: number): number {
    const ring = this.open();
    ring.holdProduced();
    let next = first;
    try {
      while (next < batch.count && this.tryWrite(batch.message(next))) next++;
    } finally {
      ring.flushProduced(); // also before the caller waits for space: the receiver must see the batch
    }
    return next;
  }

  private writeMessagesNow(messages: readonly Uint8Array[], first: number): number {
    const ring = this.open();
    ring.holdProduced();
    let next = first;
    try {
      while (next < messages.length && this.tryWrite(messages[next]!)) next++;
    } finally {
      ring.flushProduced();
    }
    return next;
  }

  /** Decodes what is there into `values`, up to `max` in all; a failure after the first is deferred. */
  private takeValues(values: T[], max: number): void {
    this.throwDeferred();
    const ring = this.open();
    ring.holdConsumed(); // one head publication for the batch
    try {
      while (values.length < max) {
        const length = ring.tryRead();
        if (length < 0) return;
        try {
          values.push(this.decodeAndRelease(length));
        } catch (error) {
          if (values.length === 0) throw error;
          this.deferred = error as Error; // the values taken so far are the caller's; it hears of this next
          return;
        }
      }
    } finally {
      ring.flushConsumed();
    }
  }

  /**
   * Copies what is there into `messages`, up to `max` in all. Small messages share one buffer
   * per call (a view each): an ArrayBuffer per message made readMany of a full ring spend most
   * of its time in the garbage collector.
   */
  private takeMessages(messages: Uint8Array[], max: number): void {
    const ring = this.open();
    ring.holdConsumed(); // one head publication for the batch
    try {
      this.copyMessages(ring, messages, max);
    } finally {
      ring.flushConsumed();
    }
  }

  private copyMessages(ring: RingBase, messages: Uint8Array[], max: number): void {
    let chunk: Uint8Array | undefined;
    let chunkWords: Int32Array | undefined;
    let used = 0;
    while (messages.length < max) {
      const length = ring.tryRead();
      if (length < 0) return;
      if (length > SHARED_COPY_LIMIT || ring.readType === RECORD_HEAP) {
        messages.push(this.copyAndRelease(length));
        continue;
      }
      if (chunk === undefined || used + length > chunk.length) {
        // 4 KiB first, doubling: a call that finds two messages does not pay for a big buffer
        chunk = new Uint8Array(chunk === undefined ? FIRST_COPY_CHUNK_LENGTH : Math.min(chunk.length * 2, COPY_CHUNK_LENGTH));
        chunkWords = new Int32Array(chunk.buffer);
        used = 0;
      }
      ring.copyOutAt(chunk, chunkWords!, used, ring.readOffset, length);
      const copy = new Uint8Array(chunk.buffer, used, length); // not subarray(): its species lookup costs more than the copy
      ring.release();
      used = (used + length + 7) & ~7; // the next copy starts word-aligned (copyOut copies words)
      messages.push(copy);
    }
  }

  private checkMessages(messages: readonly Uint8Array[]): void {
    if (!Array.isArray(messages)) throw new InvalidArgTypeError(`writeMany takes an array of Uint8Array, got ${typeof messages}`);
    for (const bytes of messages) {
      checkBytes(bytes); // all or nothing: a bad one is refused before any is written
      this.checkFits(bytes);
    }
  }

  /** True once the channel has ended and nothing is left to read. */
  private endedAndDrained(): boolean {
    const ring = this.ring;
    if (!ring.ended) return false;
    if (ring.tryRead() < 0) return true;
    ring.abandonRead(); // a record published just before the end: the next read takes it (MPMC: the lock goes back)
    return false;
  }

  // ---------------------------------------------------------------- held reads (relays)

  private heldFrees: number[] | undefined;

  /**
   * For relays (the Redis bridge): from now on what this handle reads (receive, read, poll...)
   * is consumed only here until commitReads(). If this handle closes, or its process dies,
   * before committing, the next reader gets those messages again: a relay commits only once
   * it has passed them on, so a crash loses nothing. Producers wait for the space until the
   * commit. Returns false for kind 'mpmc', whose reads are published at once (the other
   * consumers read the shared head); `holdReads(false)` commits and stops holding.
   */
  holdReads(on = true): boolean {
    const held = this.open().holdReads(on);
    if (held && on) this.heldFrees ??= [];
    if (!on) this.commitHeldFrees();
    if (!on) this.heldFrees = undefined;
    return held;
  }

  /** Consumes for good what was read since holdReads() or the last commitReads(). */
  commitReads(): void {
    this.open().commitReads();
    this.commitHeldFrees();
  }

  private commitHeldFrees(): void {
    const frees = this.heldFrees;
    if (!frees || frees.length === 0) return;
    // After the head went out: a crash in between leaks these blocks, never hands a freed one out.
    for (const offset of frees) this.large!.free(offset);
    frees.length = 0;
  }

  /**
   * Where the message last read starts in the ring (uint32 bytes since the ring began,
   * wrapping): a stable identity for a held message, the same when it is read again.
   */
  get readPosition(): number {
    return this.ring.readPosition;
  }

  // ---------------------------------------------------------------- zero-copy reads

  /**
   * Hands every message there now, up to `max`, to `handler(bytes, offset, length)` without
   * copying: the message is `bytes[offset, offset + length)`, valid only during the call (the
   * ring reuses the space once it returns). Returns how many it handled; allocates nothing.
   * A handler that throws has consumed its message; the error goes to the caller.
   * ChannelEndedError once the channel has ended and is drained, as tryReceiveMany.
   */
  tryPoll(handler: MessageHandler, max = Infinity): number {
    checkHandler(handler);
    const handled = this.pollNow(handler, checkMax(max), 0);
    if (handled === 0 && this.endedAndDrained()) throw new ChannelEndedError();
    return handled;
  }

  /** tryPoll that first waits for at least one message (async); returns how many it handled. */
  async poll(handler: MessageHandler, max = Infinity, options?: WaitOptionsArg): Promise<number> {
    checkHandler(handler);
    const handled = this.pollNow(handler, checkMax(max), 0);
    if (handled > 0) return handled;
    const length = await this.awaitRecord(parseWaitOptions(options, 'Channel.poll'), 'Channel.poll', spinsByTime(options));
    this.handOver(handler, length);
    return this.pollNow(handler, max, 1);
  }

  /** poll, blocking this thread while the channel is empty (for workers). */
  pollSync(handler: MessageHandler, max = Infinity, options?: WaitOptionsArg): number {
    checkHandler(handler);
    const handled = this.pollNow(handler, checkMax(max), 0);
    if (handled > 0) return handled;
    const length = this.awaitRecordSync(parseWaitOptions(options, 'Channel.pollSync'), 'Channel.pollSync', spinsByTime(options));
    this.handOver(handler, length);
    return this.pollNow(handler, max, 1);
  }

  private pollNow(handler: MessageHandler, max: number, handled: number): number {
    const ring = this.open();
    ring.holdConsumed(); // one head publication for the batch
    try {
      while (handled < max) {
        const length = ring.tryRead();
        if (length < 0) break;
        handled++;
        this.handOver(handler, length);
      }
    } finally {
      ring.flushConsumed();
    }
    return handled;
  }

  /** Calls the handler on the record tryRead returned, then consumes it (also if the handler throws). */
  private handOver(handler: MessageHandler, length: number): void {
    const ring = this.ring;
    if (ring.readType === RECORD_HEAP) {
      const bytes = this.takeLarge(length);
      handler(bytes, 0, bytes.length);
      return;
    }
    try {
      handler(ring.plainBytes, ring.readOffset, length);
    } finally {
      ring.release();
    }
  }

  // ---------------------------------------------------------------- raw bytes

  /** Copies `bytes` in as one message; false if full. Allocates nothing. */
  tryWrite(bytes: Uint8Array): boolean {
    checkBytes(bytes);
    if (this.open().ended) throw new ChannelEndedError(SEND_ON_ENDED);
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
    if (this.open().ended) throw new ChannelEndedError(SEND_ON_ENDED);
    return this.ring.tryWrite(bytes, type);
  }

  /**
   * Raw bytes: copies `bytes` in as one message (no codec), waiting for space (async).
   * ChannelEndedError after end(); a message past the ring's limit goes through the
   * namespace heap if the channel has one, else MessageTooLargeError.
   */
  write(bytes: Uint8Array, options?: WaitOptionsArg): Promise<void> {
    // Not an async function: a write that fits now costs one resolved promise, not two.
    try {
      checkBytes(bytes);
      if (bytes.length <= this.ring.maxPayload && this.tryWriteRecord(bytes, RECORD_MESSAGE)) return SENT;
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.writeWaiting(bytes, options);
  }

  private async writeWaiting(bytes: Uint8Array, options?: WaitOptionsArg): Promise<void> {
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
    if (byTime) {
      const until = Math.min(performance.now() + CHANNEL_ASYNC_TURNS_MS, wait.deadline);
      do {
        if (this.spinWrite(bytes, type, wait, byTime, true)) return;
        throwIfAborted(wait);
        await nextTurn();
      } while (performance.now() < until);
    }
    for (;;) {
      if (this.spinWrite(bytes, type, wait, byTime, true)) return;
      const signal = this.parkForSpace();
      try {
        if (this.tryWriteRecord(bytes, type)) return;
        await parkAsync(this.waiter, this.spaceSignal, signal, wait, 'Channel.send', slice);
      } finally {
        this.ring.unparkProducer();
      }
      if (this.tryWriteRecord(bytes, type)) return;
      slice = Math.min(slice * 2, MAX_PARK_SLICE_MS);
    }
  }

  /** write, blocking this thread while the ring is full (for workers). */
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
        this.ring.unparkProducer();
      }
    }
  }

  /** A copy of the next message's bytes, or undefined. */
  tryRead(): Uint8Array | undefined {
    const length = this.open().tryRead();
    if (length < 0) {
      if (this.endedAndDrained()) throw new ChannelEndedError();
      return undefined;
    }
    return this.copyAndRelease(length);
  }

  /** Copies the next message into `target` and returns its length, or -1. Allocates nothing. */
  tryReadInto(target: Uint8Array): number {
    checkBytes(target);
    const length = this.open().tryRead();
    if (length >= 0) return this.copyInto(target, length);
    if (this.endedAndDrained()) throw new ChannelEndedError();
    return -1;
  }

  /** Raw bytes: a copy of the next message, waiting for one (async); errors as receive. */
  read(options?: WaitOptionsArg): Promise<Uint8Array> {
    try {
      const length = this.open().tryRead();
      if (length >= 0) return Promise.resolve(this.copyAndRelease(length));
      return this.awaitRecord(parseWaitOptions(options, 'Channel.read'), 'Channel.read', spinsByTime(options)).then((found) => this.copyAndRelease(found));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** read, blocking this thread while the channel is empty (for workers). */
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

  /**
   * readIntoSync without blocking the event loop. A message longer than `target` is
   * OutOfRangeError and stays in the channel.
   */
  readInto(target: Uint8Array, options?: WaitOptionsArg): Promise<number> {
    try {
      checkBytes(target);
      const length = this.open().tryRead();
      if (length >= 0) return Promise.resolve(this.copyInto(target, length));
      return this.awaitRecord(parseWaitOptions(options, 'Channel.readInto'), 'Channel.readInto', spinsByTime(options)).then((found) => this.copyInto(target, found));
    } catch (error) {
      return Promise.reject(error as Error);
    }
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
    if (this.open().ended) throw new ChannelEndedError(SEND_ON_ENDED);
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
    return this.ring.parkProducer();
  }

  /** Returns the length of a record now readable, or throws (ended, timeout, abort). */
  private async awaitRecord(wait: ParsedWait, what: string, byTime: boolean): Promise<number> {
    const ring = this.ring;
    let slice = FIRST_PARK_SLICE_MS;
    if (byTime) {
      const until = Math.min(performance.now() + CHANNEL_ASYNC_TURNS_MS, wait.deadline);
      do {
        const spun = this.spinRead(wait, byTime, true);
        if (spun >= 0) return spun;
        if (ring.ended) break; // the park loop below drains or throws ChannelEndedError
        throwIfAborted(wait);
        await nextTurn();
      } while (performance.now() < until);
    }
    for (;;) {
      const spun = this.spinRead(wait, byTime, true);
      if (spun >= 0) return spun;
      const signal = ring.parkConsumer();
      let result;
      try {
        const length = this.readOrThrowIfClosed();
        if (length >= 0) return length;
        result = await parkAsync(this.waiter, this.dataSignal, signal, wait, what, this.parkSlice(slice));
      } finally {
        ring.unparkConsumer();
      }
      const length = this.readOrThrowIfClosed();
      if (length >= 0) return length;
      this.throwIfSendersGone();
      slice = this.afterPark(result, slice);
    }
  }

  private awaitRecordSync(wait: ParsedWait, what: string, byTime: boolean): number {
    const ring = this.ring;
    let slice = FIRST_PARK_SLICE_MS;
    for (;;) {
      const spun = this.spinRead(wait, byTime, false);
      if (spun >= 0) return spun;
      const signal = ring.parkConsumer();
      let result;
      try {
        const length = this.readOrThrowIfClosed();
        if (length >= 0) return length;
        result = parkSync(this.waiter, this.dataSignal, signal, wait, what, this.parkSlice(slice));
      } finally {
        ring.unparkConsumer();
      }
      const length = this.readOrThrowIfClosed();
      if (length >= 0) return length;
      this.throwIfSendersGone();
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
    const until = Math.min(performance.now() + (asyncCaller ? CHANNEL_ASYNC_SPIN_MS : this.readSpin.ms), wait.deadline);
    do {
      for (let i = 0; i < 32; i++) {
        const length = ring.tryRead();
        if (length >= 0) {
          if (!asyncCaller) this.readSpin.paid();
          return length;
        }
        backOff();
      }
    } while (performance.now() < until);
    if (!asyncCaller) this.readSpin.wasted();
    return -1;
  }

  /** How long sync receivers and senders spin before they park (see AdaptiveSpin). */
  private readonly readSpin = new AdaptiveSpin();
  private readonly writeSpin = new AdaptiveSpin();

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
    const until = Math.min(performance.now() + (asyncCaller ? CHANNEL_ASYNC_SPIN_MS : this.writeSpin.ms), wait.deadline);
    do {
      for (let i = 0; i < 32; i++) {
        if (this.tryWriteRecord(bytes, type)) {
          if (!asyncCaller) this.writeSpin.paid();
          return true;
        }
      }
    } while (performance.now() < until);
    if (!asyncCaller) this.writeSpin.wasted();
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

  /**
   * A receiver whose channel is empty and can no longer be filled (every sender closed,
   * exited or died without end()) gets SendersGoneError instead of waiting for ever. Asked
   * once per park, never on the hot path; mailboxes (anyone may send, any time) do not ask.
   */
  private throwIfSendersGone(): void {
    if (!this.watchesSenders || this.ring.senders.allGone() !== 'gone') return;
    const length = this.ring.tryRead(); // a last message may have landed as its sender left
    if (length >= 0) {
      this.ring.abandonRead();
      return;
    }
    throw new SendersGoneError();
  }

  /** Whether receivers end with SendersGoneError once no live sender is left (not for mailboxes). */
  protected get watchesSenders(): boolean {
    return this.sendersWatched;
  }

  private sendersWatched = true;

  /**
   * This handle's receives wait on an empty channel even when no live sender is left, instead
   * of ending with SendersGoneError: for a receiver whose owner knows by other means who lives
   * (the pool's supervisor watches its workers and submitters). Such a receiver parks on an
   * empty, drained channel with no time slice at all, so an idle one costs no CPU.
   */
  ignoreSenders(): this {
    this.sendersWatched = false;
    return this;
  }

  /**
   * The longest a receiver parks before it looks again. A receiver that watches senders
   * needs slices (a sender may die without a word); one that does not needs them only while
   * a claim is open (a dead producer's claim is unblocked by looking), never on a drained ring.
   */
  private parkSlice(slice: number): number {
    return !this.watchesSenders && this.ring.drained() ? Infinity : slice;
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
    this.open().end(); // SectionClosedError after close(): an end() that silently did nothing left receivers waiting
  }

  /**
   * Lets go of this handle: its consumer or producer slot (so another handle may take it) and,
   * for standalone channels, this process's mapping. The channel stays for others (end()
   * ends it for everyone).
   */
  close(): void {
    this.handleClosed = true; // first: a send or receive waiting on this handle now ends with SectionClosedError
    this.ring.detach();
    this.section?.close();
  }

  /** close(), for `using channel = Channel.open(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
