/**
 * kernel32 through koffi for the Windows backend: the bindings, the Win32 constants the
 * backend uses, and the translation of Win32 error codes into shmkit's typed errors.
 *
 * Bound lazily (bindKernel32): this module is imported on every OS, but only called on Windows.
 */
import koffi from 'koffi';
import { NoSpaceError, type ShmkitError } from '../errors.js';
import { translateOsError } from './errno.js';

export const PAGE_READONLY = 0x02, PAGE_READWRITE = 0x04, SEC_COMMIT = 0x800_0000, SEC_RESERVE = 0x400_0000;
export const FILE_MAP_WRITE = 0x2, FILE_MAP_READ = 0x4;
export const GENERIC_READ = 0x8000_0000, GENERIC_WRITE = 0x4000_0000;
export const FILE_SHARE_ALL = 0x1 | 0x2 | 0x4; // read, write, delete: every process maps the same file
export const CREATE_NEW = 1, OPEN_EXISTING = 3;
export const FILE_ATTRIBUTE_NORMAL = 0x80, FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
export const FILE_FLAG_OPEN_REPARSE_POINT = 0x20_0000; // open a link itself, never what it points to
export const SYNCHRONIZE = 0x10_0000, MUTEX_MODIFY_STATE = 0x1; // ReleaseMutex needs the latter
export const EVENT_MODIFY_STATE = 0x2; // SetEvent needs it
export const WAIT_OBJECT_0 = 0, WAIT_ABANDONED = 0x80, WAIT_TIMEOUT = 0x102;
/** WaitForSingleObject's "no timeout"; finite waits are clamped below it. */
export const INFINITE = 0xffff_ffff;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000, PROCESS_QUERY_INFORMATION = 0x400, PROCESS_VM_READ = 0x10;
export const STILL_ACTIVE = 259;
export const ERROR_FILE_NOT_FOUND = 2, ERROR_PATH_NOT_FOUND = 3, ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_PARAMETER = 87, ERROR_ALREADY_EXISTS = 183, ERROR_FILE_INVALID = 1006;
export const ERROR_PRIVILEGE_NOT_HELD = 1314;
export const MEM_COMMIT = 0x1000, MEM_RESERVE = 0x2000, MEM_MAPPED = 0x4_0000;

/** Win32 error codes: symbolic name, and the errno whose typed error fits. */
const WINDOWS_ERRORS: Record<number, readonly [string, string?]> = {
  2: ['ERROR_FILE_NOT_FOUND', 'ENOENT'], 3: ['ERROR_PATH_NOT_FOUND', 'ENOENT'],
  5: ['ERROR_ACCESS_DENIED', 'EACCES'], 6: ['ERROR_INVALID_HANDLE'], 8: ['ERROR_NOT_ENOUGH_MEMORY', 'ENOMEM'],
  14: ['ERROR_OUTOFMEMORY', 'ENOMEM'], 32: ['ERROR_SHARING_VIOLATION'], 39: ['ERROR_HANDLE_DISK_FULL', 'ENOSPC'],
  80: ['ERROR_FILE_EXISTS', 'EEXIST'], 87: ['ERROR_INVALID_PARAMETER'], 112: ['ERROR_DISK_FULL', 'ENOSPC'],
  123: ['ERROR_INVALID_NAME'], 183: ['ERROR_ALREADY_EXISTS', 'EEXIST'],
  206: ['ERROR_FILENAME_EXCED_RANGE', 'ENAMETOOLONG'], 1006: ['ERROR_FILE_INVALID'],
  1314: ['ERROR_PRIVILEGE_NOT_HELD', 'EPERM'],
  1455: ['ERROR_COMMITMENT_LIMIT', 'ENOMEM'], 1816: ['ERROR_NOT_ENOUGH_QUOTA', 'ENOMEM'],
};

export function translateWinError(code: number, what: string, name: string, call: string): ShmkitError {
  const [symbol, errno] = WINDOWS_ERRORS[code] ?? [`Windows error ${code}`];
  if (errno === 'ENOMEM' || errno === 'ENOSPC') {
    return new NoSpaceError(
      `${what}: not enough space (${symbol}); free memory or enlarge the paging file (memory-backed), ` +
        'free disk space (file-backed), or ask for a smaller size',
    );
  }
  return translateOsError(errno ?? symbol, code, what, name, call);
}

export function bindKernel32() {
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
    virtualAlloc: k.func('void * __stdcall VirtualAlloc(void *address, size_t size, uint32_t type, uint32_t protect)'),
    virtualQuery: k.func('size_t __stdcall VirtualQuery(void *address, void *info, size_t length)'),
    virtualQueryEx: k.func('size_t __stdcall VirtualQueryEx(void *process, void *address, void *info, size_t length)'),
    createMutex: k.func('void * __stdcall CreateMutexW(void *security, int initialOwner, str16 name)'),
    openMutex: k.func('void * __stdcall OpenMutexW(uint32_t access, int inherit, str16 name)'),
    releaseMutex: k.func('int __stdcall ReleaseMutex(void *mutex)'),
    createEvent: k.func('void * __stdcall CreateEventW(void *security, int manualReset, int initialState, str16 name)'),
    openEvent: k.func('void * __stdcall OpenEventW(uint32_t access, int inherit, str16 name)'),
    setEvent: k.func('int __stdcall SetEvent(void *event)'),
    resetEvent: k.func('int __stdcall ResetEvent(void *event)'),
    waitForSingleObject: k.func('uint32_t __stdcall WaitForSingleObject(void *handle, uint32_t milliseconds)'),
    sleep: k.func('void __stdcall Sleep(uint32_t milliseconds)'),
    getCurrentThreadId: k.func('uint32_t __stdcall GetCurrentThreadId()'),
    openProcess: k.func('void * __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'),
    getProcessTimes: k.func('int __stdcall GetProcessTimes(void *process, void *creation, void *exit, void *kernel, void *user)'),
    getExitCodeProcess: k.func('int __stdcall GetExitCodeProcess(void *process, void *code)'),
    readProcessMemory: k.func('int __stdcall ReadProcessMemory(void *process, void *address, void *buffer, size_t size, void *read)'),
    // psapi's GetMappedFileNameW lives in kernel32 as K32GetMappedFileNameW since Windows 7.
    getMappedFileName: k.func('uint32_t __stdcall K32GetMappedFileNameW(void *process, void *address, void *name, uint32_t size)'),
    queryDosDevice: k.func('uint32_t __stdcall QueryDosDeviceW(str16 device, void *target, uint32_t size)'),
  };
}
export type Kernel32 = ReturnType<typeof bindKernel32>;

let bound: Kernel32 | undefined;
/** One binding per thread (koffi functions are per isolate, as every JS value). */
export function kernel32(): Kernel32 {
  bound ??= bindKernel32();
  return bound;
}
