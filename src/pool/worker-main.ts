/**
 * The entry file of every pool worker (run from dist/, so it needs no TypeScript loader): a
 * worker thread gets its config as workerData, a forked process in SHMKIT_POOL_WORKER. It
 * installs the section provider (as the library's index does) and runs the worker loop.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { SectionNotFoundError } from '../errors.js';
import { destroyOwnedPools } from './owned-pools.js';
import { runWorker, type StartReport, type WorkerConfig } from './worker-runtime.js';

const WORKER_ENV = 'SHMKIT_POOL_WORKER';
/** How long the pools the handler module made get to end before this worker ends anyway. */
const OWNED_POOLS_GRACE_MS = 5_000;

function start(): void {
  let config: WorkerConfig;
  let report: StartReport;
  let done: Int32Array | undefined;
  let isProcess = false;
  if (!isMainThread && parentPort) {
    ({ shmkitPool: config, shmkitDone: done } = workerData as { shmkitPool: WorkerConfig; shmkitDone: Int32Array });
    const port = parentPort;
    report = (message) => port.postMessage(message);
    // However this thread ends by itself (stopped, or process.exit() in a handler), the
    // supervisor pokes it until it is gone: a parked wait of its own, or of a thread of a
    // pool it made, would keep it from finishing for up to a hub slice (worker-host.ts).
    process.once('exit', () => report({ type: 'exiting' }));
  } else {
    const raw = process.env[WORKER_ENV];
    if (!raw || !process.send) throw new Error('this file is the shmkit pool worker runtime: the pool starts it');
    config = JSON.parse(raw) as WorkerConfig;
    delete process.env[WORKER_ENV];
    report = (message) => process.send!(message);
    isProcess = true;
    // The owner is gone (its IPC pipe closed): nobody supervises or collects results.
    process.on('disconnect', () => void end(true));
  }
  // Finished: no native call is left to make, so the owner's exit may terminate us now
  // (owner-exit.ts); a thread terminated inside a koffi call aborts the whole process.
  const finished = (): void => {
    if (!done) return;
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  };
  let ending = false;
  // The pools the handler module made end first: their workers must not outlive this one.
  // A process whose pools did not end in time kills itself: process.exit() would wait for
  // their threads for ever.
  const end = async (hard: boolean): Promise<void> => {
    if (ending) return;
    ending = true;
    const ended = await destroyOwnedPools(OWNED_POOLS_GRACE_MS);
    if (!ended && hard) process.kill(process.pid, 'SIGKILL');
    finished();
    process.exit(0);
  };
  runWorker(config, report).then(
    () => end(isProcess),
    (error: unknown) => {
      // The pool's namespace is gone before this worker could open it: its owner exited (and
      // removed it) or destroyed the pool while we started. Nobody waits for us: leave quietly.
      if (error instanceof SectionNotFoundError) process.exit(0);
      // A failure of the loop itself: die like a crashed worker, so the supervisor fails what we held.
      setImmediate(() => {
        throw error;
      });
    },
  );
}

start();
