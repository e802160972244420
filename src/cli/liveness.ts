/**
 * Who holds a lock, a ring slot or a barrier entry, and whether they still live, as the
 * library itself judges it: an owner word (src/layout/owner.ts) names a pid — on Linux the
 * thread id, since threads' liveness can be told there — and 8 bits of its start time, so a
 * reused pid is not taken for the dead owner.
 */
import fs from 'node:fs';
import { ownerHash, ownerPid, startTimeHash } from '../layout/owner.js';
import { platform, UNKNOWN_START_TIME } from '../platform/index.js';

export interface OwnerReport {
  /** The process (read from /proc/<tid>/status while it lives; else the id the word holds). */
  pid: number;
  /** The id in the owner word: the thread id on Linux (the pid for a main thread). */
  tid: number;
  /** worker_threads threadId of the holder, where the layout keeps it (mutexes, barriers); else null. */
  threadId: number | null;
  alive: boolean;
}

/** The owner named by a non-zero owner word (bits above the hash, like a lock's W bit, ignored); null for 0. */
export function ownerReport(word: number, threadId: number | null = null): OwnerReport | null {
  if (word === 0) return null;
  const tid = ownerPid(word);
  const startTime = platform().processStartTime(tid);
  // Cannot tell now (out of descriptors, say): alive, as the library decides.
  const alive = startTime === UNKNOWN_START_TIME || (startTime !== 0 && startTimeHash(startTime) === ownerHash(word));
  return { pid: alive ? processOf(tid) : tid, tid, threadId, alive };
}

/** Whether `pid` is the process that started at `startTime` (0 = unknown: judged by the pid). */
export function processLives(pid: number, startTime: number): boolean {
  if (pid <= 0) return false;
  const actual = platform().processStartTime(pid);
  if (actual === UNKNOWN_START_TIME) return true;
  return actual !== 0 && (startTime === 0 || actual === startTime);
}

/** Whether some process or thread with this id runs now. */
export function pidExists(pid: number): boolean {
  return platform().processStartTime(pid) !== 0;
}

/** The process a Linux thread id belongs to (its Tgid); the id itself elsewhere or if unreadable. */
function processOf(tid: number): number {
  if (process.platform !== 'linux') return tid;
  try {
    const status = fs.readFileSync(`/proc/${tid}/status`, 'latin1');
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(status)?.[1]);
    return Number.isSafeInteger(tgid) && tgid > 0 ? tgid : tid;
  } catch {
    return tid;
  }
}

/** "pid 1234 (alive)", "pid 1234 thread 5678 (dead)", or "none". */
export function describeOwner(owner: OwnerReport | null): string {
  if (owner === null) return 'none';
  const thread = owner.tid !== owner.pid ? ` thread ${owner.tid}` : '';
  const worker = owner.threadId ? ` worker ${owner.threadId}` : '';
  return `pid ${owner.pid}${thread}${worker} (${owner.alive ? 'alive' : 'dead'})`;
}
