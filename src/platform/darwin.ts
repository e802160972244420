/**
 * macOS backend: POSIX shared memory through shm_open (libSystem), files for file-backed
 * sections, mmap through koffi, __ulock_wait/__ulock_wake for cross-process waits.
 *
 * macOS shm objects live outside the filesystem (there is no /dev/shm): they are opened,
 * sized and unlinked through koffi, cannot be listed, and cannot be flock'ed. File-backed
 * sections go through node:fs exactly as on Linux.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import koffi from 'koffi';
import { InvalidArgValueError, NoSpaceError, SystemError, UnsafePathError, type ShmkitError } from '../errors.js';
import { translateFsError, translateOsError } from './errno.js';
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
import { ViewTracker } from './view-tracker.js';

export const OBJECT_PREFIX = 'shmkit.';
/**
 * Where the creation-lock files of memory-backed sections live. /tmp rather than $TMPDIR:
 * $TMPDIR is per user (and per sandbox), and every process that opens a section must find
 * the same lock file, or an opener would take a live creator for a dead one.
 */
export const LOCK_DIRECTORY = '/tmp';

// macOS values (sys/fcntl.h, sys/mman.h, sys/file.h, unistd.h); several differ from Linux.
const O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x200, O_EXCL = 0x800, O_CLOEXEC = 0x100_0000;
const PROT_READ = 1, PROT_WRITE = 2;
const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANON = 0x1000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const MS_SYNC = 0x10;
const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
const SC_PAGESIZE = 29;
const EPERM = 1, ENOENT = 2, EINTR = 4, EINVAL = 22, EWOULDBLOCK = 35, ETIMEDOUT = 60;
// sys/ulock.h. Not UL_COMPARE_AND_WAIT: the word is shared between processes. With
// ULF_NO_ERRNO failures come back as -errno, which an async call can read too.
const UL_COMPARE_AND_WAIT_SHARED = 3, ULF_WAKE_ALL = 0x100, ULF_NO_ERRNO = 0x100_0000;
const MAX_ULOCK_TIMEOUT_US = 0xffff_ffff;
const MAX_WATCHED_WORDS = 128;
/** isCreationLocked holds LOCK_SH for an instant: a creator retries that long, not more. */
const LOCK_TAKE_TIMEOUT_MS = 100;
/** With several words, only the first one is waited on in the kernel; the others are polled. */
const WAIT_ANY_SLICE_MS = 50;
/**
 * PSHMNAMLEN is 31, but kernels before the rewrite of posix_shm.c counted the NUL in it:
 * keeping '/' + name within 30 characters works on both.
 */
const MAX_OS_NAME_LENGTH = 30;
// struct proc_bsdinfo (sys/proc_info.h): twelve 32-bit ids, pbi_comm[16], pbi_name[32], six
// 32-bit fields, then the two 64-bit start-time fields: 136 bytes.
const PROC_PIDTBSDINFO = 3, PROC_BSDINFO_SIZE = 136, SZOMB = 5;
const PBI_STATUS_OFFSET = 4, PBI_START_TVSEC_OFFSET = 120, PBI_START_TVUSEC_OFFSET = 128;

/** sys/errno.h, for messages and errno.ts's switch. */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 9: 'EBADF', 12: 'ENOMEM', 13: 'EACCES',
  14: 'EFAULT', 17: 'EEXIST', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 27: 'EFBIG',
  28: 'ENOSPC', 35: 'EAGAIN', 45: 'ENOTSUP', 60: 'ETIMEDOUT', 62: 'ELOOP', 63: 'ENAMETOOLONG',
  78: 'ENOSYS', 102: 'EOPNOTSUPP',
};

function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

function noSpace(what: string, code: string, cause?: unknown): NoSpaceError {
  return new NoSpaceError(
    `${what}: not enough memory (${code}); free memory or swap space, or ask for a smaller size`,
    cause === undefined ? undefined : { cause },
  );
}

/** For koffi calls on memory-backed objects: errno number to typed error. */
function translateErrno(errno: number, what: string, name: string, syscall: string): ShmkitError {
  const code = errnoName(errno);
  if (code === 'ENOMEM' || code === 'ENOSPC') return noSpace(what, code);
  return translateOsError(code, errno, what, name, syscall);
}

/** For node:fs calls on a shm descriptor: errno.ts would point at /dev/shm, absent here. */
function translateShmFsError(error: unknown, what: string, name: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOMEM' || code === 'ENOSPC') return noSpace(what, code, error);
  return translateFsError(error, what, name);
}

/** Binds libSystem lazily: this module is imported on every OS, but only called on macOS. */
function bindLibSystem() {
  const lib = koffi.load('/usr/lib/libSystem.B.dylib');
  return {
    // shm_open is variadic; the mode follows only with O_CREAT. Apple's arm64 ABI passes
    // variadic arguments on the stack, not in registers, so a fixed `int mode` parameter would
    // hand the kernel garbage there: it is declared variadic and called with ('int', mode).
    shmOpen: lib.func('int shm_open(const char *name, int oflag, ...)'),
    shmUnlink: lib.func('int shm_unlink(const char *name)'),
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    msync: lib.func('int msync(void *addr, size_t length, int flags)'),
    flock: lib.func('int flock(int fd, int operation)'),
    sysconf: lib.func('long sysconf(int name)'),
    // Private but stable since macOS 10.12 (libc++ and Chromium use them). The public
    // os_sync_wait_on_address needs macOS 14.4, newer than what Node 20 supports.
    ulockWait: lib.func('int __ulock_wait(uint32_t operation, void *addr, uint64_t value, uint32_t timeout_us)'),
    ulockWake: lib.func('int __ulock_wake(uint32_t operation, void *addr, uint64_t wake_value)'),
    procPidinfo: lib.func('int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize)'),
  };
}
type LibSystem = ReturnType<typeof bindLibSystem>;

/** What this backend hands out: the descriptor plus the creation-lock state. */
interface DarwinObject extends SharedObject {
  readonly handle: number;
  /** Memory-backed: the lock file that flock works on (shm descriptors have no vnode). */
  readonly lockPath: string | null;
  /** The descriptor the creation lock is held on, while this process holds it. */
  lockFd: number | null;
}

/** Every SharedObject this backend receives is one it made. */
function own(object: SharedObject): DarwinObject {
  return object as DarwinObject;
}

function describe(location: ObjectLocation): string {
  return location.file ? `section '${location.name}' (file ${location.file})` : `section '${location.name}'`;
}

function toMicroseconds(ms: number): number {
  return Math.min(MAX_ULOCK_TIMEOUT_US, Math.max(1, Math.ceil(ms * 1000)));
}

class DarwinPlatform implements Platform {
  readonly name = 'darwin';
  readonly pageSize: number;
  /** macOS has no call that enumerates shm objects (no /dev/shm, no sysctl): nothing to list. */
  readonly canList = false;
  readonly maxWatchedWords = MAX_WATCHED_WORDS;
  readonly currentProcess: ProcessIdentity;
  private readonly lib: LibSystem;
  private readonly views = new ViewTracker((state) => this.lib.munmap(state.address, state.length));

  constructor() {
    this.lib = bindLibSystem();
    this.pageSize = Number(this.lib.sysconf(SC_PAGESIZE)) || 16384;
    this.currentProcess = { pid: process.pid, startTime: this.processStartTime(process.pid) };
  }

  /**
   * '/shmkit.<name>', or, when that is too long for the kernel, '/shmkit.' + the first 8
   * characters + '.' + 12 hex digits of the name's SHA-256 (the full name is in the header).
   */
  objectName(name: string): string {
    const full = `/${OBJECT_PREFIX}${name}`;
    if (full.length <= MAX_OS_NAME_LENGTH) return full;
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
    return `/${OBJECT_PREFIX}${name.slice(0, 8)}.${hash}`;
  }

  createObject(request: CreateRequest): SharedObject {
    return request.file ? this.createFile(request, request.file) : this.createMemory(request);
  }

  private createMemory(request: CreateRequest): DarwinObject {
    const osName = this.objectName(request.name);
    const what = `creating ${describe(request)}`;
    // The kernel stores mode & ALLPERMS without applying the umask (xnu posix_shm.c), which is
    // just as well: fchmod fails on shm descriptors.
    const fd = this.lib.shmOpen(osName, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 'int', request.mode) as number;
    if (fd < 0) throw translateErrno(koffi.errno(), what, request.name, 'shm_open');
    const object: DarwinObject = { handle: fd, label: osName, readonly: false, lockPath: this.lockPathFor(osName), lockFd: null };
    try {
      // Locked from the start: touching a large section takes longer than an opener waits
      // for an unfinished section whose lock is free before calling it abandoned.
      this.lockCreation(object);
      fs.ftruncateSync(fd, request.size); // the one sizing a shm object allows
      this.touchPages(fd, request.size, what, request.name);
    } catch (error) {
      try { this.closeObject(object); } catch { /* already failing */ }
      this.lib.shmUnlink(osName);
      try { fs.unlinkSync(object.lockPath!); } catch { /* already failing */ }
      throw translateShmFsError(error, what, request.name);
    }
    return object;
  }

  /**
   * Best-effort commit. macOS has no posix_fallocate for shm: ftruncate makes anonymous VM
   * objects of the full size whose pages appear on first touch. Unlike a tmpfs, anonymous
   * memory cannot run out at fault time: the kernel compresses, swaps (swap files grow on
   * demand) or kills processes under pressure, so touching a page never raises SIGBUS and
   * nothing here needs catching. Writing one zero per page pays the zero-fill now, so a
   * section that cannot fit makes the system page at create rather than in the middle of
   * the user's work.
   */
  private touchPages(fd: number, size: number, what: string, name: string): void {
    const pointer = this.lib.mmap(null, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) as bigint | null;
    if (pointer === null || pointer === MAP_FAILED) throw translateErrno(koffi.errno(), what, name, 'mmap');
    const bytes = new Uint8Array(koffi.view(pointer, size));
    for (let offset = 0; offset < size; offset += this.pageSize) bytes[offset] = 0;
    this.lib.munmap(pointer, size);
  }

  private createFile(request: CreateRequest, file: string): DarwinObject {
    const what = `creating ${describe(request)}`;
    const { O_CREAT: CREAT, O_EXCL: EXCL, O_RDWR: RDWR, O_NOFOLLOW } = fs.constants;
    let fd: number;
    try {
      fd = fs.openSync(file, CREAT | EXCL | RDWR | O_NOFOLLOW, request.mode);
    } catch (error) {
      throw translateFsError(error, what, request.name);
    }
    const object: DarwinObject = { handle: fd, label: file, readonly: false, lockPath: null, lockFd: null };
    try {
      fs.fchmodSync(fd, request.mode); // the umask must not widen or narrow what was asked
      this.lockCreation(object); // before the slow part, as for memory-backed sections
      // No posix_fallocate on macOS: writing the zeros makes the filesystem allocate every
      // block now, so a full disk fails here with ENOSPC. ftruncate alone would leave a sparse
      // file whose blocks are allocated at write-back, where a failure goes unnoticed.
      const zeros = Buffer.alloc(Math.min(request.size, 1 << 20));
      for (let offset = 0; offset < request.size;) {
        offset += fs.writeSync(fd, zeros, 0, Math.min(zeros.length, request.size - offset), offset);
      }
    } catch (error) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
      try { fs.unlinkSync(file); } catch { /* already failing */ }
      throw translateFsError(error, what, request.name);
    }
    return object;
  }

  openObject(request: OpenRequest): SharedObject {
    const what = `opening ${describe(request)}`;
    if (!request.file) {
      const osName = this.objectName(request.name);
      const fd = this.lib.shmOpen(osName, (request.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC) as number;
      if (fd < 0) throw translateErrno(koffi.errno(), what, request.name, 'shm_open');
      return { handle: fd, label: osName, readonly: request.readonly, lockPath: this.lockPathFor(osName), lockFd: null } as DarwinObject;
    }
    const file = request.file;
    const { O_RDONLY: RDONLY, O_RDWR: RDWR, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO in the section's place must not block open(2); refused below.
      fd = fs.openSync(file, (request.readonly ? RDONLY : RDWR) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (error) {
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
      throw new UnsafePathError(`${what}: ${file} is not a regular file (owned by user ${stat.uid}), so not a shmkit section; shmkit refuses to open it`);
    }
    return { handle: fd, label: file, readonly: request.readonly, lockPath: null, lockFd: null } as DarwinObject;
  }

  statObject(object: SharedObject): ObjectStat {
    // fstat works on shm descriptors; their st_mode carries the permission bits only (no S_IFREG).
    const stat = fs.fstatSync(object.handle as number);
    return { size: stat.size, uid: stat.uid, mode: stat.mode & 0o7777 };
  }

  closeObject(object: SharedObject): void {
    const o = own(object);
    if (o.lockFd !== null && o.lockFd !== o.handle) fs.closeSync(o.lockFd); // releases the flock
    o.lockFd = null;
    fs.closeSync(o.handle);
  }

  unlinkObject(location: ObjectLocation): boolean {
    const what = `removing ${describe(location)}`;
    if (location.file) {
      try {
        fs.unlinkSync(location.file);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw translateFsError(error, what, location.name);
      }
    }
    const osName = this.objectName(location.name);
    const rc = this.lib.shmUnlink(osName) as number;
    const errno = rc === 0 ? 0 : koffi.errno();
    // Old kernels answer EINVAL, not ENOENT, for a name that was never created.
    const missing = errno === ENOENT || errno === EINVAL;
    if (rc !== 0 && !missing) throw translateErrno(errno, what, location.name, 'shm_unlink');
    try { fs.unlinkSync(this.lockPathFor(osName)); } catch { /* never locked, or already gone */ }
    return rc === 0;
  }

  /** Always empty: see canList. */
  listObjects(): string[] {
    return [];
  }

  /**
   * flock needs a vnode and fails with ENOTSUP on shm descriptors, so memory-backed sections
   * lock a companion file in LOCK_DIRECTORY instead; file-backed sections lock their file, as
   * on Linux. Either way the lock dies with its process. The lock file stays until
   * unlinkObject: deleting it at unlock would let a late opener lock an orphaned inode.
   */
  lockCreation(object: SharedObject): void {
    const o = own(object);
    if (o.lockFd !== null) return; // createObject takes it already
    const what = `locking ${o.label} for initialisation`;
    let fd = o.handle;
    if (o.lockPath !== null) {
      const mode = this.statObject(o).mode; // whoever may open the section must read the lock
      try {
        fd = fs.openSync(o.lockPath, fs.constants.O_CREAT | fs.constants.O_RDWR | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, mode);
      } catch (error) {
        throw translateFsError(error, what, o.label);
      }
      try { fs.fchmodSync(fd, mode); } catch { /* another user's file: its owner chose the mode */ }
    }
    const deadline = performance.now() + LOCK_TAKE_TIMEOUT_MS;
    while (this.lib.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const errno = koffi.errno();
      if (errno === EWOULDBLOCK && performance.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // sleep 1 ms
        continue;
      }
      if (fd !== o.handle) fs.closeSync(fd);
      throw new SystemError(`${what} failed: ${errnoName(errno)}`, errno, 'flock');
    }
    o.lockFd = fd;
  }

  unlockCreation(object: SharedObject): void {
    const o = own(object);
    if (o.lockFd === null) return;
    this.lib.flock(o.lockFd, LOCK_UN);
    if (o.lockFd !== o.handle) fs.closeSync(o.lockFd);
    o.lockFd = null;
  }

  isCreationLocked(object: SharedObject): boolean {
    const o = own(object);
    // Ours: probing with LOCK_SH on the same descriptor would convert the lock, then drop it.
    if (o.lockFd !== null) return true;
    if (o.lockPath === null) return !this.probeUnlocked(o.handle);
    let fd: number;
    try {
      fd = fs.openSync(o.lockPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // nobody ever locked it
      throw translateFsError(error, `checking the initialisation lock of ${o.label}`, o.label);
    }
    try {
      return !this.probeUnlocked(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private probeUnlocked(fd: number): boolean {
    if (this.lib.flock(fd, LOCK_SH | LOCK_NB) !== 0) return false;
    this.lib.flock(fd, LOCK_UN);
    return true;
  }

  map(object: SharedObject, length: number): Mapping {
    const prot = object.readonly ? PROT_READ : PROT_READ | PROT_WRITE;
    const pointer = this.lib.mmap(null, length, prot, MAP_SHARED, object.handle as number, 0) as bigint | null;
    if (pointer === null || pointer === MAP_FAILED) {
      throw translateErrno(koffi.errno(), `mapping ${object.label}`, object.label, 'mmap');
    }
    return this.views.track({ address: BigInt(pointer), length, buffer: koffi.view(pointer, length), readonly: object.readonly });
  }

  view(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    return this.views.view(mapping, offset, length);
  }

  /** Shared anonymous memory: process-local words that ulock can wait on (control words). */
  mapAnonymous(length: number): Mapping {
    const pointer = this.lib.mmap(null, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0) as bigint | null;
    if (pointer === null || pointer === MAP_FAILED) {
      const errno = koffi.errno();
      throw new SystemError(`mapping ${length} anonymous bytes failed: ${errnoName(errno)}`, errno, 'mmap');
    }
    return this.views.track({ address: BigInt(pointer), length, buffer: koffi.view(pointer, length), readonly: false });
  }

  unmap(mapping: Mapping): void {
    const state = this.views.retire(mapping);
    if (!state) return; // unknown, already unmapped, or freed at once for want of views
    // As on Linux: private zero pages replace the shared ones at the same address (MAP_FIXED
    // replaces atomically), so the section is let go now and a stale ArrayBuffer reads zeros
    // instead of faulting. The range goes back to the OS when the last view is collected.
    // If the swap fails the shared pages stay mapped until the last view is collected:
    // unmapping them now would leave stale views pointing at nothing.
    this.lib.mmap(state.address, state.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANON, -1, 0);
  }

  flush(mapping: Mapping): void {
    if (this.lib.msync(mapping.address, mapping.length, MS_SYNC) !== 0) {
      const errno = koffi.errno();
      throw new SystemError(`msync failed: ${errnoName(errno)}`, errno, 'msync');
    }
  }

  /**
   * ulock returns success both on a wake and when the word no longer matched, and treats a
   * timeout of 0 as "forever": the word is compared here first, which gives 'not-equal' its
   * meaning and lets a 0 ms wait return without blocking.
   */
  wait(address: bigint, expected: number, timeoutMs: number): WaitResult {
    if (this.readWord(address) !== expected >>> 0) return 'not-equal';
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return 'timed-out';
      const timeoutUs = remaining === Infinity ? 0 : toMicroseconds(remaining);
      const rc = this.lib.ulockWait(UL_COMPARE_AND_WAIT_SHARED | ULF_NO_ERRNO, address, expected >>> 0, timeoutUs) as number;
      if (rc >= 0 || rc === -EINTR) return 'ok'; // a wake, a change, or a signal: the caller re-checks
      if (rc !== -ETIMEDOUT) throw new SystemError(`__ulock_wait failed: ${errnoName(-rc)}`, -rc, '__ulock_wait');
      // A slice capped at 2^32-1 µs ran out: loop until the real deadline.
    }
  }

  /** ulock cannot count whom it woke: 1 means "someone was waiting", 0 "nobody". */
  wake(address: bigint, count: number): number {
    if (count <= 0) return 0;
    const operation = UL_COMPARE_AND_WAIT_SHARED | ULF_NO_ERRNO | (count > 1 ? ULF_WAKE_ALL : 0);
    const rc = this.lib.ulockWake(operation, address, 0) as number;
    return rc >= 0 ? 1 : 0; // -ENOENT: no waiter
  }

  /**
   * macOS has no multi-word wait. The kernel waits on the first word only, in slices of at
   * most WAIT_ANY_SLICE_MS when there are several words; between slices the other words are
   * compared with their expected values. So a change or wake on the first word is seen at
   * once, one on another word within 50 ms. Callers re-check their words anyway, and must not
   * unmap a watched word while the call is pending (it is read directly).
   */
  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void> {
    if (words.length === 0 || words.length > MAX_WATCHED_WORDS) {
      throw new InvalidArgValueError(`waitAnyAsync watches 1 to ${MAX_WATCHED_WORDS} words, got ${words.length}`);
    }
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + Math.max(0, timeoutMs);
    return this.waitAnyLoop(words, deadline);
  }

  private async waitAnyLoop(words: readonly WatchedWord[], deadline: number): Promise<void> {
    const first = words[0]!;
    const slice = words.length === 1 ? Infinity : WAIT_ANY_SLICE_MS;
    for (;;) {
      if (words.some((word) => this.readWord(word.address) !== word.expected >>> 0)) return;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return;
      const ms = Math.min(remaining, slice);
      const rc = await this.ulockWaitAsync(first.address, first.expected >>> 0, ms === Infinity ? 0 : toMicroseconds(ms));
      if (rc >= 0) return;
      if (rc !== -ETIMEDOUT && rc !== -EINTR) {
        throw new SystemError(`__ulock_wait failed: ${errnoName(-rc)}`, -rc, '__ulock_wait');
      }
    }
  }

  private ulockWaitAsync(address: bigint, expected: number, timeoutUs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.lib.ulockWait.async(
        UL_COMPARE_AND_WAIT_SHARED | ULF_NO_ERRNO, address, expected, timeoutUs,
        (error: unknown, rc: number) => (error ? reject(error) : resolve(rc)),
      );
    });
  }

  /** An aligned 32-bit load: one instruction on x64 and arm64, so never a torn value. */
  private readWord(address: bigint): number {
    return koffi.decode(address, 'uint32_t') as number;
  }

  processStartTime(pid: number): number {
    if (!Number.isInteger(pid) || pid <= 0) return 0;
    const info = Buffer.alloc(PROC_BSDINFO_SIZE);
    const rc = this.lib.procPidinfo(pid, PROC_PIDTBSDINFO, 0, info, info.length) as number;
    if (rc <= 0) return koffi.errno() === EPERM ? 1 : 0; // EPERM: it exists, we may not look
    if (rc < PROC_BSDINFO_SIZE) return 1; // another layout: alive, start time unknown
    if (info.readUInt32LE(PBI_STATUS_OFFSET) === SZOMB) return 0; // exited, waiting to be reaped
    const seconds = Number(info.readBigUInt64LE(PBI_START_TVSEC_OFFSET));
    const micros = Number(info.readBigUInt64LE(PBI_START_TVUSEC_OFFSET));
    const startTime = seconds * 1e6 + micros; // µs since 1970: < 2^53 until the year 2255
    return startTime > 0 ? startTime : 1;
  }

  private lockPathFor(osName: string): string {
    return `${LOCK_DIRECTORY}/${osName.slice(1)}.lock`;
  }
}

export function createDarwinPlatform(): Platform {
  return new DarwinPlatform();
}
