/**
 * Starting one pool worker as a thread (worker_threads) or a process (child_process.fork) of
 * the runtime in dist/pool/worker-main.js, and telling the supervisor when it is ready, could
 * not start, or exited. The only messages besides shared memory, none on the task path.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParsedPoolOptions } from './options.js';
import type { WorkerConfig } from './worker-runtime.js';

/** What a worker host reports. */
export interface WorkerEvents {
  /** It runs the handler module's top level now (past the runtime's own native calls). */
  loading(): void;
  ready(): void;
  startError(error: { name: string; message: string; code?: string }): void;
  /** It is gone: `error` is what killed a thread (uncaught, out of memory), if Node said. */
  exit(code: number | null, signal: string | null, error: Error | undefined): void;
}

/** A running worker, either kind. */
export interface WorkerHost {
  /** The worker's process (the pool's own for a thread). */
  readonly pid: number;
  /** Ends it now: terminate() for a thread, SIGKILL for a process. */
  kill(): void;
  /**
   * Thread mode: true once the thread's runtime has finished (its handles closed, no native
   * call left to make), read without the event loop. A process: always false.
   */
  finished(): boolean;
  /** Thread mode: blocks this thread until finished() or `ms` passed (process: returns at once). */
  waitFinished(ms: number): boolean;
}

/** The runtime's file: next to this one in dist/, or in dist/ when this module runs from src/ (tests). */
export function runtimeFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.join(path.dirname(here), '..', '..', 'dist', 'pool', 'worker-main.js');
  return path.join(path.dirname(here), 'worker-main.js');
}

const WORKER_ENV = 'SHMKIT_POOL_WORKER';

/** How often a dying thread is poked until it is gone. */
const POKE_MS = 50;

/**
 * `poke` wakes the thread's parked async waits (a record in its control channel). A thread
 * that is terminated, or dies of an uncaught error or out of memory, cannot finish exiting
 * while a wait of its own is parked in a libuv pool thread (futex_waitv): Node waits for that
 * request to complete. So until it has exited we poke it now and then.
 */
export function startWorkerHost(options: ParsedPoolOptions, config: WorkerConfig, events: WorkerEvents, poke: () => void): WorkerHost {
  return options.mode === 'process' ? startProcess(options, config, events) : startThread(options, config, events, poke);
}

function startThread(options: ParsedPoolOptions, config: WorkerConfig, events: WorkerEvents, poke: () => void): WorkerHost {
  const done = new Int32Array(new SharedArrayBuffer(4)); // set by worker-main.ts when it is finished
  const worker = new Worker(runtimeFile(), {
    workerData: { shmkitPool: config, shmkitDone: done },
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  let failure: Error | undefined;
  let poking: NodeJS.Timeout | undefined;
  const keepPoking = (): void => {
    if (poking) return;
    poke();
    poking = setInterval(poke, POKE_MS);
  };
  worker.on('message', (message: { type: string; error?: { name: string; message: string; code?: string } }) => {
    if (message.type === 'ready') events.ready();
    else if (message.type === 'loading') events.loading();
    else if (message.type === 'start-error') events.startError(message.error!);
    else if (message.type === 'exiting') keepPoking(); // its own process.exit(): it may be parked too
  });
  worker.on('error', (error) => {
    failure = error;
    keepPoking();
  });
  worker.on('exit', (code) => {
    clearInterval(poking);
    events.exit(code, null, failure);
  });
  return {
    pid: process.pid,
    kill: () => {
      void worker.terminate();
      keepPoking();
    },
    finished: () => Atomics.load(done, 0) === 1,
    waitFinished: (ms) => Atomics.wait(done, 0, 0, ms) !== 'timed-out',
  };
}

function startProcess(options: ParsedPoolOptions, config: WorkerConfig, events: WorkerEvents): WorkerHost {
  const child: ChildProcess = fork(runtimeFile(), [], {
    env: { ...process.env, ...options.env, [WORKER_ENV]: JSON.stringify(config) },
    execArgv: options.execArgv ?? process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (message: { type: string; error?: { name: string; message: string; code?: string } }) => {
    if (message.type === 'ready') events.ready();
    else if (message.type === 'loading') events.loading();
    else if (message.type === 'start-error') events.startError(message.error!);
  });
  let failure: Error | undefined;
  child.on('error', (error) => {
    failure = error;
  });
  child.on('exit', (code, signal) => events.exit(code, signal, failure));
  return {
    pid: child.pid ?? 0,
    kill: () => void child.kill('SIGKILL'),
    finished: () => false,
    waitFinished: () => false,
  };
}
