/**
 * Linux backend: POSIX shared memory through /dev/shm (what glibc's shm_open does), files for
 * file-backed sections, mmap through koffi, futex for cross-process waits.
 *
 * Opening, sizing and unlinking go through node:fs (real descriptors, Node's errno names);
 * koffi is used only for what Node lacks: posix_fallocate, mmap/munmap/msync, flock, futex.
 */
import fs from 'node:fs';
import path from 'node:path';
import koffi from 'koffi';
import { InvalidArgValueError, SectionNotFoundError, SystemError, UnsafePathError, UnsupportedPlatformError } from '../errors.js';
import { errnoName, translateFsError, translateOsError } from './errno.js';
import { withSafeParent } from './safe-path.js';
import type {
  CreateRequest,
  Mapping,
  ObjectLocation,
  ObjectStat,
  OpenRequest,
  Platform,
  ProcessIdentity,
  SharedObject,
  WaitResult,
  WatchedWord,
} from './types.js';
import { UNKNOWN_START_TIME } from './types.js';
import { ViewTracker } from './view-tracker.js';

export const SHM_DIRECTORY = '/dev/shm';
export const OBJECT_PREFIX = 'shmkit.';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const MS_SYNC = 4;
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const FUTEX_WAIT = 0; // not FUTEX_PRIVATE_FLAG: the word is shared between processes
const FUTEX_WAKE = 1;
const FUTEX2_SIZE_U32 = 0x02;
const CLOCK_MONOTONIC = 1;
const EAGAIN = 11;
const EINTR = 4;
const ETIMEDOUT = 110;
const ENOSYS = 38;
const SC_PAGESIZE = 30;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const FUTEX_WAITV_MAX = 128;
const FUTEX_WAITV_ENTRY_SIZE = 24; // { u64 val; u64 uaddr; u32 flags; u32 reserved }

const SYSCALL_NUMBERS: Record<string, { futex: number; futexWaitv: number; gettid: number }> = {
  x64: { futex: 202, futexWaitv: 449, gettid: 186 },
  arm64: { futex: 98, futexWaitv: 449, gettid: 178 },
};

/** Binds libc lazily: this module is imported on every OS, but only called on Linux. */
function bindLibc() {
  const libc = koffi.load('libc.so.6');
  // Anonymous struct: a named one would clash when a second copy of shmkit loads in-process.
  const timespec = koffi.struct({ tv_sec: 'int64_t', tv_nsec: 'int64_t' });
  const timespecPointer = koffi.pointer(timespec);
  return {
    mmap: libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: libc.func('int munmap(void *addr, size_t length)'),
    msync: libc.func('int msync(void *addr, size_t length, int flags)'),
    posixFallocate: libc.func('int posix_fallocate(int fd, int64_t offset, int64_t length)'),
    flock: libc.func('int flock(int fd, int operation)'),
    sysconf: libc.func('long sysconf(int name)'),
    clockGettime: libc.func('clock_gettime', 'int', ['int', koffi.out(timespecPointer)]),
    // syscall(2) is variadic; koffi cannot call a variadic function asynchronously, so it is
    // declared once per use with fixed arguments (all integer registers, so the ABI matches).
    // futex(uaddr, op, val, timeout, uaddr2, val3)
    futexCall: libc.func('syscall', 'long', ['long', 'uintptr_t', 'int', 'uint32_t', timespecPointer, 'uintptr_t', 'uint32_t']),
    // futex_waitv(waiters, nr_futexes, flags, timeout, clockid)
    futexWaitvCall: libc.func('syscall', 'long', ['long', 'uintptr_t', 'uint32_t', 'uint32_t', timespecPointer, 'int']),
  };
}
type Libc = ReturnType<typeof bindLibc>;

function objectPath(location: ObjectLocation): string {
  return location.file ?? path.join(SHM_DIRECTORY, OBJECT_PREFIX + location.name);
}

function describe(location: ObjectLocation): string {
  return location.file ? `section '${location.name}' (file ${location.file})` : `section '${location.name}'`;
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function fileType(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** Something other than a regular file sits where a section should be: refuse to touch it. */
function notRegular(what: string, file: string, stat: fs.Stats): UnsafePathError {
  return new UnsafePathError(
    `${what}: ${file} is ${fileType(stat)} owned by user ${stat.uid}, not a shmkit section; ` +
      `shmkit refuses to open it. Remove it if it should not be there (rm ${file})`,
  );
}

function relativeTimespec(timeoutMs: number): { tv_sec: number; tv_nsec: number } | null {
  if (timeoutMs === Infinity) return null;
  const ms = Math.max(0, timeoutMs);
  const sec = Math.floor(ms / 1000);
  return { tv_sec: sec, tv_nsec: Math.floor((ms - sec * 1000) * 1e6) };
}

function readStartTime(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    // Only "no such entry" means dead. EMFILE, ENOMEM, EACCES... say nothing about the
    // process: judging it dead would hand its lock or claim to someone else while it runs.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? 0 : UNKNOWN_START_TIME;
  }
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return 0; // killed, waiting to be reaped: dead to us
  const startTime = Number(fields[19]); // field 22 of stat(5): starttime, clock ticks since boot
  return Number.isFinite(startTime) && startTime > 0 ? startTime : 1;
}

class LinuxPlatform implements Platform {
  readonly name = 'linux';
  readonly pageSize: number;
  readonly canList = true;
  /** 128 with futex_waitv (Linux 5.16+); 1 once a kernel without it has been seen. */
  get maxWatchedWords(): number {
    return this.waitvSupported ? FUTEX_WAITV_MAX : 1;
  }
  readonly currentProcess: ProcessIdentity;
  readonly currentThread: ProcessIdentity;
  private readonly syscalls: { futex: number; futexWaitv: number; gettid: number };
  private waitvSupported = true;
  private readonly libc: Libc;
  private readonly views = new ViewTracker((state) => this.libc.munmap(state.address, state.length));

  constructor() {
    const syscalls = SYSCALL_NUMBERS[process.arch];
    if (!syscalls) throw new UnsupportedPlatformError(`shmkit has no futex syscall numbers for ${process.arch}`);
    this.syscalls = syscalls;
    this.libc = bindLibc();
    this.pageSize = Number(this.libc.sysconf(SC_PAGESIZE)) || 4096;
    // Owner words carry a hash of this start time; an unknown one would make every other
    // process judge this one dead and take its locks and claims. Refuse to run blind.
    const startTime = readStartTime(process.pid);
    if (startTime <= 0) {
      throw new SystemError(`cannot read this process's start time from /proc/${process.pid}/stat (out of file descriptors?)`, 0, 'read');
    }
    this.currentProcess = { pid: process.pid, startTime };
    // Each worker thread loads its own copy of this module, so this is the loading thread's.
    // gettid through the fixed-argument syscall binding (the extra arguments are ignored).
    const tid = Number(this.libc.futexCall(syscalls.gettid, 0, 0, 0, null, 0, 0));
    const threadStart = tid > 0 && tid !== process.pid ? readStartTime(tid) : 0;
    // A thread whose start time cannot be read is named by its process (liveness per process, as before).
    this.currentThread = threadStart > 0 ? { pid: tid, startTime: threadStart } : this.currentProcess;
  }

  objectName(name: string): string {
    return OBJECT_PREFIX + name;
  }

  createObject(request: CreateRequest): SharedObject {
    const what = `creating ${describe(request)}`;
    if (request.file === undefined) return this.createAt(objectPath(request), request, what);
    // File-backed: the directory is resolved safely and the file made relative to it.
    return withSafeParent(request.file, what, request.name, true, (at) => this.createAt(at, request, what));
  }

  private createAt(file: string, request: CreateRequest, what: string): SharedObject {
    const label = objectPath(request);
    const { O_CREAT, O_EXCL, O_RDWR, O_NOFOLLOW } = fs.constants;
    let fd: number;
    try {
      fd = fs.openSync(file, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, request.mode);
    } catch (error) {
      throw translateFsError(error, what, request.name);
    }
    try {
      // Take the creation lock before anything else: from here until READY, openers see a
      // live creator. Blocking (no LOCK_NB): an opener's probe holds a shared lock for an
      // instant and must not make creation fail.
      if (this.libc.flock(fd, LOCK_EX) !== 0) {
        const errno = koffi.errno();
        throw new SystemError(`locking ${label} for initialisation failed: ${errnoName(errno)}`, errno, 'flock');
      }
      fs.fchmodSync(fd, request.mode); // the umask must not widen or narrow what was asked
      fs.ftruncateSync(fd, request.size);
      // Commit every page now: on a full tmpfs this fails with ENOSPC instead of the process
      // dying of SIGBUS on first touch. posix_fallocate returns the error number itself.
      const rc = this.libc.posixFallocate(fd, 0, request.size) as number;
      if (rc !== 0) throw translateOsError(errnoName(rc), rc, what, request.name, 'posix_fallocate');
    } catch (error) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
      try { fs.unlinkSync(file); } catch { /* already failing */ }
      throw translateFsError(error, what, request.name);
    }
    return { handle: fd, label, readonly: false };
  }

  openObject(request: OpenRequest): SharedObject {
    const what = `opening ${describe(request)}`;
    if (request.file === undefined) return this.openAt(objectPath(request), request, what);
    return withSafeParent(request.file, what, request.name, false, (at) => this.openAt(at, request, what));
  }

  /** `file` is the path to open (through /proc/self/fd for file-backed sections). */
  private openAt(file: string, request: OpenRequest, what: string): SharedObject {
    const label = objectPath(request);
    const { O_RDONLY, O_RDWR, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO someone put in our place must not block this thread in open(2)
      // (for a regular file it changes nothing); O_NOCTTY: a terminal never becomes ours.
      fd = fs.openSync(file, (request.readonly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (error) {
      // A socket (ENXIO), a directory opened for writing (EISDIR)...: say what is there.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ELOOP') {
        const stat = lstatOrUndefined(file);
        if (stat && !stat.isFile() && !stat.isSymbolicLink()) throw notRegular(what, label, stat);
      }
      throw translateFsError(error, what, request.name);
    }
    let stat: fs.Stats;
    try {
      stat = fs.fstatSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      throw translateFsError(error, what, request.name);
    }
    if (!stat.isFile()) {
      fs.closeSync(fd);
      throw notRegular(what, label, stat);
    }
    return { handle: fd, label, readonly: request.readonly };
  }

  statObject(object: SharedObject): ObjectStat {
    const stat = fs.fstatSync(object.handle as number);
    return { size: stat.size, uid: stat.uid, mode: stat.mode & 0o7777 };
  }

  closeObject(object: SharedObject): void {
    fs.closeSync(object.handle as number);
  }

  unlinkObject(location: ObjectLocation): boolean {
    const what = `removing ${describe(location)}`;
    const unlinkAt = (file: string): boolean => {
      try {
        fs.unlinkSync(file);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw translateFsError(error, what, location.name);
      }
    };
    if (location.file === undefined) return unlinkAt(objectPath(location));
    try {
      return withSafeParent(location.file, what, location.name, false, unlinkAt);
    } catch (error) {
      if (error instanceof SectionNotFoundError) return false; // its directory is gone too
      throw error;
    }
  }

  listObjects(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(SHM_DIRECTORY);
    } catch {
      return [];
    }
    return entries.filter((entry) => entry.startsWith(OBJECT_PREFIX)).map((entry) => entry.slice(OBJECT_PREFIX.length));
  }

  /** createObject already holds the lock; taking it again on the same descriptor is a no-op. */
  lockCreation(object: SharedObject): void {
    if (this.libc.flock(object.handle as number, LOCK_EX) !== 0) {
      const errno = koffi.errno();
      throw new SystemError(`locking ${object.label} for initialisation failed: ${errnoName(errno)}`, errno, 'flock');
    }
  }

  unlockCreation(object: SharedObject): void {
    this.libc.flock(object.handle as number, LOCK_UN);
  }

  isCreationLocked(object: SharedObject): boolean {
    const fd = object.handle as number;
    if (this.libc.flock(fd, LOCK_SH | LOCK_NB) === 0) {
      this.libc.flock(fd, LOCK_UN);
      return false;
    }
    return true;
  }

  /**
   * posix_fallocate extends the file to at least `to` and allocates every page below it: on a
   * full tmpfs it fails with ENOSPC here, where a later touch would have been SIGBUS. It
   * never shrinks the file (ftruncate would, if another process had grown it further).
   */
  growObject(object: SharedObject, _mapping: Mapping, from: number, to: number): void {
    if (to <= from) return;
    const rc = growFailure ?? (this.libc.posixFallocate(object.handle as number, from, to - from) as number);
    if (rc !== 0) throw translateOsError(errnoName(rc), rc, `growing ${object.label} to ${to} bytes`, object.label, 'posix_fallocate');
  }

  map(object: SharedObject, length: number): Mapping {
    const prot = object.readonly ? PROT_READ : PROT_READ | PROT_WRITE;
    const pointer = this.libc.mmap(null, length, prot, MAP_SHARED, object.handle as number, 0) as bigint;
    if (pointer === MAP_FAILED || pointer === null) {
      const errno = koffi.errno();
      throw translateOsError(errnoName(errno), errno, `mapping ${object.label}`, object.label, 'mmap');
    }
    return this.views.track({ address: BigInt(pointer), length, buffer: koffi.view(pointer, length), readonly: object.readonly });
  }

  view(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    return this.views.view(mapping, offset, length);
  }

  /** Shared anonymous memory: process-local words that futex can wait on (control words). */
  mapAnonymous(length: number): Mapping {
    const pointer = this.libc.mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) as bigint;
    if (pointer === MAP_FAILED || pointer === null) {
      const errno = koffi.errno();
      throw new SystemError(`mapping ${length} anonymous bytes failed: ${errnoName(errno)}`, errno, 'mmap');
    }
    return this.views.track({ address: BigInt(pointer), length, buffer: koffi.view(pointer, length), readonly: false });
  }

  unmap(mapping: Mapping): void {
    const state = this.views.retire(mapping);
    if (!state) return; // unknown, already unmapped, or freed at once for want of views
    // Swap the shared pages for private zero pages at the same address: the section's memory
    // is let go now, and a stale ArrayBuffer in user code reads zeros instead of faulting.
    // The address range itself goes back to the OS when the last view is collected.
    // If the swap fails the shared pages simply stay mapped until the last view is collected:
    // unmapping them now would leave stale views pointing at nothing.
    // MAP_NORESERVE: a namespace's mapping is its whole reserve (1 GiB by default); zero pages
    // nobody writes must not be charged to the commit limit (vm.overcommit_memory=2).
    this.libc.mmap(state.address, state.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }

  flush(mapping: Mapping): void {
    if (this.libc.msync(mapping.address, mapping.length, MS_SYNC) !== 0) {
      const errno = koffi.errno();
      throw new SystemError(`msync failed: ${errnoName(errno)}`, errno, 'msync');
    }
  }

  wait(address: bigint, expected: number, timeoutMs: number): WaitResult {
    const rc = this.libc.futexCall(this.syscalls.futex, address, FUTEX_WAIT, expected >>> 0, relativeTimespec(timeoutMs), 0, 0) as number;
    if (rc === 0) return 'ok';
    const errno = koffi.errno();
    if (errno === ETIMEDOUT) return 'timed-out';
    if (errno === EAGAIN) return 'not-equal';
    if (errno === EINTR) return 'ok'; // a signal: spurious return, the caller re-checks
    throw new SystemError(`futex wait failed: ${errnoName(errno)}`, errno, 'futex');
  }

  wake(address: bigint, count: number): number {
    const rc = this.libc.futexCall(this.syscalls.futex, address, FUTEX_WAKE, Math.min(count, 0x7fffffff), null, 0, 0) as number;
    return rc < 0 ? 0 : rc;
  }

  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void> {
    if (words.length === 0 || words.length > FUTEX_WAITV_MAX) {
      throw new InvalidArgValueError(`waitAnyAsync watches 1 to ${FUTEX_WAITV_MAX} words, got ${words.length}`);
    }
    if (!this.waitvSupported || words.length === 1) {
      // One word (or a kernel older than 5.16): a plain futex wait on the first word.
      return this.waitOneAsync(words[0]!, timeoutMs);
    }
    // The array must outlive the call: koffi copies scalar arguments, not the memory behind
    // a raw address, so it is allocated here and released in the callback.
    const bytes = words.length * FUTEX_WAITV_ENTRY_SIZE;
    const array = koffi.alloc('uint8_t', bytes);
    const view = new DataView(koffi.view(array, bytes));
    words.forEach((word, i) => {
      const at = i * FUTEX_WAITV_ENTRY_SIZE;
      view.setBigUint64(at, BigInt(word.expected >>> 0), true);
      view.setBigUint64(at + 8, word.address, true);
      view.setUint32(at + 16, FUTEX2_SIZE_U32, true);
      view.setUint32(at + 20, 0, true);
    });
    const deadline = this.absoluteDeadline(timeoutMs);
    return new Promise((resolve, reject) => {
      this.libc.futexWaitvCall.async(
        this.syscalls.futexWaitv, koffi.address(array), words.length, 0, deadline, CLOCK_MONOTONIC,
        (error: unknown, rc: number) => {
          koffi.free(array);
          if (error) return reject(error);
          // -ENOSYS surfaces as -1; errno is not readable across threads, so a failed call
          // is retried once through the one-word path, which tells us about ENOSYS for sure.
          if (rc === -1 && this.waitvSupported && !this.probeWaitv()) {
            this.waitvSupported = false;
          }
          resolve();
        },
      );
    });
  }

  private waitOneAsync(word: WatchedWord, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.libc.futexCall.async(
        this.syscalls.futex, word.address, FUTEX_WAIT, word.expected >>> 0, relativeTimespec(timeoutMs), 0, 0,
        (error: unknown) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** futex_waitv with zero futexes fails with EINVAL where it exists, ENOSYS where it does not. */
  private probeWaitv(): boolean {
    this.libc.futexWaitvCall(this.syscalls.futexWaitv, 0n, 0, 0, null, CLOCK_MONOTONIC);
    return koffi.errno() !== ENOSYS;
  }

  private absoluteDeadline(timeoutMs: number): { tv_sec: number; tv_nsec: number } | null {
    if (timeoutMs === Infinity) return null;
    const now = { tv_sec: 0, tv_nsec: 0 };
    this.libc.clockGettime(CLOCK_MONOTONIC, now);
    const totalNs = Number(now.tv_nsec) + Math.max(0, timeoutMs) * 1e6;
    const carry = Math.floor(totalNs / 1e9);
    return { tv_sec: Number(now.tv_sec) + carry, tv_nsec: Math.floor(totalNs - carry * 1e9) };
  }

  processStartTime(pid: number): number {
    return readStartTime(pid);
  }

  /**
   * inotify on the object's inode, through /proc/self/fd so that an unlinked section is still
   * watched. libuv reads the inotify descriptor on the event loop: no pool thread, no CPU.
   */
  watchObject(object: SharedObject, onChange: () => void, onError: (error: Error) => void): { close(): void } | undefined {
    try {
      const watcher = fs.watch(`/proc/self/fd/${object.handle as number}`, { persistent: true }, () => onChange());
      watcher.on('error', onError);
      return watcher;
    } catch {
      return undefined; // out of inotify watches (fs.inotify.max_user_watches), say: poll
    }
  }

  /** pwrite(2) of one zero byte: an IN_MODIFY event for every watchObject on the inode. */
  pokeObject(object: SharedObject, offset: number): void {
    try {
      fs.writeSync(object.handle as number, ZERO_BYTE, 0, 1, offset);
    } catch {
      // A read-only descriptor or a vanished object: nobody to wake through it.
    }
  }
}

const ZERO_BYTE = new Uint8Array(1);

/**
 * Test hook: SHMKIT_TEST_GROW_ERRNO=28 makes every growObject fail with that errno (28 is
 * ENOSPC), for machines where a small tmpfs cannot be mounted.
 */
const growFailure = Number(process.env['SHMKIT_TEST_GROW_ERRNO'] ?? 0) || undefined;

export function createLinuxPlatform(): Platform {
  return new LinuxPlatform();
}
