/**
 * Pause points: a test-only switch that stops this thread between two steps of a racy
 * protocol (ring claim / commit / unblock / publish, the store's journal, lock hand-overs).
 *
 * A race that needs a process descheduled for milliseconds between two instructions happens
 * once in millions of runs on a quiet machine; with pauses injected at the steps it happens
 * in every run. Two ways to switch it on:
 *
 * - `SHMKIT_TEST_PAUSES=<probability>:<max ms>` in the environment (`npm run stress` sets it
 *   for the suite and every child it forks): each pause point sleeps, with that probability,
 *   for a random 0..max ms. The sleep is a real block of the thread (Atomics.wait), like a
 *   preemption.
 * - `setPauseHook(fn)` in a unit test: `fn(point)` runs at every point, so a test can run the
 *   other party's steps right there and check every interleaving deterministically.
 *
 * Off (the default), a pause point is one load of `pauseHook` and a compare.
 */

export type PausePoint =
  | 'ring.claim.header' // MPSC claim header written, tail not yet moved (producer lock held)
  | 'ring.claim.done' // claim made, payload not yet copied
  | 'ring.commit' // payload copied, before the publishing CAS
  | 'ring.unblock.look' // consumer saw a claim at head, before reading its header whole
  | 'ring.unblock' // consumer read a claim of a dead-looking owner, before its CAS
  | 'ring.publish' // consumer moved head, before zeroing and moving free head
  | 'spsc.commit' // SPSC record written, before the tail store
  | 'store.journal' // store: undo entries written, before the data changes
  | 'store.commit' // store: data changed, before the journal is cleared
  | 'seqlock.read' // store reader between its two sequence loads
  | 'cache.load.claimed' // getOrSet: the key is marked as loading, the loader not yet called
  | 'cache.load.publish' // getOrSet: the loader returned, its value not yet stored
  | 'cache.load.park' // getOrSet: a waiter read the done word, before it parks on it
  | 'mutex.acquired' // a lock was just taken, before the caller's critical section
  | 'broadcast.publish' // broadcast writer between payload and position
  | 'pool.take.recorded' // pool worker: task recorded as taking, queue head not yet moved (consumer lock held)
  | 'pool.take.released' // pool worker: queue head moved past the task, not yet recorded as held
  | 'pool.result.sent'; // pool worker: result in the submitter's channel, task not yet let go

export type PauseHook = (point: PausePoint) => void;

/** The installed hook, or undefined (the fast path). Read it, never assign it from outside. */
export let pauseHook: PauseHook | undefined;

/** Installs (or with undefined removes) the hook called at every pause point. For tests. */
export function setPauseHook(hook: PauseHook | undefined): void {
  pauseHook = hook;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` milliseconds: what a preemption looks like to the others. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/** A hook that sleeps 0..maxMs with `probability` at each point (xorshift, seeded by pid). */
export function randomPauses(probability: number, maxMs: number, seed = process.pid): PauseHook {
  let state = (seed ^ 0x9e37_79b9) | 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return () => {
    if (next() < probability) sleepSync(next() * maxMs);
  };
}

/** Reads SHMKIT_TEST_PAUSES ("probability:maxMs"); a malformed value is ignored loudly. */
function fromEnvironment(): PauseHook | undefined {
  const setting = typeof process === 'object' ? process.env?.['SHMKIT_TEST_PAUSES'] : undefined;
  if (!setting) return undefined;
  const [p, ms] = setting.split(':').map(Number);
  if (!(p! > 0 && p! <= 1 && ms! > 0 && ms! <= 1000)) {
    process.emitWarning(`SHMKIT_TEST_PAUSES=${setting} ignored: expected "<probability 0..1>:<max ms>"`);
    return undefined;
  }
  return randomPauses(p!, ms!);
}

pauseHook = fromEnvironment();
