/**
 * Process liveness on Windows: a pid plus the process's creation time (OpenProcess +
 * GetProcessTimes), so a reused pid is never taken for the process that died.
 */
import {
  ERROR_ACCESS_DENIED,
  PROCESS_QUERY_LIMITED_INFORMATION,
  STILL_ACTIVE,
  type Kernel32,
} from './windows-kernel32.js';
import { UNKNOWN_START_TIME } from './types.js';

/**
 * Creation time in ms since 1601 (FILETIME / 10^4); 0 when no such process runs;
 * UNKNOWN_START_TIME when it exists but cannot be asked (access denied, a failing call):
 * callers then treat it as alive.
 */
export function processStartTime(k: Kernel32, pid: number): number {
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0xffff_ffff) return 0;
  const handle = k.openProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) as bigint | null;
  if (handle === null) {
    // ERROR_INVALID_PARAMETER: no such pid. Access denied: it exists (a protected process).
    return (k.getLastError() as number) === ERROR_ACCESS_DENIED ? UNKNOWN_START_TIME : 0;
  }
  try {
    // An exited process whose handles are still open keeps its pid: that is a dead one.
    // (A process that exits with code 259 looks alive to this test; Windows' own caveat.)
    const code = Buffer.alloc(4);
    if (k.getExitCodeProcess(handle, code) && code.readUInt32LE(0) !== STILL_ACTIVE) return 0;
    const times = Buffer.alloc(32); // creation, exit, kernel, user: four FILETIMEs
    if (!k.getProcessTimes(handle, times, times.subarray(8), times.subarray(16), times.subarray(24))) return UNKNOWN_START_TIME;
    const ms = Number(times.readBigUInt64LE(0) / 10_000n);
    return ms > 0 ? ms : UNKNOWN_START_TIME;
  } finally {
    k.closeHandle(handle);
  }
}
