/**
 * Pools nested in pool threads: a worker thread whose handler module makes a thread pool of
 * its own has worker threads of its own, and so on. A thread being terminated cannot finish
 * exiting while its async wait is parked in a libuv pool thread (worker-host.ts), and its JS
 * no longer runs, so the pool it supervised can no longer poke its workers: they stay parked,
 * the dying thread waits for them for ever, and so does the destroy() above it.
 *
 * So every thread of a nested pool also listens to the namespaces of the pools above it in
 * the same process: an async wait on each, in the same OS wait as its other waits (no
 * thread, no CPU; every ring of those namespaces wakes it for nothing, a cost only nesting
 * pays). A supervisor that pokes a dying worker rings every doorbell of its namespace
 * (supervisor.ts), which reaches the threads below that worker too; once their JS has
 * stopped, the woken OS wait returns and they finish exiting.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { POOL_MAGIC, POOL_MAGIC_OFFSET } from '../layout/pool.js';
import { Namespace } from '../namespace.js';
import { findPoolBlock } from './pool-namespace.js';
import type { WorkerConfig } from './worker-runtime.js';

/** Nesting deeper than this listens to the nearest ones only (each costs a word of the shared OS wait). */
const MAX_ANCESTORS = 16;

/**
 * The namespaces a thread worker started by this thread listens to: those of the pools of
 * the pool threads above this one, and this thread's own pool's. None outside a pool thread.
 */
export function ancestorsOfNewThreads(): string[] {
  if (isMainThread) return [];
  const parent = (workerData as { shmkitPool?: WorkerConfig } | null | undefined)?.shmkitPool;
  if (!parent) return [];
  return [...(parent.ancestors ?? []), parent.namespace].slice(-MAX_ANCESTORS);
}

/**
 * Listens to each ancestor pool's namespace until this thread ends. A thread that ends by
 * itself (process.exit(): 'exit' runs) stops listening then, as its own parked wait would
 * hold it up as well; a terminated one is still listening, which is the point.
 */
export function listenToAncestors(names: readonly string[] | undefined): void {
  if (!names || names.length === 0) return;
  const stop = new AbortController();
  process.once('exit', () => stop.abort());
  for (const name of names) {
    let ns: Namespace | undefined;
    try {
      ns = Namespace.open(name, { create: false });
      if (findPoolBlock(ns)) {
        void listen(ns, stop.signal);
        continue;
      }
    } catch {
      // gone already: its threads are gone or going too
    }
    ns?.close();
  }
}

/**
 * One async wait that never resolves by itself: on the block's magic word, which does not
 * change. A wait that did resolve (say on the state word as the pool closes) would leave the
 * section out of the hub's OS wait until JS waits again, and a thread terminated in between
 * would park deaf to every ring.
 */
async function listen(ns: Namespace, signal: AbortSignal): Promise<void> {
  const block = findPoolBlock(ns)!;
  try {
    await ns.section.waiter.waitAsync(block.words.byteOffset + POOL_MAGIC_OFFSET, POOL_MAGIC, Infinity, signal);
  } catch {
    // this thread is ending, or the section closed under us: nothing left to hear
  }
  try {
    ns.close();
  } catch {
    // closed already
  }
}
