/**
 * Namespace: one section holding a directory of named objects, a variable store and a heap
 * — Win32::MMF's namespaces for Node. Any process that opens the same name gets the same
 * variables and objects. Layout: src/layout/namespace.ts; how writes stay all-or-nothing and
 * reads go without the lock: src/store/store-core.ts.
 */
import { Broadcast } from './channel/broadcast.js';
import { Channel, DEFAULT_CAPACITY, type LargeMessageStore } from './channel/channel.js';
import { resolveCodec, type CodecOption, type StructureStore } from './codec/index.js';
import { initializeRing, validateCapacity } from './channel/ring-base.js';
import { ringKindCode, type RingKind } from './channel/ring-kind.js';
import { CorruptHeapError, InvalidArgTypeError, MessageTooLargeError, NamespaceFullError, OptionsMismatchError, SectionClosedError, SectionNotFoundError } from './errors.js';
import { broadcastLength } from './layout/broadcast.js';
import { BARRIER_MAX_PARTIES } from './layout/sync.js';
import {
  NS_DIRECTORY_TABLE_OFFSET,
  NS_LOCK_OFFSET,
  NS_RECOVERIES_OFFSET,
  NS_ROLLBACKS_OFFSET,
  NS_SEQUENCE_OFFSET,
  NS_VARIABLES_TABLE_OFFSET,
  NS_WRITES_OFFSET,
} from './layout/namespace.js';
import { ringLength } from './layout/ring.js';
import { Section } from './section/section.js';
import { Cache, CACHE_OBJECT_LENGTH, CACHE_TABLE_OFFSET, initializeCache, parseCacheOptions, type CacheOptions } from './store/cache.js';
import { Directory, STRUCTURES_OBJECT_NAME, type DirectoryEntry } from './store/directory.js';
import { SharedStructureStore } from './store/structures.js';
import { SharedHeap, type HeapStats } from './store/heap.js';
import { Journal } from './store/journal.js';
import { StoreCore } from './store/store-core.js';
import { Barrier } from './sync/barrier.js';
import { Event } from './sync/event.js';
import { Mutex } from './sync/mutex.js';
import { Semaphore } from './sync/semaphore.js';
import { parseWaitOptions, type WaitOptionsArg } from './sync/wait-options.js';
import { validateBoolean, validateInteger, validateKnownKeys, validateName, validateObject, validateString, validateTimeout } from './validate.js';
import { verifyNamespace } from './store/verify.js';
import { holdsOtherKind } from './named/kinds.js';
import { removeByName } from './named/remove-by-name.js';
import { Variables } from './store/variables.js';
import { LoadMarkers } from './store/load-markers.js';
import { codecId, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_SIZE, DEFAULT_NAMESPACE_SIZE, initializeNamespace, namespaceCodec, OPTION_KEYS, readNamespaceHeader, type NamespaceOptions } from './store/namespace-format.js';
import { namespaceSizes } from './store/namespace-sizes.js';

export { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_SIZE, DEFAULT_NAMESPACE_SIZE, type NamespaceOptions };
import { vars } from './store/vars.js';

/**
 * A named store shared by every thread and process that opens the same name: variables
 * (get / set / update), a write lock for all-or-nothing groups, and named objects (mutex,
 * semaphore, event, barrier, channel, mailbox, broadcast, cache) placed in its heap. Open it
 * with Namespace.open(); reads, writes and object lookups after close() are SectionClosedError.
 *
 * Named objects are found by name or created on first use. A bad name is InvalidNameError, a
 * name that holds another kind of object KindMismatchError ("'x' in this namespace holds a
 * cache, not a mutex"), no room NamespaceFullError;
 * objects are created outside lock() groups (inside one: InvalidArgValueError).
 */
export class Namespace {
  /** The name it was opened with. */
  readonly name: string;
  /**
   * The section under the namespace (its size, file and buffer). Writing its buffer
   * directly bypasses the store and can corrupt it.
   */
  readonly section: Section;
  /** @internal */
  readonly #core: StoreCore;

  /**
   * @internal The store under this namespace. Every operation goes through here, so every
   * operation after close() is SectionClosedError, never a read of the zero pages left behind.
   */
  get core(): StoreCore {
    if (this.section.closed) throw new SectionClosedError(`namespace '${this.name}'`);
    return this.#core;
  }
  private readonly variables: Variables;
  private readonly directory: Directory;
  /** Cache keys being loaded (getOrSet), shared by every cache of this namespace. */
  private readonly loads: LoadMarkers;
  private readonly codecOption: CodecOption | undefined;
  private readonly large: LargeMessageStore;
  private readonly caches = new Map<string, Cache>();
  private varsProxy: Record<string, unknown> | undefined;

  private constructor(section: Section, options: { autolock: boolean; timeout: number; codec: CodecOption | undefined }) {
    this.name = section.name;
    this.section = section;
    const buffer = section.buffer;
    const layout = readNamespaceHeader(buffer, section.name); // IncompatibleSectionError for a damaged header
    const codec = namespaceCodec(buffer, section.name, options.codec); // OptionsMismatchError for another codec than the recorded one
    const journal = new Journal(buffer, layout.journalOffset, layout.journalCapacity, () => {
      throw new NamespaceFullError(
        `this write or lock() group changes more than the journal holds (${journal.capacity} words); ` +
          'split the group, or give the namespace a larger size (the journal grows with it)',
      );
    });
    // The heap grows into the section's reserve (committing first): in a fixed-size namespace
    // the reserve is all committed and its heap already spans it, so it never asks.
    const growth = { committed: () => section.committed, commit: (byteEnd: number) => void section.commit(byteEnd) };
    const heap = new SharedHeap(buffer, layout.heapOffset, layout.heapLength, journal, growth);
    const mutex = new Mutex(buffer, NS_LOCK_OFFSET, section.waiter);
    // The codec's record structures live in a directory object made below; the store core
    // needs its codec first, so it gets a store that forwards once the region is there.
    let shared: SharedStructureStore | undefined;
    // A process that found no room for the region looks again when the codec asks: another
    // process may have made it since, and its records must be readable here.
    const attached = (): SharedStructureStore | undefined => (shared ??= this.findStructures());
    this.structures = {
      load: () => attached()?.load() ?? { version: 0, structures: [] },
      save: (structures, expectedVersion) => attached()?.save(structures, expectedVersion) ?? false,
    };
    const core = new StoreCore(buffer, section.waiter, mutex, journal, heap, resolveCodec(codec, { structures: this.structures }), options.autolock, options.timeout);
    this.#core = core;
    this.codecOption = codec;
    this.variables = new Variables(core, core.table(NS_VARIABLES_TABLE_OFFSET));
    this.directory = new Directory(core, core.table(NS_DIRECTORY_TABLE_OFFSET));
    shared = this.openStructures();
    this.loads = new LoadMarkers(core);
    this.large = {
      limit: heap.maxAllocation,
      store: (bytes) =>
        core.write(() => {
          if (bytes.length > heap.maxAllocation) throw new MessageTooLargeError(bytes.length, heap.maxAllocation, 'the namespace heap');
          const offset = heap.tryAllocate(bytes.length);
          if (offset < 0) {
            const room = Math.max(0, heap.stats().largestFree - 16);
            throw new MessageTooLargeError(bytes.length, room, 'the free space of the namespace heap now');
          }
          core.bytes.set(bytes, offset);
          return offset;
        }),
      view: (offset, length) => {
        // A handle read from a ring: never follow it past the committed memory (SIGBUS).
        if (!(offset >= 0 && offset + length <= heap.readableEnd())) {
          throw new CorruptHeapError(`a large message's handle (offset ${offset}, ${length} bytes) points outside the namespace's heap`);
        }
        return core.bytes.subarray(offset, offset + length);
      },
      free: (offset) => core.write(() => core.freeLater(offset)),
    };
  }

  /** Opens (or creates) the namespace `name`. */
  static open(name: string, options: NamespaceOptions = {}): Namespace {
    const parsed = validateObject<NamespaceOptions>(options, 'options');
    validateKnownKeys(parsed, OPTION_KEYS, 'options');
    validateName(name, 'namespace name');
    const { size, maxSize } = namespaceSizes(parsed.size, parsed.maxSize, Section.growable);
    const create = parsed.create === undefined ? true : validateBoolean(parsed.create, 'options.create');
    const reuse = parsed.reuse === undefined ? false : validateBoolean(parsed.reuse, 'options.reuse');
    const autolock = parsed.autolock === undefined ? true : validateBoolean(parsed.autolock, 'options.autolock');
    const timeoutOption = validateTimeout(parsed.timeout, 'options.timeout', DEFAULT_LOCK_TIMEOUT_MS);
    const timeout = timeoutOption === 0 ? Infinity : timeoutOption;
    if (parsed.file !== undefined) validateString(parsed.file, 'options.file');
    resolveCodec(parsed.codec);
    const location = parsed.file === undefined ? {} : { file: parsed.file };
    let section: Section;
    if (!create || reuse) {
      try {
        section = Section.open(name, location);
      } catch (error) {
        if (!(error instanceof SectionNotFoundError)) throw error;
        const how = reuse ? '{ reuse: true }' : '{ create: false }';
        throw new SectionNotFoundError(name, `namespace '${name}' does not exist; ${how} opens only an existing one: create it with Namespace.open('${name}') (create is the default)`);
      }
    } else {
      section = Section.openOrCreate(name, {
        size,
        reserve: maxSize,
        kind: 'namespace',
        ...location,
        ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
        initialize: (buffer: ArrayBuffer, committed: number) => initializeNamespace(buffer, committed, codecId(parsed.codec)),
      });
    }
    try {
      if (section.kind !== 'namespace') throw holdsOtherKind(name, section.kind, 'namespace', 'open');
      return new Namespace(section, { autolock, timeout, codec: parsed.codec });
    } catch (error) {
      section.close();
      throw error;
    }
  }

  /**
   * Removes a namespace by name; false if there was none. While live processes other than
   * this one have it open: SectionInUseError, unless `force: true` (they keep it until they
   * close; later opens do not find it, and Namespace.open makes a new one). A name that
   * holds another kind (a channel, a broadcast) is KindMismatchError and stays.
   */
  static destroy(name: string, options: { file?: string; force?: boolean } = {}): boolean {
    return removeByName(name, options, { noun: 'namespace', kinds: ['namespace'], remover: 'Namespace.destroy', keys: ['file'] });
  }

  /**
   * Whether a section named `name` exists in shared memory (of any kind: a channel's own
   * section counts too; file-backed ones are not looked for). Failures other than "not
   * found", such as no permission, throw.
   */
  static exists(name: string): boolean {
    try {
      Section.open(name, { readonly: true }).close();
      return true;
    } catch (error) {
      if (error instanceof SectionNotFoundError) return false;
      throw error;
    }
  }

  // ---------------------------------------------------------------- variables

  /**
   * The value of `key`, or undefined; takes no lock. A value up to 16 KiB is decoded once per
   * version and returned deep-frozen, the same object at every read; a larger one is decoded
   * afresh (and not frozen) at each read. A key is a non-empty string of at most 1,024 bytes
   * of UTF-8 (InvalidArgTypeError / InvalidArgValueError); bytes another codec wrote are
   * CorruptValueError.
   */
  get(key: string): unknown {
    void this.core; // SectionClosedError once closed
    return this.variables.get(key);
  }

  /** Whether `key` holds a value; takes no lock. */
  has(key: string): boolean {
    void this.core;
    return this.variables.has(key);
  }

  /** Sets `key`; `undefined` deletes it (as Win32::MMF). Unencodable values throw first. */
  set(key: string, value: unknown): void {
    void this.core;
    this.variables.set(key, value);
  }

  /** Removes `key`; true if it held a value. A write: it takes the lock (autolock) as set() does. */
  delete(key: string): boolean {
    void this.core;
    return this.variables.delete(key);
  }

  /**
   * Atomic read-modify-write: `fn` gets the current value (its own copy: it may change it and
   * return it) and returns the next (undefined deletes). `fn` runs holding the lock, so it
   * must be synchronous: an async function (or one that returns a Promise) is
   * InvalidArgTypeError and nothing is written. If `fn` throws, nothing it wrote stays.
   */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T | undefined): T | undefined {
    void this.core;
    return this.variables.update(key, fn);
  }

  /**
   * Adds `by` (default 1) to the number at `key`, atomically for every process, and returns
   * the new value. A missing key counts as 0; a key holding anything but a number is
   * InvalidArgTypeError. The variable stays an ordinary number (get, snapshots, groups).
   */
  increment(key: string, by = 1): number {
    void this.core;
    return this.variables.increment(key, by, 'ns.increment');
  }

  /** Subtracts `by` (default 1): increment(key, -by). */
  decrement(key: string, by = 1): number {
    void this.core;
    if (typeof by !== 'number') return this.variables.increment(key, by, 'ns.decrement'); // the same typed error
    return this.variables.increment(key, -by, 'ns.decrement');
  }

  /**
   * Runs fn, which may read many keys, against one consistent state (retrying while writes
   * overlap it): a group written under lock() / withLock() is seen whole or not at all.
   */
  snapshot<T>(fn: () => T): T {
    return this.core.snapshot(fn);
  }

  /** Several keys read together: one consistent state (see snapshot). */
  getMany(keys: readonly string[]): unknown[] {
    if (!Array.isArray(keys)) throw new InvalidArgTypeError(`ns.getMany(keys): keys must be an array of strings, got ${keys === null ? 'null' : typeof keys}`);
    return this.core.snapshot(() => keys.map((key) => this.get(key)));
  }

  /** Every key that holds a value, from one consistent state, in no particular order. */
  keys(): string[] {
    void this.core;
    return this.variables.keys();
  }

  /** How many keys hold a value (named objects do not count). */
  get size(): number {
    void this.core; // SectionClosedError once closed
    return this.variables.count;
  }

  /** The tied interface: `ns.vars.foo = 'hello'` in one process, `ns.vars.foo` in another. */
  get vars(): Record<string, unknown> {
    this.varsProxy ??= vars(this);
    return this.varsProxy;
  }

  // ---------------------------------------------------------------- locking

  /** Takes the write lock: writes until unlock() are seen by others all at once. A number is the timeout in ms. */
  lock(options?: WaitOptionsArg): void {
    if (options !== undefined) parseWaitOptions(options, 'ns.lock'); // checked even when the lock is free
    this.core.lock(options);
  }

  /**
   * lock() without blocking the event loop: resolves once the lock is held. TimeoutError
   * after `timeout` ms (default: the namespace's timeout), AbortError when `signal` aborts.
   * The lock belongs to this handle, not to an async task: calls that overlap on one handle
   * nest as lock() calls do.
   */
  lockAsync(options?: WaitOptionsArg): Promise<void> {
    if (options !== undefined) parseWaitOptions(options, 'ns.lockAsync');
    return this.core.lockAsync(options);
  }

  /**
   * Ends a lock() group: its writes become visible together and the lock is released. Nested
   * lock() calls on this handle each need their unlock(); one too many is NotLockedError.
   */
  unlock(): void {
    this.core.unlock();
  }

  /** Runs fn holding the lock; its writes are seen all at once, or (if it throws) not at all. */
  withLock<T>(fn: () => T, options?: WaitOptionsArg): T {
    if (typeof fn !== 'function') throw new InvalidArgTypeError(`ns.withLock(fn): fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
    this.lock(options);
    const savepoint = this.core.savepoint();
    try {
      return fn();
    } catch (error) {
      this.core.undoTo(savepoint);
      throw error;
    } finally {
      this.unlock();
    }
  }

  // ---------------------------------------------------------------- named objects

  /** The mutex `name`, created unlocked if missing; a holder that dies is recovered from. */
  mutex(name: string): Mutex {
    void this.core; // SectionClosedError once closed
    const { offset } = this.directory.findOrCreate(name, 'mutex', Mutex.byteLength, () => undefined);
    return new Mutex(this.core.buffer, offset, this.section.waiter);
  }

  /**
   * The semaphore `name`. `initial` (default 0, up to 2^31 - 1) is its count only when this
   * call creates it: an existing semaphore keeps its own count.
   */
  semaphore(name: string, initial = 0): Semaphore {
    void this.core; // SectionClosedError once closed
    validateInteger(initial, 'ns.semaphore initial', 0, 2 ** 31 - 1);
    const { offset } = this.directory.findOrCreate(name, 'semaphore', Semaphore.byteLength, (at) =>
      Semaphore.initialize(this.core.buffer, at, initial),
    );
    return new Semaphore(this.core.buffer, offset, this.section.waiter);
  }

  /**
   * The event `name`. `manualReset` (default false: auto-reset) must match an existing
   * event's (OptionsMismatchError); `initialState` applies only when this call creates it.
   */
  event(name: string, options: { manualReset?: boolean; initialState?: boolean } = {}): Event {
    void this.core; // SectionClosedError once closed
    const parsed = objectOptions<{ manualReset?: boolean; initialState?: boolean }>(options, 'ns.event', ['manualReset', 'initialState']);
    const { offset } = this.directory.findOrCreate(name, 'event', Event.byteLength, (at) => Event.initialize(this.core.buffer, at, parsed));
    const event = new Event(this.core.buffer, offset, this.section.waiter);
    sameOption('event', name, 'manualReset', parsed.manualReset, event.manualReset);
    return event;
  }

  /** A barrier of `parties`; an existing one opens without it (its parties are `barrier.parties`). */
  barrier(name: string, parties?: number): Barrier {
    void this.core; // SectionClosedError once closed
    if (parties !== undefined) validateInteger(parties, 'ns.barrier(name, parties): parties', 1, BARRIER_MAX_PARTIES);
    const { offset } = this.directory.findOrCreate(
      name,
      'barrier',
      Barrier.byteLength(parties ?? 1),
      (at) => Barrier.initialize(this.core.buffer, at, parties!),
      parties !== undefined, // without parties only an existing barrier opens
    );
    const barrier = new Barrier(this.core.buffer, offset, this.section.waiter);
    sameOption('barrier', name, 'parties', parties, barrier.parties);
    return this.handOut(barrier);
  }

  /**
   * A channel in this namespace; messages larger than a ring record go through the heap.
   * Opening an existing one with another kind or capacity is OptionsMismatchError (leave them
   * out to take whatever it has: `channel.options`).
   */
  channel<T = unknown>(name: string, options: { capacity?: number; kind?: RingKind; codec?: CodecOption } = {}): Channel<T> {
    void this.core; // SectionClosedError once closed
    const parsed = objectOptions<{ capacity?: number; kind?: RingKind; codec?: CodecOption }>(options, 'ns.channel', ['capacity', 'kind', 'codec']);
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    const kind = ringKindCode(parsed.kind ?? 'mpsc');
    resolveCodec(parsed.codec);
    const { offset } = this.directory.findOrCreate(name, 'channel', ringLength(capacity), (at) =>
      initializeRing(this.core.buffer, at, capacity, kind),
    );
    const channel = new Channel<T>(this.core.buffer, offset, this.section.waiter, { codec: parsed.codec ?? this.codecOption, largeMessages: this.large, structures: this.structures });
    sameOption('channel', name, 'kind', parsed.kind, channel.kind);
    sameOption('channel', name, 'capacity', parsed.capacity, channel.ring.capacity);
    return this.handOut(channel);
  }

  /**
   * The mailbox `name`: a channel of many senders and one receiver (kind 'mpsc'), its own
   * kind of object (a channel's name is not a mailbox). `capacity` is the ring's size in
   * bytes (a power of two, default 1 MiB); another one than an existing mailbox's is
   * OptionsMismatchError. Messages larger than a ring record go through the heap.
   */
  mailbox<T = unknown>(name: string, options: { capacity?: number; codec?: CodecOption } = {}): Channel<T> {
    void this.core; // SectionClosedError once closed
    const parsed = objectOptions<{ capacity?: number; codec?: CodecOption }>(options, 'ns.mailbox', ['capacity', 'codec']);
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    resolveCodec(parsed.codec);
    const { offset } = this.directory.findOrCreate(name, 'mailbox', ringLength(capacity), (at) =>
      initializeRing(this.core.buffer, at, capacity, ringKindCode('mpsc')),
    );
    const mailbox = new Channel<T>(this.core.buffer, offset, this.section.waiter, { codec: parsed.codec ?? this.codecOption, largeMessages: this.large, structures: this.structures });
    sameOption('mailbox', name, 'capacity', parsed.capacity, mailbox.ring.capacity);
    return this.handOut(mailbox);
  }

  /**
   * The broadcast `name`: one writer, many readers, each with its own cursor. `capacity` is
   * the ring's size in bytes (a power of two, default 1 MiB); another one than an existing
   * broadcast's is OptionsMismatchError. Messages do not spill into the heap: one larger
   * than the ring takes is MessageTooLargeError.
   */
  broadcast<T = unknown>(name: string, options: { capacity?: number; codec?: CodecOption } = {}): Broadcast<T> {
    void this.core; // SectionClosedError once closed
    const parsed = objectOptions<{ capacity?: number; codec?: CodecOption }>(options, 'ns.broadcast', ['capacity', 'codec']);
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    resolveCodec(parsed.codec);
    const { offset } = this.directory.findOrCreate(name, 'broadcast', broadcastLength(capacity), (at) =>
      Broadcast.initialize(this.core.buffer, at, capacity),
    );
    const broadcast = new Broadcast<T>(this.core.buffer, offset, this.section.waiter, { codec: parsed.codec ?? this.codecOption, structures: this.structures });
    sameOption('broadcast', name, 'capacity', parsed.capacity, broadcast.capacity);
    return this.handOut(broadcast);
  }

  /**
   * A cache shared by every process of this namespace. Its limits are set when it is created;
   * opening it again with other limits is OptionsMismatchError (`cache.stats()` has them).
   */
  cache<T = unknown>(name: string, options: CacheOptions = {}): Cache<T> {
    void this.core; // SectionClosedError once closed
    const parsed = parseCacheOptions(options);
    const known = this.caches.get(name);
    if (known) {
      sameCacheLimits(name, options, known);
      return known as Cache<T>;
    }
    const core = this.core;
    const { offset } = this.directory.findOrCreate(name, 'cache', CACHE_OBJECT_LENGTH, (at) => {
      initializeCache(core.all, new Float64Array(core.buffer, 0, core.buffer.byteLength >> 3), at, parsed);
      core.table(at + CACHE_TABLE_OFFSET).create();
    });
    const cache = new Cache<T>(name, core, offset, this.loads);
    sameCacheLimits(name, options, cache as Cache);
    this.caches.set(name, cache as Cache);
    return cache;
  }

  /** The named objects of this namespace. */
  objects(): DirectoryEntry[] {
    void this.core; // SectionClosedError once closed
    return this.directory.list().filter((entry) => entry.kind !== 'structures');
  }

  /**
   * The region of record structures every process of this namespace shares (codec/), made by
   * the first process that opens the namespace. A namespace too full for it (or made read
   * only) goes without: objects are then encoded as plain maps, a little slower, never wrong.
   */
  private openStructures(): SharedStructureStore | undefined {
    try {
      const length = SharedStructureStore.defaultLength;
      const { offset } = this.directory.findOrCreate(STRUCTURES_OBJECT_NAME, 'structures', length, (at) => SharedStructureStore.initialize(this.core.buffer, at, length));
      return new SharedStructureStore(this.core.buffer, offset, length, this.section.waiter);
    } catch (error) {
      if (error instanceof NamespaceFullError) return undefined;
      throw error;
    }
  }

  /** The region another process made, if any (find only: never creates from inside a codec). */
  private findStructures(): SharedStructureStore | undefined {
    const entry = this.directory?.find(STRUCTURES_OBJECT_NAME);
    if (!entry) return undefined;
    return new SharedStructureStore(this.core.buffer, entry.offset, entry.length, this.section.waiter);
  }

  /** Record structures shared by every codec of this namespace (see openStructures). */
  private readonly structures: StructureStore;

  // ---------------------------------------------------------------- debugging

  /** Win32::MMF's debug(): header, heap, directory, variables and counters. */
  inspect(): NamespaceInspection {
    const core = this.core;
    const all = core.all;
    this.lock();
    try {
      return {
        name: this.name,
        size: this.section.size,
        committed: this.section.committed,
        file: this.section.file,
        heap: core.heap.stats(),
        objects: this.objects().map(({ name, kind, length }) => ({ name, kind, bytes: length })),
        variables: [...this.variables.table.entries()].map((entry) => ({ name: this.variables.table.keyOf(entry), bytes: this.variables.table.entrySize(entry) })),
        counters: {
          writes: Atomics.load(all, NS_WRITES_OFFSET >> 2),
          recoveries: Atomics.load(all, NS_RECOVERIES_OFFSET >> 2),
          rollbacks: Atomics.load(all, NS_ROLLBACKS_OFFSET >> 2),
          sequence: Atomics.load(all, NS_SEQUENCE_OFFSET >> 2),
          lockRecoveries: core.mutex.recoveries,
          loadRecoveries: this.loads.recoveries,
        },
      };
    } finally {
      this.unlock();
    }
  }

  /** Checks every structure (heap, tables, directory, caches); CorruptHeapError on the first fault. */
  verify(): void {
    this.lock();
    try {
      const tables = [this.variables.table, this.directory.table];
      const loads = this.loads.existingTable;
      if (loads) tables.push(loads);
      for (const entry of this.directory.list()) {
        if (entry.kind === 'cache') tables.push(this.core.table(entry.offset + CACHE_TABLE_OFFSET));
      }
      verifyNamespace(this.core, tables);
    } finally {
      this.unlock();
    }
  }

  // ---------------------------------------------------------------- lifetime

  /**
   * Remembers a channel handed out, so close() gives back its consumer / producer slot (a
   * handle closed with its namespace must not keep a later handle of this process out).
   */
  private handOut<H extends Closable>(handle: H): H {
    if (this.handles.length >= 64) this.handles = this.handles.filter((ref) => ref.deref() !== undefined);
    this.handles.push(new WeakRef(handle));
    return handle;
  }

  private handles: Array<WeakRef<Closable>> = [];

  /**
   * Lets go of this handle: closes the channels, mailboxes and broadcasts it handed out
   * (barriers leave), then unmaps the namespace. Other processes keep it; destroy() removes it.
   */
  close(): void {
    for (const ref of this.handles.splice(0)) {
      const handle = ref.deref();
      handle?.close();
    }
    this.section.close();
  }

  /**
   * Closes this handle and removes the namespace's name, also while other processes have it
   * open (no force needed: whoever holds a handle may end it; they keep using it until they
   * close, later opens do not find it). Namespace.destroy(name) refuses that without force.
   */
  destroy(): void {
    this.close();
    this.section.unlink();
  }

  /** close(), for `using ns = Namespace.open(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options must be an object of known keys: `ns.channel('c', null)` and typos are typed errors. */
function objectOptions<T extends object>(options: unknown, label: string, known: string[]): T {
  const parsed = validateObject<T>(options, `${label} options`);
  validateKnownKeys(parsed, known, `${label} options`);
  return parsed;
}

/** An option given when opening an existing object must match what it was created with. */
function sameOption(kind: string, name: string, option: string, requested: unknown, effective: unknown): void {
  if (requested === undefined || requested === effective) return;
  throw new OptionsMismatchError(
    `${kind} '${name}' exists with ${option} ${effective === undefined ? 'unset' : String(effective)}, not ${String(requested)}: open it without '${option}' to take it as it is, or use another name`,
  );
}

function sameCacheLimits(name: string, options: CacheOptions, cache: Cache): void {
  if (options.maxEntries === undefined && options.maxBytes === undefined && options.ttl === undefined) return;
  const limits = cache.options;
  sameOption('cache', name, 'maxEntries', options.maxEntries, limits.maxEntries);
  sameOption('cache', name, 'maxBytes', options.maxBytes, limits.maxBytes);
  sameOption('cache', name, 'ttl', options.ttl === Infinity ? undefined : options.ttl, limits.ttl);
}

/** What Namespace.close() lets go of: channels and broadcasts close their handles, barriers leave. */
type Closable = { close(): void };

/** What Namespace.inspect() reports, read under the namespace's lock (one consistent state). */
export interface NamespaceInspection {
  /** The namespace's name. */
  name: string;
  /** Bytes of its section's user area: the most it may grow to. */
  size: number;
  /** Bytes of it committed (backed by memory) now: grows as the namespace fills. */
  committed: number;
  /** The backing file of a file-backed namespace; undefined for one in shared memory. */
  file: string | undefined;
  /** The heap that holds its variables and objects. */
  heap: HeapStats;
  /** Its named objects; `bytes` is an object's length in the heap. */
  objects: Array<{ name: string; kind: string; bytes: number }>;
  /** Its variables; `bytes` is an entry's size: header, key and encoded value. */
  variables: Array<{ name: string; bytes: number }>;
  /**
   * Since the namespace was created, in 32-bit words that wrap: writes begun; recoveries of
   * the lock from a dead writer and the rollbacks of its half-done writes among them; the
   * read sequence (odd while a write is in progress); the lock's own count of recoveries;
   * getOrSet loads taken over from a dead loader.
   */
  counters: { writes: number; recoveries: number; rollbacks: number; sequence: number; lockRecoveries: number; loadRecoveries: number };
}
