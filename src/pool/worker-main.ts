/**
 * The entry file of every pool worker (run from dist/, so it needs no TypeScript loader): a
 * worker thread gets its config as workerData, a forked process in SHMKIT_POOL_WORKER. It
 * installs the section provider (as the library's index does) and runs the worker loop.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { SectionNotFoundError } from '../errors.js';
import { runWorker, type StartReport, type WorkerConfig } from './worker-runtime.js';

const WORKER_ENV = 'SHMKIT_POOL_WORKER';

function start(): void {
  let config: WorkerConfig;
  let report: StartReport;
  let done: Int32Array | undefined;
  if (!isMainThread && parentPort) {
    ({ shmkitPool: config, shmkitDone: done } = workerData as { shmkitPool: WorkerConfig; shmkitDone: Int32Array });
    const port = parentPort;
    report = (message) => port.postMessage(message);
  } else {
    const raw = process.env[WORKER_ENV];
    if (!raw || !process.send) throw new Error('this file is the shmkit pool worker runtime: the pool starts it');
    config = JSON.parse(raw) as WorkerConfig;
    delete process.env[WORKER_ENV];
    report = (message) => process.send!(message);
    // The owner is gone (its IPC pipe closed): nobody supervises or collects results.
    process.on('disconnect', () => process.exit(0));
  }
  // Finished: no native call is left to make, so the owner's exit may terminate us now
  // (owner-exit.ts); a thread terminated inside a koffi call aborts the whole process.
  const finished = (): void => {
    if (!done) return;
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  };
  runWorker(config, report).then(
    () => {
      finished();
      process.exit(0);
    },
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
