/**
 * What a pool's owner does when its process exits without closing the pool (process.exit(),
 * an uncaught exception, the end of the event loop): no JS runs after 'exit', so it must be
 * synchronous and short.
 *
 * - Thread mode: Node terminates the worker threads after 'exit'. A thread terminated inside a
 *   koffi call (loading libc as it starts, arming a wait) aborts the whole process (SIGABRT
 *   instead of the exit code), so the owner first asks each thread to stop and blocks, at most
 *   EXIT_STOP_WAIT_MS, until each has finished (Supervisor.stopThreadsAtExit).
 * - The pool is marked closed, so connected submitters learn at once, and its namespace is
 *   unlinked: an auto-named pool would otherwise leave its section in /dev/shm on every crash.
 *   Mappings stay valid in processes that still have them; process workers exit when they see
 *   their owner gone.
 */
import { POOL_STATE_CLOSED } from '../layout/pool.js';
import type { PoolBlock } from './pool-block.js';

/** The longest the owner's exit waits for its threads to stop. */
export const EXIT_STOP_WAIT_MS = 2_000;

/** The pools this process owns and has not closed: one 'exit' listener for all of them. */
const openPools = new Set<() => void>();
let listening = false;

/** Runs `atExit` if the process exits before the returned function is called. */
export function onOwnerExit(atExit: () => void): () => void {
  openPools.add(atExit);
  if (!listening) {
    listening = true;
    process.once('exit', () => {
      for (const close of openPools) close();
    });
  }
  return () => openPools.delete(atExit);
}

export function closeAtOwnerExit(block: PoolBlock, stopThreads: (ms: number) => void, unlink: () => void): void {
  try {
    stopThreads(EXIT_STOP_WAIT_MS);
  } catch {
    // the pool's handles are closed already: nothing to stop
  }
  block.state = POOL_STATE_CLOSED;
  try {
    unlink();
  } catch {
    // gone already, or not ours to remove: nothing more to do at exit
  }
}
