/**
 * Every error shmkit throws on purpose is a ShmkitError with a stable `code`.
 *
 * shmkit is loaded more than once in one process tree (the main thread and each worker import
 * their own copy), so `instanceof` must not depend on module identity: every class carries a
 * brand registered with Symbol.for, and Symbol.hasInstance checks the brand.
 */

const BRAND = Symbol.for('shmkit.error');

/** The `code` of every ShmkitError: one per class (see each class), stable across versions. */
export type ShmkitErrorCode =
  | 'ERR_SHMKIT_INVALID_NAME'
  | 'ERR_SHMKIT_SECTION_EXISTS'
  | 'ERR_SHMKIT_SECTION_NOT_FOUND'
  | 'ERR_SHMKIT_INCOMPATIBLE_SECTION'
  | 'ERR_SHMKIT_SECTION_ABANDONED'
  | 'ERR_SHMKIT_SECTION_CLOSED'
  | 'ERR_SHMKIT_PERMISSION'
  | 'ERR_SHMKIT_NO_SPACE'
  | 'ERR_SHMKIT_TIMEOUT'
  | 'ERR_SHMKIT_ABORTED'
  | 'ERR_SHMKIT_OUT_OF_RANGE'
  | 'ERR_SHMKIT_INVALID_ARG_TYPE'
  | 'ERR_SHMKIT_INVALID_ARG_VALUE'
  | 'ERR_SHMKIT_NOT_OWNER'
  | 'ERR_SHMKIT_DEADLOCK'
  | 'ERR_SHMKIT_CHANNEL_ENDED'
  | 'ERR_SHMKIT_SENDERS_GONE'
  | 'ERR_SHMKIT_MESSAGE_TOO_LARGE'
  | 'ERR_SHMKIT_CORRUPT_CHANNEL'
  | 'ERR_SHMKIT_CHANNEL_BUSY'
  | 'ERR_SHMKIT_OPTIONS_MISMATCH'
  | 'ERR_SHMKIT_CLAIM_REVOKED'
  | 'ERR_SHMKIT_UNSERIALIZABLE'
  | 'ERR_SHMKIT_KIND_MISMATCH'
  | 'ERR_SHMKIT_NOT_LOCKED'
  | 'ERR_SHMKIT_NAMESPACE_FULL'
  | 'ERR_SHMKIT_CORRUPT_HEAP'
  | 'ERR_SHMKIT_BARRIER_BROKEN'
  | 'ERR_SHMKIT_UNSUPPORTED_PLATFORM'
  | 'ERR_SHMKIT_SYSTEM'
  | 'ERR_SHMKIT_BRIDGE_DEPENDENCY'
  | 'ERR_SHMKIT_BRIDGE_DISCONNECTED'
  | 'ERR_SHMKIT_BRIDGE_CLOSED'
  | 'ERR_SHMKIT_UNSAFE_PATH'
  | 'ERR_SHMKIT_SECTION_IN_USE'
  | 'ERR_SHMKIT_CORRUPT_VALUE'
  | 'ERR_SHMKIT_WORKER_CRASHED'
  | 'ERR_SHMKIT_TASK_TIMEOUT'
  | 'ERR_SHMKIT_QUEUE_FULL'
  | 'ERR_SHMKIT_POOL_CLOSED'
  | 'ERR_SHMKIT_WORKER_START'
  | 'ERR_SHMKIT_TYPESCRIPT_UNSUPPORTED'
  | 'ERR_SHMKIT_HANDLER_NOT_FOUND';

/**
 * The base class of every error shmkit throws on purpose: catch it, then branch on `code` or
 * on the subclass. `instanceof` works across the copies of shmkit a worker loads.
 */
export class ShmkitError extends Error {
  /** Which error this is, `ERR_SHMKIT_*`: match on it rather than on the message. */
  readonly code: ShmkitErrorCode;

  /** For subclasses; shmkit itself throws the subclass that names the failure. */
  constructor(code: ShmkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * `error instanceof SomeShmkitError` by brand, not by class identity: true for errors made
   * by another copy of the module (another worker's import) too.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [BRAND]?: ReadonlySet<string> })[BRAND];
    return brands !== undefined && brands.has(this.name);
  }
}

/**
 * Brands a class so that `instanceof` works across copies of this module. Each instance
 * carries the set of class names it descends from (looked up once per class, not per throw).
 */
function brand(cls: { name: string; prototype: object }): void {
  const parent = Object.getPrototypeOf(cls.prototype) as { [BRAND]?: ReadonlySet<string> };
  const names = new Set(parent[BRAND] ?? []);
  names.add(cls.name);
  Object.defineProperty(cls.prototype, BRAND, { value: names, enumerable: false });
}
brand(ShmkitError);

/** A section or object name that is not 1–200 characters of [A-Za-z0-9._-], or starts with '.'. */
export class InvalidNameError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_INVALID_NAME', message);
  }
}
brand(InvalidNameError);

/** Section.create (or Channel.create, Mailbox.create...) of a name that is taken. */
export class SectionExistsError extends ShmkitError {
  constructor(
    /** The name that is taken. */
    readonly sectionName: string,
    message = `section '${sectionName}' already exists; use Section.open or Section.openOrCreate`,
  ) {
    super('ERR_SHMKIT_SECTION_EXISTS', message);
  }
}
brand(SectionExistsError);

/** Section.open (or Channel.open, Mailbox.open...) of a name nobody has created. */
export class SectionNotFoundError extends ShmkitError {
  constructor(
    /** The name that was not found. */
    readonly sectionName: string,
    message = `section '${sectionName}' does not exist; create it first with Section.create`,
  ) {
    super('ERR_SHMKIT_SECTION_NOT_FOUND', message);
  }
}
brand(SectionNotFoundError);

/** Not a shmkit section, another format version, the other byte order, or truncated. */
export class IncompatibleSectionError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_INCOMPATIBLE_SECTION', message);
  }
}
brand(IncompatibleSectionError);

/** The creator of a section died before finishing its initialisation. */
export class SectionAbandonedError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_SECTION_ABANDONED', message);
  }
}
brand(SectionAbandonedError);

/**
 * Use of a section, or of a structure placed in it, after close(): its memory is unmapped,
 * so the operation is refused rather than run on zeros.
 */
export class SectionClosedError extends ShmkitError {
  constructor(what: string) {
    super('ERR_SHMKIT_SECTION_CLOSED', `${what} is closed`);
  }
}
brand(SectionClosedError);

/** The OS refused access: a section or file owned by another user, or a mode that forbids it. */
export class PermissionError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_PERMISSION', message, options);
  }
}
brand(PermissionError);

/**
 * No room for a section's memory (a full /dev/shm, Docker's 64 MiB, or a full disk): found at
 * create or grow time, before any use, never as a SIGBUS later.
 */
export class NoSpaceError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_NO_SPACE', message, options);
  }
}
brand(NoSpaceError);

/** A blocking call whose `timeout` (ms) ran out; the message names the call and the timeout. */
export class TimeoutError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_TIMEOUT', message);
  }
}
brand(TimeoutError);

/** A blocking call whose AbortSignal aborted; `cause` is the signal's reason. */
export class AbortError extends ShmkitError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ERR_SHMKIT_ABORTED', message, options);
  }
}
brand(AbortError);

/** A number outside its allowed range (sizes, counts, timeouts). Names the option. */
export class OutOfRangeError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_OUT_OF_RANGE', message);
  }
}
brand(OutOfRangeError);

/** An argument or option of the wrong type. Names the option. */
export class InvalidArgTypeError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_INVALID_ARG_TYPE', message);
  }
}
brand(InvalidArgTypeError);

/** An argument of the right type but a value that is not allowed (an unknown option, say). */
export class InvalidArgValueError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_INVALID_ARG_VALUE', message);
  }
}
brand(InvalidArgValueError);

/** Unlock of a lock this process or thread does not hold. */
export class NotOwnerError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_NOT_OWNER', message);
  }
}
brand(NotOwnerError);

/** A thread asked for a lock it already holds (shmkit's Mutex is not recursive). */
export class DeadlockError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_DEADLOCK', message);
  }
}
brand(DeadlockError);

/** A barrier whose party died or timed out: every waiter of that generation gets this. */
export class BarrierBrokenError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_BARRIER_BROKEN', message, options);
  }
}
brand(BarrierBrokenError);

/** send on an ended channel (see end()), or receive on one that has ended and is drained. */
export class ChannelEndedError extends ShmkitError {
  constructor(message = 'the channel has ended') {
    super('ERR_SHMKIT_CHANNEL_ENDED', message);
  }
}
brand(ChannelEndedError);

/**
 * A receiver waited on an empty channel that no live sender can fill any more: every process
 * or thread that sent on it has closed its handle, exited or died without end().
 */
export class SendersGoneError extends ShmkitError {
  constructor(message = 'no live sender is left on this channel and it is empty (every sender died or exited without close() or end(); call end() from the last sender to finish the stream cleanly)') {
    super('ERR_SHMKIT_SENDERS_GONE', message);
  }
}
brand(SendersGoneError);

/** A message larger than the largest record the ring (or heap) can take; names the limit. */
export class MessageTooLargeError extends ShmkitError {
  constructor(
    /** Bytes of the message, encoded. */
    readonly length: number,
    /** The largest message, in bytes, that the ring (or heap) takes. */
    readonly limit: number,
    where = 'this channel',
  ) {
    super('ERR_SHMKIT_MESSAGE_TOO_LARGE', `a message of ${length} bytes is larger than ${where} takes (at most ${limit} bytes)`);
  }
}
brand(MessageTooLargeError);

/** Ring positions or record headers that cannot be right: the shared memory was damaged. */
export class CorruptChannelError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_CORRUPT_CHANNEL', message);
  }
}
brand(CorruptChannelError);

/**
 * A second live consumer of an SPSC or MPSC ring, or a second live producer of an SPSC ring:
 * refused before it reads or writes anything (the holder's successor may take over once the
 * holder is dead or has closed its handle).
 */
export class ChannelBusyError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_CHANNEL_BUSY', message);
  }
}
brand(ChannelBusyError);

/**
 * A named object opened again with options other than the ones it was created with (a
 * channel's kind or capacity, a barrier's parties, a cache's limits...): the existing object
 * is not silently handed out in their place. The message names the option and both values.
 */
export class OptionsMismatchError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_OPTIONS_MISMATCH', message);
  }
}
brand(OptionsMismatchError);

/**
 * A zero-copy claim that the consumer turned into padding before commit(), because the
 * liveness check said this process was dead (processes in different pid namespaces, say).
 * The message was not sent; claim again.
 */
export class ClaimRevokedError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_CLAIM_REVOKED', message);
  }
}
brand(ClaimRevokedError);

/** A value the codec cannot encode; nothing was written. */
export class UnserializableValueError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_UNSERIALIZABLE', message, options);
  }
}
brand(UnserializableValueError);

/**
 * The namespace's heap has no free block large enough (full, or too fragmented). The message
 * says how much was asked, how much is free and the largest free block. Nothing was changed.
 */
export class NamespaceFullError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_NAMESPACE_FULL', message);
  }
}
brand(NamespaceFullError);

/**
 * Heap block tags, free lists or counters that cannot be right, or a free() of an offset that
 * is not a live allocation (a double free, a stale or made-up offset): never ignored, since
 * going on would corrupt the heap silently.
 */
export class CorruptHeapError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_CORRUPT_HEAP', message, options);
  }
}
brand(CorruptHeapError);

/**
 * A name that holds another kind of object than the call is for: a channel's name passed to
 * Namespace.open or Namespace.destroy, a namespace's to Channel.openOrCreate or
 * Channel.unlink, a cache's name asked for as a mutex in a namespace. Nothing was opened,
 * created or removed. Every such message has one shape: "'x' holds a channel, not a
 * namespace: open it with Channel.open"; `found` and `wanted` are the two kinds.
 */
export class KindMismatchError extends ShmkitError {
  constructor(
    message: string,
    /** The kind the name holds ('channel', 'namespace', 'cache'...), when known. */
    readonly found?: string,
    /** The kind the call is for. */
    readonly wanted?: string,
  ) {
    super('ERR_SHMKIT_KIND_MISMATCH', message);
  }

  /**
   * "<what> holds a <found>, not a <wanted>[: <remedy>]". `what` names the name: "'x'", or
   * "'x' in this namespace".
   */
  static holds(what: string, found: string, wanted: string, remedy?: string): KindMismatchError {
    return new KindMismatchError(`${what} holds ${withArticle(found)}, not ${withArticle(wanted)}${remedy === undefined ? '' : `: ${remedy}`}`, found, wanted);
  }
}

/** 'channel' -> 'a channel', 'event' -> 'an event'; a plain section and an unreadable kind said as such. */
function withArticle(kind: string): string {
  if (kind === 'raw') return 'a plain section';
  if (kind === 'unknown') return 'an object of unknown kind';
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}
brand(KindMismatchError);

/** unlock() without a matching lock(). */
export class NotLockedError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_NOT_LOCKED', message);
  }
}
brand(NotLockedError);

/** An OS or CPU architecture shmkit does not run on (it supports Linux, macOS and Windows). */
export class UnsupportedPlatformError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_UNSUPPORTED_PLATFORM', message);
  }
}
brand(UnsupportedPlatformError);

/** An OS call failed in a way no more specific class describes; `errno` holds the OS code. */
export class SystemError extends ShmkitError {
  constructor(
    message: string,
    /** The OS error number (errno on POSIX, GetLastError() on Windows; 0 if it gave none). */
    readonly errno: number,
    /** The OS call that failed, such as 'mmap'. */
    readonly syscall: string,
  ) {
    super('ERR_SHMKIT_SYSTEM', message);
  }
}
brand(SystemError);

/**
 * A path shmkit will not use: something other than a regular file where a section should be
 * (a FIFO, socket, device or directory, made by someone else), or a file-backed section's
 * directory reached through a symbolic link nobody trustworthy made, owned by another user,
 * or writable by other users without the sticky bit. Nothing was opened or created.
 */
export class UnsafePathError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_UNSAFE_PATH', message);
  }
}
brand(UnsafePathError);

/**
 * Section.unlink by name of a section that live processes other than this one have attached;
 * `pids` lists them. Pass `{ force: true }` to remove it anyway (they keep their mapping).
 */
export class SectionInUseError extends ShmkitError {
  constructor(
    message: string,
    /** Pids of the live processes that have the section attached. */
    readonly pids: readonly number[],
  ) {
    super('ERR_SHMKIT_SECTION_IN_USE', message);
  }
}
brand(SectionInUseError);

/**
 * Bytes that do not decode to a value: written by another codec, or damaged. Raised by the
 * MessagePack codec and by reads of a stored value (a set() of the key replaces it). A kind of
 * CorruptHeapError (the bytes held for a value are not one), with a code of its own.
 */
export class CorruptValueError extends CorruptHeapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    (this as { code: ShmkitErrorCode }).code = 'ERR_SHMKIT_CORRUPT_VALUE';
  }
}
brand(CorruptValueError);

/**
 * The pool worker that held this task died (process killed, thread threw outside a task, out
 * of memory, process.exit): this task alone failed; the worker was replaced.
 */
export class WorkerCrashedError extends ShmkitError {
  constructor(message = 'the worker running this task died before it finished', options?: { cause?: unknown }) {
    super('ERR_SHMKIT_WORKER_CRASHED', message, options);
  }
}
brand(WorkerCrashedError);

/** A pool task that did not finish within its `timeout` (or the pool's `taskTimeout`), in ms from run(). */
export class TaskTimeoutError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_TASK_TIMEOUT', message);
  }
}
brand(TaskTimeoutError);

/** pool.run() while the pool's queue holds `maxQueue` tasks (pass `{ wait: true }` to wait instead). */
export class QueueFullError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_QUEUE_FULL', message);
  }
}
brand(QueueFullError);

/** pool.run() after close() or destroy(), or a task destroy() dropped. */
export class PoolClosedError extends ShmkitError {
  constructor(message = 'the pool is closed') {
    super('ERR_SHMKIT_POOL_CLOSED', message);
  }
}
brand(PoolClosedError);

/** A pool worker could not start: its file is missing, failed to load, or kept dying at start. */
export class WorkerStartError extends ShmkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SHMKIT_WORKER_START', message, options);
  }
}
brand(WorkerStartError);

/** A TypeScript worker file on a Node that cannot strip types; the message says what to do. */
export class TypeScriptUnsupportedError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_TYPESCRIPT_UNSUPPORTED', message);
  }
}
brand(TypeScriptUnsupportedError);

/** pool.run(task, { name }) where the worker module has no function export of that name. */
export class HandlerNotFoundError extends ShmkitError {
  constructor(message: string) {
    super('ERR_SHMKIT_HANDLER_NOT_FOUND', message);
  }
}
brand(HandlerNotFoundError);
