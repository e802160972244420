/**
 * Windows backend: named file mappings backed by the paging file ('Local\shmkit.<name>', or
 * 'Global\shmkit.<name>' with scope 'global'), files for file-backed sections, views through
 * MapViewOfFile, all through kernel32 and koffi (windows-kernel32.ts).
 *
 * Differences from POSIX that shape this backend: a named mapping lives exactly as long as
 * some handle or view on it (there is no unlink), WaitOnAddress cannot wake another process
 * (waits park on named events: windows-parking.ts), and there is no flock on a mapping (a
 * named mutex, which is abandoned when its owner dies, plays the creation lock).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import koffi from 'koffi';
import {
  IncompatibleSectionError,
  InvalidArgValueError,
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
  SectionScope,
  SharedObject,
  WaitResult,
  WatchedWord,
} from './types.js';
import { ViewTracker } from './view-tracker.js';
import {
  CREATE_NEW,
  ERROR_ACCESS_DENIED,
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_INVALID,
  ERROR_FILE_NOT_FOUND,
  ERROR_PATH_NOT_FOUND,
  ERROR_PRIVILEGE_NOT_HELD,
  FILE_ATTRIBUTE_NORMAL,
  FILE_ATTRIBUTE_REPARSE_POINT,
  FILE_FLAG_OPEN_REPARSE_POINT,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FILE_SHARE_ALL,
  GENERIC_READ,
  GENERIC_WRITE,
  kernel32,
  type Kernel32,
  MEM_COMMIT,
  MUTEX_MODIFY_STATE,
  OPEN_EXISTING,
  PAGE_READONLY,
  PAGE_READWRITE,
  SEC_COMMIT,
  SEC_RESERVE,
  SYNCHRONIZE,
  translateWinError,
  WAIT_ABANDONED,
  WAIT_OBJECT_0,
  WAIT_TIMEOUT,
} from './windows-kernel32.js';
import { Parking } from './windows-parking.js';
import { processStartTime } from './windows-process.js';

export const OBJECT_PREFIX = 'Local\\shmkit.';
/**
 * Creation mutexes. Not 'Local\shmkit.<name>.init': mutexes and mappings share one namespace,
 * and that would be the mapping of a section called '<name>.init'.
 */
export const LOCK_PREFIX = 'Local\\shmkit-init.';
/** Parking tables (windows-parking.ts), one per section, in the section's scope. */
export const PARKING_PREFIX = 'Local\\shmkit-park.';

/** Windows pages are 4 KiB; views start on 64 KiB boundaries, but we only map at offset 0. */
const PAGE_SIZE = 4096;
const MAX_WATCHED_WORDS = 128;
/** isCreationLocked owns the mutex for an instant: a creator waits that long, not more. */
const LOCK_TAKE_TIMEOUT_MS = 100;
const BY_HANDLE_FILE_INFORMATION_SIZE = 52; // dwFileAttributes first

/** What this backend hands out: `handle` is the mapping; the rest is for flush, stat and locks. */
interface WindowsObject extends SharedObject {
  readonly handle: bigint;
  /** File-backed: the file's HANDLE, kept for GetFileSizeEx and FlushFileBuffers. */
  fileHandle: bigint | null;
  readonly lockName: string;
  /** The parking table's name: waits on this object's words park there. */
  readonly parkingName: string;
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

/** 'Global\' objects are seen by every session; 'Local\' ones by this session only. */
function scoped(prefix: string, scope: SectionScope | undefined): string {
  return scope === 'global' ? `Global\\${prefix.slice('Local\\'.length)}` : prefix;
}

class WindowsPlatform implements Platform {
  readonly name = 'win32';
  readonly pageSize = PAGE_SIZE;
  /** GetMappedFileName sees only this process's views: other processes' sections are invisible. */
  readonly canList = false;
  readonly maxWatchedWords = MAX_WATCHED_WORDS;
  readonly currentProcess: ProcessIdentity;
  private readonly k: Kernel32;
  private readonly parking: Parking;
  private readonly views = new ViewTracker<ViewOwner>((state) => {
    this.parking.forget(state.address);
    this.k.unmapViewOfFile(state.address);
  });

  constructor() {
    this.k = kernel32();
    this.parking = new Parking(this.k, process.pid);
    this.currentProcess = { pid: process.pid, startTime: this.processStartTime(process.pid) };
  }

  objectName(name: string, scope?: SectionScope): string {
    return scoped(OBJECT_PREFIX, scope) + name;
  }

  /** Per-object names (the creation lock, the parking table) under one of the prefixes. */
  private companionName(prefix: string, location: ObjectLocation): string {
    if (!location.file) return scoped(prefix, location.scope) + location.name;
    // NTFS names are case-insensitive: 'C:\A' and 'c:\a' are one file, so one name.
    const digest = createHash('sha256').update(filePath(location.file).toLowerCase()).digest('hex');
    return `${prefix}file.${digest.slice(0, 32)}`;
  }

  private lockName(location: ObjectLocation): string {
    return this.companionName(LOCK_PREFIX, location);
  }

  /**
   * Creating a Global\ object needs SeCreateGlobalPrivilege (administrators and services
   * have it); Windows answers ERROR_ACCESS_DENIED or ERROR_PRIVILEGE_NOT_HELD without it.
   */
  private scopeError(error: number, location: ObjectLocation, what: string, call: string): ShmkitError {
    if (location.scope === 'global' && (error === ERROR_ACCESS_DENIED || error === ERROR_PRIVILEGE_NOT_HELD)) {
      return new PermissionError(
        `${what}: Windows refused a Global\\ name (${error === ERROR_PRIVILEGE_NOT_HELD ? 'ERROR_PRIVILEGE_NOT_HELD' : 'ERROR_ACCESS_DENIED'}); ` +
          "creating objects in the global namespace needs SeCreateGlobalPrivilege (run as an administrator or a service), or use scope 'local'",
      );
    }
    return translateWinError(error, what, location.name, call);
  }

  private isInvalid(handle: bigint | null): boolean {
    return handle === null || handle === this.k.invalidHandle;
  }

  createObject(request: CreateRequest): SharedObject {
    const what = `creating ${describe(request)}`;
    // A growable section (reserve > size) is as large as its reserve: every process maps all
    // of it once and nobody remaps (see growObject).
    const growable = request.reserve !== undefined && request.reserve > request.size;
    const total = growable ? request.reserve : request.size;
    const high = Math.floor(total / 0x1_0000_0000);
    const low = total >>> 0;
    // Windows has no POSIX mode: request.mode is ignored. 'Local\' objects and new files get the
    // creator's default DACL, which other users' processes cannot open.
    if (!request.file) {
      // SEC_COMMIT charges the whole size to the commit limit now, so a request the paging
      // file cannot back fails here with ERROR_COMMITMENT_LIMIT, never at first touch.
      // SEC_RESERVE (growable) charges nothing: `size` bytes are committed below, the rest by
      // growObject, each commit failing there rather than at first touch.
      const name = this.objectName(request.name, request.scope);
      const flags = PAGE_READWRITE | (growable ? SEC_RESERVE : SEC_COMMIT);
      const handle = this.k.createFileMapping(-1, null, flags, high, low, name) as bigint | null;
      const error = this.k.getLastError() as number;
      if (handle === null) throw this.scopeError(error, request, what, 'CreateFileMappingW');
      if (error === ERROR_ALREADY_EXISTS) { // success, but on the existing mapping
        this.k.closeHandle(handle);
        throw new SectionExistsError(request.name);
      }
      const object: WindowsObject = {
        handle, label: name, readonly: false, fileHandle: null, lockName: this.lockName(request),
        parkingName: this.companionName(PARKING_PREFIX, request), mutex: null,
      };
      try {
        this.lockCreation(object); // held from create, as the Platform interface says
        // Committed after locking: an opener that stats the section before this sees 0
        // committed bytes (statObject) and waits for the creator, never touches a reserved page.
        if (growable) this.commitSection(object, request.size, what);
      } catch (setupError) {
        this.closeObject(object); // the last handle: the mapping goes with it
        throw setupError;
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
    // as its end moves, so a full disk fails here with ERROR_DISK_FULL. A growable one is
    // sized to its whole reserve here: a file mapping cannot be SEC_RESERVE (the flag is for
    // the paging file), and a view cannot reach past the mapping object's size, which is
    // fixed at its creation; so the file is committed whole and growObject has nothing to do
    // (docs/decisions.md, "Growth").
    const handle = this.k.createFileMapping(fileHandle, null, PAGE_READWRITE, high, low, null) as bigint | null;
    if (handle === null) {
      const error = this.k.getLastError() as number;
      this.k.releaseMutex(mutex);
      this.k.closeHandle(mutex);
      this.k.closeHandle(fileHandle);
      this.k.deleteFile(file);
      throw translateWinError(error, what, request.name, 'CreateFileMappingW');
    }
    const parkingName = this.companionName(PARKING_PREFIX, request);
    return { handle, label: request.file, readonly: false, fileHandle, lockName, parkingName, mutex } as WindowsObject;
  }

  openObject(request: OpenRequest): SharedObject {
    const what = `opening ${describe(request)}`;
    const lockName = this.lockName(request);
    const parkingName = this.companionName(PARKING_PREFIX, request);
    if (!request.file) {
      const name = this.objectName(request.name, request.scope);
      const access = request.readonly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE;
      const handle = this.k.openFileMapping(access, 0, name) as bigint | null;
      if (handle === null) throw translateWinError(this.k.getLastError() as number, what, request.name, 'OpenFileMappingW');
      return { handle, label: name, readonly: request.readonly, fileHandle: null, lockName, parkingName, mutex: null } as WindowsObject;
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
    return { handle, label: request.file, readonly: request.readonly, fileHandle, lockName, parkingName, mutex: null } as WindowsObject;
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
    // it (length 0) and ask VirtualQuery how large the committed region is. For a SEC_RESERVE
    // section that is the committed prefix (growth commits from the end of it), which is
    // what the size of a growable object means (Platform.growObject); a section whose first
    // page is not committed yet (its creator is between CreateFileMapping and the commit) is
    // 0 bytes: touching it would be an access violation.
    const pointer = this.k.mapViewOfFile(o.handle, FILE_MAP_READ, 0, 0, 0) as bigint | null;
    if (pointer === null) throw fail('MapViewOfFile');
    const info = Buffer.alloc(48); // MEMORY_BASIC_INFORMATION; RegionSize after 3 pointers + 2 DWORDs, State after it
    const ok = this.k.virtualQuery(pointer, info, info.length) as number | bigint;
    this.k.unmapViewOfFile(pointer);
    if (!ok) throw fail('VirtualQuery');
    const wide = this.k.pointerSize === 8;
    const state = wide ? info.readUInt32LE(32) : info.readUInt32LE(16);
    const size = state !== MEM_COMMIT ? 0 : wide ? Number(info.readBigUInt64LE(24)) : info.readUInt32LE(12);
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

  /**
   * Growth of a SEC_RESERVE section: commits bytes [from, to) through this process's view.
   * The commit belongs to the section, not to the view: every other view of it, in this
   * process or another, may touch those pages at once without committing them itself (tested
   * under Wine with two processes; Wine's own conformance test, kernel32 virtual.c
   * test_MapViewOfFile, which also runs on Windows, checks that a second view reports
   * MEM_COMMIT after a commit through the first; docs/decisions.md, "Growth"). Pages once
   * committed stay so for the section's life (VirtualFree cannot decommit a view), which is
   * what the growth layer assumes: memory is never given back.
   *
   * ERROR_COMMITMENT_LIMIT (RAM + paging file exhausted) is NoSpaceError, and nothing was
   * committed. A file-backed section was sized to its reserve at create: nothing to do.
   */
  growObject(object: SharedObject, mapping: Mapping, from: number, to: number): void {
    const o = own(object);
    if (to <= from || o.fileHandle !== null) return;
    const what = `growing ${o.label} to ${to} bytes`;
    if (growFailure !== undefined) throw translateWinError(growFailure, what, o.label, 'VirtualAlloc');
    if (this.k.virtualAlloc(mapping.address + BigInt(from), to - from, MEM_COMMIT, PAGE_READWRITE) === null) {
      throw translateWinError(this.k.getLastError() as number, what, o.label, 'VirtualAlloc');
    }
  }

  /**
   * The first commit of a growable section, through a passing view of all of it. Of all of
   * it: Wine 8 forgets a commit made through a view shorter than the section once that view
   * is unmapped (Windows keeps it: the commit is the section's), and shmkit's own views are
   * all whole-section ones too.
   */
  private commitSection(object: WindowsObject, size: number, what: string): void {
    const pointer = this.k.mapViewOfFile(object.handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0) as bigint | null;
    if (pointer === null) throw translateWinError(this.k.getLastError() as number, what, object.label, 'MapViewOfFile');
    try {
      if (this.k.virtualAlloc(pointer, size, MEM_COMMIT, PAGE_READWRITE) === null) {
        throw translateWinError(this.k.getLastError() as number, what, object.label, 'VirtualAlloc');
      }
    } finally {
      this.k.unmapViewOfFile(pointer); // the commit stays with the section
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
    try {
      this.parking.track(pointer, length, o.parkingName);
    } catch (error) {
      this.k.unmapViewOfFile(pointer);
      throw error;
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
    this.parking.track(pointer, length, null); // process-local words: the private table
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

  /** Parks on this thread's named event (windows-parking.ts): no polling, no CPU while parked. */
  wait(address: bigint, expected: number, timeoutMs: number): WaitResult {
    return this.parking.wait(address, expected, timeoutMs);
  }

  /** No system call when nobody is parked on the section. */
  wake(address: bigint, count: number): number {
    return this.parking.wake(address, count);
  }

  /** One WaitForSingleObject on a libuv pool thread, for every watched word at once. */
  waitAnyAsync(words: readonly WatchedWord[], timeoutMs: number): Promise<void> {
    if (words.length === 0 || words.length > MAX_WATCHED_WORDS) {
      throw new InvalidArgValueError(`waitAnyAsync watches 1 to ${MAX_WATCHED_WORDS} words, got ${words.length}`);
    }
    return this.parking.waitAnyAsync(words, timeoutMs);
  }

  processStartTime(pid: number): number {
    return processStartTime(this.k, pid);
  }
}

/**
 * Test hook, as on Linux: SHMKIT_TEST_GROW_WINERROR=1455 makes every growObject fail with that Win32 error (1455 is ERROR_COMMITMENT_LIMIT), since Wine does not
 * enforce a commit limit (it commits 512 GiB without complaint).
 */
const growFailure = Number(process.env['SHMKIT_TEST_GROW_WINERROR'] ?? 0) || undefined;

export function createWindowsPlatform(): Platform {
  return new WindowsPlatform();
}
