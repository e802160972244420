/**
 * The one interface every operating-system backend implements. Everything above src/platform
 * talks to this and never to koffi or the OS directly.
 *
 * Addresses are BigInt (what koffi hands back for pointers); sizes and offsets are numbers.
 */

/** An open shared-memory object or file: the OS handle plus what we learnt when opening it. */
export interface SharedObject {
  /** A file descriptor (POSIX) or a HANDLE (Windows). */
  readonly handle: number | bigint;
  /** The OS name or path it was opened under, for messages. */
  readonly label: string;
  /** Whether it was opened for reading only. */
  readonly readonly: boolean;
}

/**
 * Where a memory-backed section's name lives. Windows: 'local' is the session's namespace
 * (Local\), 'global' every session's (Global\, whose creation needs SeCreateGlobalPrivilege).
 * POSIX names are machine-wide already: both scopes name the same object there.
 */
export type SectionScope = 'local' | 'global';

export interface ObjectLocation {
  /** The section name, as the user spelled it (validated). */
  readonly name: string;
  /** A file path for file-backed sections; undefined for memory-backed ones. */
  readonly file?: string | undefined;
  /** The name's scope ('local' when absent); only Windows tells the two apart. */
  readonly scope?: SectionScope | undefined;
}

export interface CreateRequest extends ObjectLocation {
  /** Bytes to commit now: header plus user area (or its committed part), a multiple of the page size. */
  readonly size: number;
  /**
   * Bytes to reserve, >= size: the most the object may grow to with growObject. Only passed
   * (larger than size) on a platform with growObject; Windows reserves this much with
   * SEC_RESERVE and commits `size` of it. Linux needs no reservation (the mapping is the reserve).
   */
  readonly reserve?: number;
  /** Permission bits, 0o600 by default. Applied regardless of the umask. */
  readonly mode: number;
}

export interface OpenRequest extends ObjectLocation {
  readonly readonly: boolean;
}

export interface ObjectStat {
  readonly size: number;
  /** Owner's user id, or -1 where the OS has no such notion (Windows). */
  readonly uid: number;
  readonly mode: number;
}

/** A mapped view: `buffer` is a plain ArrayBuffer over the mapped bytes (koffi.view). */
export interface Mapping {
  readonly address: bigint;
  readonly length: number;
  readonly buffer: ArrayBuffer;
  readonly readonly: boolean;
}

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** One word to watch in waitAnyAsync: wake when its value differs from `expected`. */
export interface WatchedWord {
  readonly address: bigint;
  readonly expected: number;
}

export interface ProcessIdentity {
  readonly pid: number;
  /**
   * When the process started, in an OS-specific unit that only needs to be stable for the
   * life of the process and differ between two processes that had the same pid.
   * 0 means unknown.
   */
  readonly startTime: number;
}

export interface Platform {
  /** 'linux', 'darwin' or 'win32'. */
  readonly name: string;
  readonly pageSize: number;
  /** Whether the OS can list its shared-memory objects (Section.list). */
  readonly canList: boolean;

  /** The OS object name for a section name (macOS shortens long names with a hash). */
  objectName(name: string): string;

  /**
   * Creates the object exclusively, sizes it to `size` and commits the space (a full tmpfs
   * fails here with NoSpaceError, never with SIGBUS later). Throws SectionExistsError,
   * PermissionError, NoSpaceError. On failure nothing is left behind.
   */
  createObject(request: CreateRequest): SharedObject;
  /** Opens an existing object. Throws SectionNotFoundError, PermissionError. */
  openObject(request: OpenRequest): SharedObject;
  statObject(object: SharedObject): ObjectStat;
  closeObject(object: SharedObject): void;
  /** Removes the name. Mappings that exist stay valid. Returns false if it did not exist. */
  unlinkObject(location: ObjectLocation): boolean;
  /** Section names (not OS names) of the memory-backed sections that exist now. */
  listObjects(): string[];

  /**
   * The creation lock: held by a creator from create until the header says READY. The lock
   * dies with its process, so an opener that finds the lock free and the header not READY
   * knows the creator died during initialisation.
   */
  lockCreation(object: SharedObject): void;
  unlockCreation(object: SharedObject): void;
  /** True when some live process holds the creation lock. */
  isCreationLocked(object: SharedObject): boolean;

  /**
   * Growth (SEC_RESERVE on Windows; issue 13). Makes the first `to` bytes of the object
   * backed by memory (or disk), where `from` bytes already are: after it returns, any
   * process's mapping of the object may touch bytes below `to` without faulting. Never
   * shrinks the object, so two processes growing at once cannot undo each other. A full
   * tmpfs, paging file or disk is NoSpaceError here, never SIGBUS or an access violation
   * later; on failure the object is as large as before or larger, never smaller, and the
   * caller publishes nothing.
   *
   * The contract around it (src/section/section.ts):
   * - createObject(size) commits `size` bytes, and map(object, length) may be called with a
   *   length larger than the object: the whole reserve is mapped once, at open, by every
   *   process, and nobody remaps when the section grows. Bytes past the committed size are
   *   never touched.
   * - statObject(object).size must be at least the committed size (it is checked at open).
   * - The caller publishes the new committed size in the header only after this returns.
   *
   * Linux: posix_fallocate(fd, from, to - from), which extends the file and allocates its
   * pages. Windows: VirtualAlloc(view + from, to - from, MEM_COMMIT, PAGE_READWRITE) on a
   * paging-file section created with SEC_RESERVE (file-backed: nothing; a file mapping's size
   * is fixed when it is made, so the whole reserve is created at once). Absent where the OS cannot grow a shared object (macOS: a POSIX
   * shm object can be sized by ftruncate once only): sections there commit their whole
   * reserve at create, and namespaces default to a fixed size (see docs/decisions.md).
   *
   * `mapping` is this process's mapping of the object (Windows commits through a view).
   */
  growObject?(object: SharedObject, mapping: Mapping, from: number, to: number): void;

  map(object: SharedObject, length: number): Mapping;
  /**
   * Another ArrayBuffer over part of a mapping (the user area, say). Views count as users of
   * the mapping: see unmap.
   */
  view(mapping: Mapping, offset: number, length: number): ArrayBuffer;
  /** Shared anonymous memory for process-local words a wait can watch (control words). */
  mapAnonymous(length: number): Mapping;
  /**
   * Releases the mapping. The ArrayBuffers over it (mapping.buffer and views) may still be
   * reachable from user code, and touching freed memory would crash the process; so where the
   * OS allows, the range is first replaced by private zero pages, and the address range is
   * returned to the OS only once every view has been garbage-collected.
   */
  unmap(mapping: Mapping): void;
  /** Writes dirty pages of a file-backed mapping to the file (msync MS_SYNC). */
  flush(mapping: Mapping): void;

  /**
   * Blocks the calling thread while the 32-bit word at `address` equals `expected`, until a
   * wake, a timeout (ms; Infinity = none) or a spurious return. Cross-process.
   */
  wait(address: bigint, expected: number, timeoutMs: number): WaitResult;
  /** Wakes up to `count` threads waiting on `address`, in any process. Returns how many. */
  wake(address: bigint, count: number): number;
  /**
   * Waits off the JS thread (on a libuv pool thread) until any watched word differs from its
   * expected value, a wake on one of them, or the timeout. Callers must keep at most one
   * such call in flight per process: each occupies a thread of libuv's pool.
   * May return spuriously; callers re-check their words.
   */
  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void>;
  /** How many words one waitAnyAsync call can watch. */
  readonly maxWatchedWords: number;
  /**
   * Calls `onChange` on this thread's event loop whenever some process pokes the object
   * (pokeObject) or otherwise writes to it through a descriptor: no thread and no CPU while
   * idle, for any number of objects (Linux: inotify through fs.watch). For async waits on
   * more sections than one waitAnyAsync can watch. Undefined where the OS cannot; an error
   * after the start is reported through `onError` (the caller falls back to polling).
   */
  watchObject?(object: SharedObject, onChange: () => void, onError: (error: Error) => void): { close(): void } | undefined;
  /** Writes one zero byte at `offset` of the object through its descriptor: wakes watchObject. */
  pokeObject?(object: SharedObject, offset: number): void;

  readonly currentProcess: ProcessIdentity;
  /**
   * The identity owner words (locks, ring claims, ring slots) use for the calling thread,
   * where the OS can tell a thread's liveness like a process's: on Linux the thread id and
   * the thread's start time (/proc/<tid>/stat answers for threads too), so a worker thread
   * that was terminated holding a lock or a claim is seen dead. Absent elsewhere: the
   * process identity serves.
   */
  readonly currentThread?: ProcessIdentity;
  /**
   * The start time of a running process (or, on Linux, thread), 0 if none has that id, or
   * UNKNOWN_START_TIME if it cannot be told now (out of file descriptors, say): callers treat
   * that as alive, since taking a live owner's lock or claim is far worse than waiting.
   */
  processStartTime(pid: number): number;
}

/** One section a process maps, as Section.mappedBy reports it. */
export interface MappedSection {
  /** The section name (from the object's name, or a file's header). */
  name: string;
  /** 'memory' (a shared-memory object) or 'file' (a file-backed section). */
  backing: 'memory' | 'file';
  /** The path the process has mapped (Linux: /dev/shm/...; Windows: the file, in device form). */
  path: string;
  /** The name or file was removed after the process mapped it (it keeps the memory). */
  deleted: boolean;
  /** Bytes the process maps of it (all its mappings together). */
  mappedBytes: number;
  /** Separate mappings of it in the process. */
  mappings: number;
}

/** processStartTime's answer when liveness cannot be told right now: treat as alive. */
export const UNKNOWN_START_TIME = -1;
