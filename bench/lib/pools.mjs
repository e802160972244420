// The pools of the pool benchmark behind one shape: `start(workers)` gives a fresh pool of that
// many workers (min = max, so none come and go during a row) as { run(name, task), destroy() }.
// `run` calls the pool's own submit call with options made once, so what is timed is the pool.
// Every pool loads the same task functions (children/pool-task-functions.cjs) through the worker file its
// API wants.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ForkPool } from './fork-pool.mjs';
import { CHILDREN } from './processes.mjs';

const TASKS = path.join(CHILDREN, 'pool-tasks.mjs');
const NAMES = ['add', 'heavy'];
/** One options object per task name, made once: `{ name }` for the pools that take it. */
const BY_NAME = Object.fromEntries(NAMES.map((name) => [name, { name }]));

/**
 * shmkit's Pool, from dist/ (or from the module SHMKIT_BENCH_POOL_FROM names, to try another
 * build): null, and the reason, while that build does not export it.
 */
async function loadShmkitPool() {
  const from = process.env.SHMKIT_BENCH_POOL_FROM
    ? pathToFileURL(path.resolve(process.env.SHMKIT_BENCH_POOL_FROM)).href
    : new URL('../../dist/index.js', import.meta.url).href;
  const library = await import(from);
  return typeof library.Pool === 'function' ? library.Pool : null;
}

function shmkit(mode) {
  return {
    name: `shmkit Pool (${mode})`,
    mode,
    kind: 'shmkit',
    async unavailable() {
      return (await loadShmkitPool()) ? null : 'shmkit Pool not built yet (dist/ exports no Pool)';
    },
    async start(workers) {
      const Pool = await loadShmkitPool();
      const pool = new Pool({ filename: TASKS, mode, minWorkers: workers, maxWorkers: workers });
      return { run: (name, task) => pool.run(task, BY_NAME[name]), destroy: () => pool.destroy() };
    },
  };
}

const piscina = {
  name: 'piscina',
  mode: 'thread',
  kind: 'peer',
  async start(workers) {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: TASKS, minThreads: workers, maxThreads: workers });
    return { run: (name, task) => pool.run(task, BY_NAME[name]), destroy: () => pool.destroy() };
  },
};

function tinypool(runtime, mode) {
  return {
    name: `tinypool (${runtime})`,
    mode,
    kind: 'peer',
    async start(workers) {
      const { Tinypool } = await import('tinypool');
      const pool = new Tinypool({ filename: TASKS, runtime, minThreads: workers, maxThreads: workers });
      return { run: (name, task) => pool.run(task, BY_NAME[name]), destroy: () => pool.destroy() };
    },
  };
}

function workerpool(workerType, mode) {
  return {
    name: `workerpool (${workerType})`,
    mode,
    kind: 'peer',
    async start(workers) {
      const { default: library } = await import('workerpool');
      const pool = library.pool(path.join(CHILDREN, 'pool-workerpool.mjs'), { minWorkers: workers, maxWorkers: workers, workerType });
      return { run: (name, task) => pool.exec(name, [task]), destroy: () => pool.terminate() };
    },
  };
}

function poolifier(className, mode, worker) {
  return {
    name: `poolifier ${className}`,
    mode,
    kind: 'peer',
    async start(workers) {
      const library = await import('poolifier');
      const pool = new library[className](workers, path.join(CHILDREN, worker));
      return { run: (name, task) => pool.execute(task, name), destroy: () => pool.destroy() };
    },
  };
}

const forkSend = {
  name: 'fork + process.send (pipelined)',
  mode: 'process',
  kind: 'peer',
  async start(workers) {
    const pool = new ForkPool(path.join(CHILDREN, 'pool-fork.mjs'), workers);
    try {
      await pool.ready();
    } catch (error) {
      await pool.destroy();
      throw error;
    }
    return { run: (name, task) => pool.run(name, task), destroy: () => pool.destroy() };
  },
};

/** Every pool of the scenario, shmkit's first in each mode; `best` of a shmkit row names its pools. */
export const POOLS = [
  shmkit('thread'),
  piscina,
  tinypool('worker_threads', 'thread'),
  workerpool('thread', 'thread'),
  poolifier('FixedThreadPool', 'thread', 'pool-poolifier-thread.mjs'),
  shmkit('process'),
  tinypool('child_process', 'process'),
  workerpool('process', 'process'),
  poolifier('FixedClusterPool', 'process', 'pool-poolifier-cluster.cjs'),
  forkSend,
];

/** The pool libraries of process mode (the hand-written fork pool is not one): "the best process pool". */
export const PROCESS_POOL_LIBRARIES = POOLS.filter((pool) => pool.mode === 'process' && pool.kind === 'peer' && pool !== forkSend).map((pool) => pool.name);
