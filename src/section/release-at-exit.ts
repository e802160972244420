/**
 * Gives back this thread's attach slots when it exits normally without closing its sections
 * (process.exit(), the event loop running dry, an uncaught exception): a section its users
 * simply left is then idle, not stale, and `shmkit gc` keeps it.
 *
 * One 'exit' listener per JS thread, added with the first attachment. Each release is what
 * close() does to the attach table, synchronously (a CAS on the slot, then freeing the slots
 * of peers that died: a liveness look per occupied slot); nothing is unmapped (the process
 * is going away).
 *
 * Worker threads: each has its own `process` object, whose 'exit' fires when the worker ends
 * by itself (its event loop runs dry, process.exit() inside it, an uncaught exception), and
 * then it releases only its own slots. A worker stopped from outside (worker.terminate(), or
 * the whole process exiting under it) runs no JavaScript at all, so its slots stay recorded
 * under the process's pid: while the process lives they count as live (as they must: nobody
 * can tell them from a live thread's), and once it has exited, the next attacher reaps them
 * (AttachTable.reapDead). Releasing them from the main thread is not attempted: it does not
 * know which sections a worker mapped, and a running worker's slot must never be freed.
 */

/** Releases still owed at exit, one per attached, unclosed Section of this thread. */
const pending = new Set<() => void>();
let listening = false;

/**
 * Registers `release` (a synchronous, idempotent slot release) to run if this thread exits
 * before it is forgotten. Returns the function that forgets it (call it from close()).
 */
export function releaseAtExit(release: () => void): () => void {
  if (!listening) {
    listening = true;
    process.on('exit', releaseAll);
  }
  pending.add(release);
  return () => {
    pending.delete(release);
  };
}

/** Slot releases still owed by this thread (tests). */
export function pendingExitReleases(): number {
  return pending.size;
}

function releaseAll(): void {
  for (const release of pending) {
    try {
      release();
    } catch {
      // A release is a few atomics on mapped memory; nothing is left to tell at exit anyway.
    }
  }
  pending.clear();
}
