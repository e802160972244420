/**
 * A pool's control block (src/layout/pool.ts) as `shmkit inspect` and `watch` show it:
 * state, counters, and each worker slot (owner and whether it lives, the task it holds, busy
 * time). Read without attaching, so a read may see a moment between two workers' stores.
 */
import {
  POOL_MAGIC,
  POOL_MAGIC_OFFSET,
  POOL_STATE_OFFSET,
  POOL_SKIPPED_OFFSET,
  POOL_TAKEOVERS_OFFSET,
  POOL_WORKER_SLOTS_OFFSET,
  SUBMITTER_OWNER_OFFSET,
  TAKE_HELD,
  TAKE_TAKING,
  WORKER_BUSY_MS_OFFSET,
  WORKER_OWNER_OFFSET,
  WORKER_STATE_OFFSET,
  WORKER_TAKE_STATE_OFFSET,
  WORKER_TASK_ID_OFFSET,
  WORKER_TASK_SUBMITTER_OFFSET,
  WORKER_TASKS_RUN_OFFSET,
  POOL_SUBMITTER_SLOTS,
} from '../layout/pool.js';
import { PoolBlock } from '../pool/pool-block.js';
import { ownerReport, type OwnerReport } from './liveness.js';

const STATES = ['free', 'starting', 'idle', 'busy', 'exited'];
const POOL_STATES = ['?', 'open', 'closing', 'closed'];

/** One worker slot. */
export interface PoolWorkerReport {
  id: number;
  state: string;
  owner: OwnerReport | null;
  /** The task it holds: submitter slot and task id, and whether it is taking or holding it. */
  task: { submitter: number; id: number; state: 'taking' | 'held' } | null;
  busyMs: number;
  tasksRun: number;
}

/** What inspect shows of a pool. */
export interface PoolReport {
  pool: true;
  state: string;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  crashed: number;
  timedOut: number;
  skipped: number;
  takeovers: number;
  liveWorkers: number;
  submitters: number;
  workers: PoolWorkerReport[];
}

export function readPool(buffer: ArrayBuffer, offset: number): PoolReport {
  const head = new Int32Array(buffer, offset, 64);
  if (head[POOL_MAGIC_OFFSET >> 2] !== POOL_MAGIC) throw new Error('not a pool control block (bad magic)');
  const block = new PoolBlock(buffer, offset);
  const counters = block.counters();
  const workers: PoolWorkerReport[] = [];
  for (let w = 0; w < head[POOL_WORKER_SLOTS_OFFSET >> 2]!; w++) {
    const state = block.load(block.worker(w, WORKER_STATE_OFFSET));
    if (state === 0) continue;
    const take = block.load(block.worker(w, WORKER_TAKE_STATE_OFFSET));
    workers.push({
      id: w,
      state: STATES[state] ?? String(state),
      owner: ownerReport(block.load(block.worker(w, WORKER_OWNER_OFFSET)) >>> 0),
      task:
        take === TAKE_TAKING || take === TAKE_HELD
          ? { submitter: block.load(block.worker(w, WORKER_TASK_SUBMITTER_OFFSET)), id: block.load(block.worker(w, WORKER_TASK_ID_OFFSET)) >>> 0, state: take === TAKE_HELD ? 'held' : 'taking' }
          : null,
      busyMs: block.load(block.worker(w, WORKER_BUSY_MS_OFFSET)) >>> 0,
      tasksRun: block.load(block.worker(w, WORKER_TASKS_RUN_OFFSET)) >>> 0,
    });
  }
  let submitters = 0;
  for (let s = 0; s < POOL_SUBMITTER_SLOTS; s++) if (block.load(block.submitter(s, SUBMITTER_OWNER_OFFSET)) !== 0) submitters++;
  return {
    pool: true,
    state: POOL_STATES[Atomics.load(head, POOL_STATE_OFFSET >> 2)] ?? '?',
    ...counters,
    skipped: block.counter(POOL_SKIPPED_OFFSET) >>> 0,
    takeovers: block.counter(POOL_TAKEOVERS_OFFSET) >>> 0,
    submitters,
    workers,
  };
}

/** inspect's text lines for a pool. */
export function poolLines(pool: PoolReport): string[] {
  const lines = [
    `    ${pool.state}, workers ${pool.liveWorkers}, submitters ${pool.submitters}`,
    `    queued ${pool.queued}  running ${pool.running}  completed ${pool.completed}  failed ${pool.failed}  crashed ${pool.crashed}  timed out ${pool.timedOut}  skipped ${pool.skipped}  takeovers ${pool.takeovers}`,
  ];
  for (const worker of pool.workers) {
    const who = worker.owner ? `pid/tid ${worker.owner.tid}${worker.owner.alive ? '' : ' (dead)'}` : 'no owner';
    const task = worker.task ? `, ${worker.task.state} task ${worker.task.id} of submitter ${worker.task.submitter}` : '';
    lines.push(`    worker ${worker.id}: ${worker.state}, ${who}, busy ${worker.busyMs} ms, tasks ${worker.tasksRun}${task}`);
  }
  return lines;
}

/** watch's counters for a pool. */
export function poolCounters(pool: PoolReport, add: (counter: string, value: number, rate?: boolean) => void): void {
  add('queued', pool.queued);
  add('running', pool.running);
  add('completed', pool.completed, true);
  add('failed', pool.failed, true);
  add('crashed', pool.crashed, true);
  add('timed out', pool.timedOut, true);
  add('workers', pool.liveWorkers);
  for (const worker of pool.workers) add(`worker ${worker.id} busy ms`, worker.busyMs, true);
}
