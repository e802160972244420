/**
 * Windows backend: named file mappings backed by the paging file ('Local\shmkit.<name>'),
 * files for file-backed sections, views through MapViewOfFile, all through kernel32 and koffi.
 *
 * Differences from POSIX that shape this file: a named mapping lives exactly as long as some
 * handle or view on it (there is no unlink), WaitOnAddress cannot wake another process, and
 * there is no flock on a mapping (a named mutex, which is abandoned when its owner dies, plays
 * the creation lock).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import koffi from 'koffi';
import {
  IncompatibleSectionError,
  InvalidArgValueError,
  NoSpaceError,
  PermissionError,
  SectionExistsError,
  SystemError,
  type ShmkitError,
} from '../errors.js';
import { translateOsError } from './errno.js';
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

export const OBJECT_PREFIX = 'Local\\shmkit.';
/**
 * Creation mutexes. Not 'Local\shmkit.<name>.init': mutexes and mappings share one namespace,
 * and that would be the mapping of a section called '<name>.init'.
 */
export const LOCK_PREFIX = 'Local\\shmkit-init.';

const PAGE_READONLY = 0x02, PAGE_READWRITE = 0x04, SEC_COMMIT = 0x800_0000;
const FILE_MAP_WRITE = 0x2, FILE_MAP_READ = 0x4;
const GENERIC_READ = 0x8000_0000, GENERIC_WRITE = 0x4000_0000;
const FILE_SHARE_ALL = 0x1 | 0x2 | 0x4; // read, write, delete: every process maps the same file
const CREATE_NEW = 1, OPEN_EXISTING = 3;
const FILE_ATTRIBUTE_NORMAL = 0x80, FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
const FILE_FLAG_OPEN_REPARSE_POINT = 0x20_0000; // open a link itself, never what it points to
const SYNCHRONIZE = 0x10_0000, MUTEX_MODIFY_STATE = 0x1; // ReleaseMutex needs the latter
const WAIT_OBJECT_0 = 0, WAIT_ABANDONED = 0x80, WAIT_TIMEOUT = 0x102;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000, STILL_ACTIVE = 259;
const ERROR_FILE_NOT_FOUND = 2, ERROR_PATH_NOT_FOUND = 3, ERROR_ACCESS_DENIED = 5;
const ERROR_ALREADY_EXISTS = 183, ERROR_FILE_INVALID = 1006;
/** Windows pages are 4 KiB; views start on 64 KiB boundaries, but we only map at offset 0. */
const PAGE_SIZE = 4096;
const MAX_WATCHED_WORDS = 128;
const SPIN_CHECKS = 100;
/** isCreationLocked owns the mutex for an instant: a creator waits that long, not more. */
const LOCK_TAKE_TIMEOUT_MS = 100;
const POLL_INTERVAL_MS = 1;
const BY_HANDLE_FILE_INFORMATION_SIZE = 52; // dwFileAttributes first

/** Win32 error codes: symbolic name, and the errno whose typed error fits. */
const WINDOWS_ERRORS: Record<number, readonly [string, string?]> = {
  2: ['ERROR_FILE_NOT_FOUND', 'ENOENT'], 3: ['ERROR_PATH_NOT_FOUND', 'ENOENT'],
  5: ['ERROR_ACCESS_DENIED', 'EACCES'], 6: ['ERROR_INVALID_HANDLE'], 8: ['ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM'],
  14: ['ERROR_OUTOFMEMORY', 'ENOMEM'], 32: ['ERROR_SHARING_VIOLATION'], 39: ['ERROR_HANDLE_DISK_FULL', 'ENOSPC'],
  80: ['ERROR_FILE_EXISTS', 'EEXIST'], 87: ['ERROR_INVALID_PARAMETER'], 112: ['ERROR_DISK_FULL', 'ENOSPC'],
  123: ['ERROR_INVALID_NAME'], 183: ['ERROR_ALREADY_EXISTS', 'EEXIST'],
  206: ['ERROR_FILENAME_EXCED_RANGE', 'ENAMETOOLONG'], 1006: ['ERROR_FILE_INVALID'],
  1455: ['ERROR_COMMITMENT_LIMIT', 'ENOMEM'], 1816: ['ERROR_NOT_ENOUGH_QUOTA', 'ENOMEM'],
};

function translateWinError(code: number, what: string, name: string, call: string): ShmkitError {
  const [symbol, errno] = WINDOWS_ERRORS[code] ?? [`Windows error ${code}`];
  if (errno === 'ENOMEM' || errno === 'ENOSPC') {
    return new NoSpaceError(
      `${what}: not enough space (${symbol}); free memory or enlarge the paging file (memory-backed), ` +
        'free disk space (file-backed), or ask for a smaller size',
    );
  }
  return translateOsError(errno ?? symbol, code, what, name, call);
}

/** Binds kernel32 lazily: this module is imported on every OS, but only called on Windows. */
function bindKernel32() {
  const k = koffi.load('kernel32.dll');
  // HANDLEs and pointers are 'void *' (BigInt, or null for NULL); BOOL is int; LPCWSTR is str16.
  // __stdcall matters on 32-bit Windows only and is ignored elsewhere.
  return {
    invalidHandle: (1n << BigInt(8 * koffi.sizeof('void *'))) - 1n, // INVALID_HANDLE_VALUE as returned
    pointerSize: koffi.sizeof('void *'),
    getLastError: k.func('uint32_t __stdcall GetLastError()'),
    closeHandle: k.func('int __stdcall CloseHandle(void *handle)'),
    createFile: k.func('void * __stdcall CreateFileW(str16 path, uint32_t access, uint32_t share, void *security, uint32_t disposition, uint32_t flags, void *template)'),
    deleteFile: k.func('int __stdcall DeleteFileW(str16 path)'),
    getFileInformationByHandle: k.func('int __stdcall GetFileInformationByHandle(void *file, void *info)'),
    getFileSizeEx: k.func('int __stdcall GetFileSizeEx(void *file, void *size)'),
    flushFileBuffers: k.func('int __stdcall FlushFileBuffers(void *file)'),
    createFileMapping: k.func('void * __stdcall CreateFileMappingW(void *file, void *security, uint32_t protect, uint32_t sizeHigh, uint32_t sizeLow, str16 name)'),
    openFileMapping: k.func('void * __stdcall OpenFileMappingW(uint32_t access, int inherit, str16 name)'),
    mapViewOfFile: k.func('void * __stdcall MapViewOfFile(void *mapping, uint32_t access, uint32_t offsetHigh, uint32_t offsetLow, size_t length)'),
    unmapViewOfFile: k.func('int __stdcall UnmapViewOfFile(void *address)'),
    flushViewOfFile: k.func('int __stdcall FlushViewOfFile(void *address, size_t length)'),
    virtualQuery: k.func('size_t __stdcall VirtualQuery(void *address, void *info, size_t length)'),
    createMutex: k.func('void * __stdcall CreateMutexW(void *security, int initialOwner, str16 name)'),
    openMutex: k.func('void * __stdcall OpenMutexW(uint32_t access, int inherit, str16 name)'),
    releaseMutex: k.func('int __stdcall ReleaseMutex(void *mutex)'),
    waitForSingleObject: k.func('uint32_t __stdcall WaitForSingleObject(void *handle, uint32_t milliseconds)'),
    sleep: k.func('void __stdcall Sleep(uint32_t milliseconds)'),
    openProcess: k.func('void * __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'),
    getProcessTimes: k.func('int __stdcall GetProcessTimes(void *process, void *creation, void *exit, void *kernel, void *user)'),
    getExitCodeProcess: k.func('int __stdcall GetExitCodeProcess(void *process, void *code)'),
  };
}
type Kernel32 = ReturnType<typeof bindKernel32>;

/** What this backend hands out: `handle` is the mapping; the rest is for flush, stat and locks. */
interface WindowsObject extends SharedObject {
  readonly handle: bigint;
  /** File-backed: the file's HANDLE, kept for GetFileSizeEx and FlushFileBuffers. */
  fileHandle: bigint | null;
  readonly lockName: string;
  /** The creation mutex, while this process (this thread: mutexes are per thread) holds it. */
  mutex: bigint | null;
}

/** Kept per view beside the count: flush needs the file behind it (null: paging file, anonymous). */
interface ViewOwner {
  readonly owner: WindowsObject | null;
}

/** Every SharedObject this backend receives is one it made. */
function own(object: SharedObject): WindowsObject {
  return object as WindowsObject;
}

function describe(location: ObjectLocation): string {
  return location.file ? `section '${location.name}' (file ${location.file})` : `section '${location.name}'`;
}

/** The \\?\ form lifts MAX_PATH; resolving first lets every process agree on the lock name. */
function filePath(file: string): string {
  return path.toNamespacedPath(path.resolve(file));
}

class WindowsPlatform implements Platform {
  readonly name = 'win32';
  readonly pageSize = PAGE_SIZE;
  /** GetMappedFileName sees only this process's views: other processes' sections are invisible. */
  readonly canList = false;
  readonly maxWatchedWords = MAX_WATCHED_WORDS;
  readonly currentProcess: ProcessIdentity;
  private readonly k: Kernel32;
  private readonly views = new ViewTracker<ViewOwner>((state) => this.k.unmapViewOfFile(state.address));

  constructor() {
    this.k = bindKernel32();
    this.currentProcess = { pid: process.pid, startTime: this.processStartTime(process.pid) };
  }

  objectName(name: string): string {
    return OBJECT_PREFIX + name;
  }

  private lockName(location: ObjectLocation): string {
    if (!location.file) return LOCK_PREFIX + location.name;
    // NTFS names are case-insensitive: 'C:\A' and 'c:\a' are one file, so one lock.
    const digest = createHash('sha256').update(filePath(location.file).toLowerCase()).digest('hex');
    return `${LOCK_PREFIX}file.${digest.slice(0, 32)}`;
  }

  private isInvalid(handle: bigint | null): boolean {
    return handle === null || handle === this.k.invalidHandle;
  }

  createObject(request: CreateRequest): SharedObject {
    const what = `creating ${describe(request)}`;
    const high = Math.floor(request.size / 0x1_0000_0000);
    const low = request.size >>> 0;
    // Windows has no POSIX mode: request.mode is ignored. 'Local\' objects and new files get the
    // creator's default DACL, which other users' processes cannot open.
    if (!request.file) {
      // SEC_COMMIT charges the whole size to the commit limit now, so a request the paging
      // file cannot back fails here with ERROR_COMMITMENT_LIMIT, never at first touch.
      const name = this.objectName(request.name);
      const handle = this.k.createFileMapping(-1, null, PAGE_READWRITE | SEC_COMMIT, high, low, name) as bigint | null;
      const error = this.k.getLastError() as number;
      if (handle === null) throw translateWinError(error, what, request.name, 'CreateFileMappingW');
      if (error === ERROR_ALREADY_EXISTS) { // success, but on the existing mapping
        this.k.closeHandle(handle);
        throw new SectionExistsError(request.name);
      }
      const object: WindowsObject = { handle, label: name, readonly: false, fileHandle: null, lockName: this.lockName(request), mutex: null };
      try {
        this.lockCreation(object); // held from create, as the Platform interface says
      } catch (lockError) {
        this.closeObject(object);
        throw lockError;
      }
      return object;
    }
    const file = filePath(request.file);
    const fileHandle = this.k.createFile(
      file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_ALL, null, CREATE_NEW,
      FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, null,
    ) as bigint | null;
    if (this.isInvalid(fileHandle)) throw translateWinError(this.k.getLastError() as number, what, request.name, 'CreateFileW');
    // Locked before the file grows, which may take long: an opener must not see a full-size,
    // unfinished, unlocked section and call it abandoned.
    const lockName = this.lockName(request);
    let mutex: bigint;
    try {
      mutex = this.acquireMutex(lockName, what);
    } catch (lockError) {
      this.k.closeHandle(fileHandle);
      this.k.deleteFile(file);
      throw lockError;
    }
    // An unnamed mapping: other processes find file-backed sections by path, not by name.
    // Creating it grows the file to `size`; NTFS allocates the clusters of a non-sparse file
    // as its end moves, so a full disk fails here with ERROR_DISK_FULL.
    const handle = this.k.createFileMapping(fileHandle, null, PAGE_READWRITE, high, low, null) as bigint | null;
    if (handle === null) {
      const error = this.k.getLastError() as number;
      this.k.releaseMutex(mutex);
      this.k.closeHandle(mutex);
      this.k.closeHandle(fileHandle);
      this.k.deleteFile(file);
      throw translateWinError(error, what, request.name, 'CreateFileMappingW');
    }
    return { handle, label: request.file, readonly: false, fileHandle, lockName, mutex } as WindowsObject;
  }

  openObject(request: OpenRequest): SharedObject {
    const what = `opening ${describe(request)}`;
    const lockName = this.lockName(request);
    if (!request.file) {
      const name = this.objectName(request.name);
      const access = request.readonly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE;
      const handle = this.k.openFileMapping(access, 0, name) as bigint | null;
      if (handle === null) throw translateWinError(this.k.getLastError() as number, what, request.name, 'OpenFileMappingW');
      return { handle, label: name, readonly: request.readonly, fileHandle: null, lockName, mutex: null } as WindowsObject;
    }
    const access = request.readonly ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE;
    const fileHandle = this.k.createFile(
      filePath(request.file), access, FILE_SHARE_ALL, null, OPEN_EXISTING,
      FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, null,
    ) as bigint | null;
    if (this.isInvalid(fileHandle)) throw translateWinError(this.k.getLastError() as number, what, request.name, 'CreateFileW');
    const abandon = (error: ShmkitError): ShmkitError => {
      this.k.closeHandle(fileHandle);
      return error;
    };
    const info = Buffer.alloc(BY_HANDLE_FILE_INFORMATION_SIZE);
    if (!this.k.getFileInformationByHandle(fileHandle, info)) {
      throw abandon(translateWinError(this.k.getLastError() as number, what, request.name, 'GetFileInformationByHandle'));
    }
    if (info.readUInt32LE(0) & FILE_ATTRIBUTE_REPARSE_POINT) { // a symlink or junction
      throw abandon(translateOsError('ELOOP', 0, what, request.name, 'CreateFileW'));
    }
    const protect = request.readonly ? PAGE_READONLY : PAGE_READWRITE;
    const handle = this.k.createFileMapping(fileHandle, null, protect, 0, 0, null) as bigint | null;
    if (handle === null) {
      const error = this.k.getLastError() as number;
      throw abandon(error === ERROR_FILE_INVALID
        ? new IncompatibleSectionError(`${what}: the file is empty, not a shmkit section`)
        : translateWinError(error, what, request.name, 'CreateFileMappingW'));
    }
    return { handle, label: request.file, readonly: request.readonly, fileHandle, lockName, mutex: null } as WindowsObject;
  }

  statObject(object: SharedObject): ObjectStat {
    const o = own(object);
    const fail = (call: string) => new SystemError(`${call} on ${o.label} failed`, this.k.getLastError() as number, call);
    if (o.fileHandle !== null) {
      const size = Buffer.alloc(8);
      if (!this.k.getFileSizeEx(o.fileHandle, size)) throw fail('GetFileSizeEx');
      return { size: Number(size.readBigInt64LE(0)), uid: -1, mode: 0o600 };
    }
    // No documented call sizes a paging-file section (NtQuerySection is ntdll's): map all of
    // it (length 0) and ask VirtualQuery how large the committed region is.
    const pointer = this.k.mapViewOfFile(o.handle, FILE_MAP_READ, 0, 0, 0) as bigint | null;
    if (pointer === null) throw fail('MapViewOfFile');
    const info = Buffer.alloc(48); // MEMORY_BASIC_INFORMATION; RegionSize after 3 pointers + 2 DWORDs
    const ok = this.k.virtualQuery(pointer, info, info.length) as number | bigint;
    this.k.unmapViewOfFile(pointer);
    if (!ok) throw fail('VirtualQuery');
    const size = this.k.pointerSize === 8 ? Number(info.readBigUInt64LE(24)) : info.readUInt32LE(12);
    return { size, uid: -1, mode: 0o600 };
  }

  closeObject(object: SharedObject): void {
    const o = own(object);
    this.unlockCreation(o);
    this.k.closeHandle(o.handle);
    if (o.fileHandle !== null) this.k.closeHandle(o.fileHandle);
    o.fileHandle = null; // views outlive the handles; flush must not touch a recycled one
  }

  /**
   * A paging-file mapping has no name to remove: it vanishes when its last handle and view
   * close, so there is nothing to do and nothing to report (false). Files are deleted.
   */
  unlinkObject(location: ObjectLocation): boolean {
    if (!location.file) return false;
    if (this.k.deleteFile(filePath(location.file))) return true;
    const error = this.k.getLastError() as number;
    if (error === ERROR_FILE_NOT_FOUND || error === ERROR_PATH_NOT_FOUND) return false;
    const what = `removing ${describe(location)}`;
    if (error === ERROR_ACCESS_DENIED) {
      throw new PermissionError(
        `${what}: access denied; Windows refuses to delete a file that a process still maps: close every Section over it first, or check its permissions`,
      );
    }
    throw translateWinError(error, what, location.name, 'DeleteFileW');
  }

  /** Always empty: see canList. */
  listObjects(): string[] {
    return [];
  }

  /** A named mutex: the kernel marks it abandoned when its owner dies. */
  lockCreation(object: SharedObject): void {
    const o = own(object);
    if (o.mutex !== null) return; // createObject takes it already
    o.mutex = this.acquireMutex(o.lockName, `locking ${o.label} for initialisation`);
  }

  private acquireMutex(lockName: string, what: string): bigint {
    const mutex = this.k.createMutex(null, 1, lockName) as bigint | null;
    const error = this.k.getLastError() as number;
    if (mutex === null) throw translateWinError(error, what, lockName, 'CreateMutexW');
    if (error === ERROR_ALREADY_EXISTS) {
      // bInitialOwner is ignored when the mutex already exists (a prober holds a handle, or
      // a dead creator left it abandoned): take it explicitly.
      const result = this.k.waitForSingleObject(mutex, LOCK_TAKE_TIMEOUT_MS) as number;
      if (result !== WAIT_OBJECT_0 && result !== WAIT_ABANDONED) {
        this.k.closeHandle(mutex);
        throw new SystemError(`${what} failed: another process holds it`, result, 'WaitForSingleObject');
      }
    }
    return mutex;
  }

  unlockCreation(object: SharedObject): void {
    const o = own(object);
    if (o.mutex === null) return;
    this.k.releaseMutex(o.mutex);
    this.k.closeHandle(o.mutex);
    o.mutex = null;
  }

  isCreationLocked(object: SharedObject): boolean {
    const o = own(object);
    if (o.mutex !== null) return true; // ours: a wait from this thread would just recurse
    const mutex = this.k.openMutex(SYNCHRONIZE | MUTEX_MODIFY_STATE, 0, o.lockName) as bigint | null;
    if (mutex === null) {
      const error = this.k.getLastError() as number;
      if (error === ERROR_FILE_NOT_FOUND) return false; // nobody holds a handle: nobody holds the lock
      throw translateWinError(error, `checking the initialisation lock of ${o.label}`, o.label, 'OpenMutexW');
    }
    try {
      const result = this.k.waitForSingleObject(mutex, 0) as number;
      if (result === WAIT_TIMEOUT) return true;
      // Free or abandoned: we now own it and must give it back (closing the handle would not:
      // ownership belongs to the thread, not the handle).
      if (result === WAIT_OBJECT_0 || result === WAIT_ABANDONED) this.k.releaseMutex(mutex);
      return false;
    } finally {
      this.k.closeHandle(mutex);
    }
  }

  map(object: SharedObject, length: number): Mapping {
    const o = own(object);
    const access = o.readonly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE;
    const pointer = this.k.mapViewOfFile(o.handle, access, 0, 0, length) as bigint | null;
    if (pointer === null) {
      const error = this.k.getLastError() as number;
      // MapViewOfFile reports a view longer than the section as ERROR_ACCESS_DENIED too.
      if (error === ERROR_ACCESS_DENIED) {
        throw new PermissionError(`mapping ${o.label}: access denied (${length} bytes may exceed the section, or it was opened read-only)`);
      }
      throw translateWinError(error, `mapping ${o.label}`, o.label, 'MapViewOfFile');
    }
    return this.views.track({ address: pointer, length, buffer: koffi.view(pointer, length), readonly: o.readonly }, { owner: o });
  }

  view(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    return this.views.view(mapping, offset, length);
  }

  /** An unnamed paging-file mapping; its view keeps it alive once the handle is closed. */
  mapAnonymous(length: number): Mapping {
    const what = `mapping ${length} anonymous bytes`;
    const handle = this.k.createFileMapping(-1, null, PAGE_READWRITE | SEC_COMMIT, Math.floor(length / 0x1_0000_0000), length >>> 0, null) as bigint | null;
    if (handle === null) throw translateWinError(this.k.getLastError() as number, what, 'anonymous', 'CreateFileMappingW');
    const pointer = this.k.mapViewOfFile(handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, length) as bigint | null;
    const error = this.k.getLastError() as number;
    this.k.closeHandle(handle);
    if (pointer === null) throw translateWinError(error, what, 'anonymous', 'MapViewOfFile');
    return this.views.track({ address: pointer, length, buffer: koffi.view(pointer, length), readonly: false }, { owner: null });
  }

  /**
   * Windows cannot swap a view for private pages in place (short of the placeholder APIs of
   * Windows 10 1803+), and unmapping under a live ArrayBuffer would crash its next reader. So
   * the view stays mapped until the last ArrayBuffer over it is collected; until then the
   * section stays alive too.
   */
  unmap(mapping: Mapping): void {
    this.views.retire(mapping);
  }

  flush(mapping: Mapping): void {
    if (!this.k.flushViewOfFile(mapping.address, mapping.length)) {
      const error = this.k.getLastError() as number;
      throw new SystemError(`FlushViewOfFile failed: Windows error ${error}`, error, 'FlushViewOfFile');
    }
    // FlushViewOfFile only starts the writes; FlushFileBuffers waits for them to reach the disk.
    const fileHandle = this.views.state(mapping)?.owner?.fileHandle ?? null;
    if (fileHandle !== null && !mapping.readonly && !this.k.flushFileBuffers(fileHandle)) {
      const error = this.k.getLastError() as number;
      throw new SystemError(`FlushFileBuffers failed: Windows error ${error}`, error, 'FlushFileBuffers');
    }
  }

  /**
   * WaitOnAddress wakes only threads of its own process, so this first version polls: a short
   * spin, then 1 ms sleeps until the word changes or the deadline. Named events, which do
   * cross processes, come in a later issue.
   */
  wait(address: bigint, expected: number, timeoutMs: number): WaitResult {
    const want = expected >>> 0;
    if (this.readWord(address) !== want) return 'not-equal';
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + Math.max(0, timeoutMs);
    for (let checks = 0; ; checks++) {
      if (this.readWord(address) !== want) return 'ok';
      if (performance.now() >= deadline) return 'timed-out';
      if (checks >= SPIN_CHECKS) this.k.sleep(1);
    }
  }

  /** Pollers see the change by themselves: there is nobody to wake. */
  wake(_address: bigint, _count: number): number {
    return 0;
  }

  /**
   * Polls every millisecond on the event loop. The pending timer keeps the process alive,
   * as a pending wait should (no unref).
   */
  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void> {
    if (words.length === 0 || words.length > MAX_WATCHED_WORDS) {
      throw new InvalidArgValueError(`waitAnyAsync watches 1 to ${MAX_WATCHED_WORDS} words, got ${words.length}`);
    }
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + Math.max(0, timeoutMs);
    return new Promise((resolve) => {
      const poll = (): void => {
        const changed = words.some((word) => this.readWord(word.address) !== word.expected >>> 0);
        if (changed || performance.now() >= deadline) resolve();
        else setTimeout(poll, POLL_INTERVAL_MS);
      };
      poll();
    });
  }

  /** An aligned 32-bit load: one instruction on x64 and arm64, so never a torn value. */
  private readWord(address: bigint): number {
    return koffi.decode(address, 'uint32_t') as number;
  }

  /** Creation time in ms since 1601 (FILETIME / 10^4), 0 for no such process, 1 for unknown. */
  processStartTime(pid: number): number {
    if (!Number.isInteger(pid) || pid <= 0) return 0;
    const handle = this.k.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as bigint | null;
    if (handle === null) {
      // ERROR_INVALID_PARAMETER: no such pid. Access denied: it exists (a protected process).
      return (this.k.getLastError() as number) === ERROR_ACCESS_DENIED ? 1 : 0;
    }
    try {
      // An exited process whose handles are still open keeps its pid: that is a dead one.
      // (A process that exits with code 259 looks alive to this test; Windows' own caveat.)
      const code = Buffer.alloc(4);
      if (this.k.getExitCodeProcess(handle, code) && code.readUInt32LE(0) !== STILL_ACTIVE) return 0;
      const [creation, exit, kernel, user] = [0, 0, 0, 0].map(() => Buffer.alloc(8)) as [Buffer, Buffer, Buffer, Buffer];
      if (!this.k.getProcessTimes(handle, creation, exit, kernel, user)) return 1;
      const ms = Number(creation.readBigUInt64LE(0) / 10_000n);
      return ms > 0 ? ms : 1;
    } finally {
      this.k.closeHandle(handle);
    }
  }
}

export function createWindowsPlatform(): Platform {
  return new WindowsPlatform();
}
