/**
 * PoolBlock: typed access to the pool's control block (layout: src/layout/pool.ts) for the
 * owner, submitters, workers and the CLI. Only index arithmetic lives here; the protocols that
 * use the words are in take.ts (workers) and supervisor.ts (the owner).
 */
import { IncompatibleSectionError } from '../errors.js';
import {
  cancelTablesOffset,
  POOL_CANCEL_SLOTS,
  POOL_CODEC_OFFSET,
  POOL_COMPLETED_OFFSET,
  POOL_CRASHED_OFFSET,
  POOL_EPOCH_OFFSET,
  POOL_FAILED_OFFSET,
  POOL_LIVE_WORKERS_OFFSET,
  POOL_MAGIC,
  POOL_MAGIC_OFFSET,
  POOL_MAX_QUEUE_OFFSET,
  POOL_MODE_OFFSET,
  POOL_QUEUED_OFFSET,
  POOL_RUNNING_OFFSET,
  POOL_STATE_OFFSET,
  POOL_SUBMITTER_SLOTS,
  POOL_SUBMITTER_SLOTS_OFFSET,
  POOL_SUPERVISOR_OFFSET,
  POOL_TASK_TIMEOUT_OFFSET,
  POOL_TIMED_OUT_OFFSET,
  POOL_VERSION,
  POOL_VERSION_OFFSET,
  POOL_WORKER_SLOTS_OFFSET,
  POOL_WORKER_TABLE_OFFSET,
  poolBlockLength,
  submitterTableOffset,
  SUBMITTER_SLOT_LENGTH,
  WORKER_SLOT_LENGTH,
} from '../layout/pool.js';

/** What the owner writes once, at creation. */
export interface PoolBlockSettings {
  workerSlots: number;
  taskTimeout: number;
  maxQueue: number;
  mode: number;
  codec: number;
  supervisor: number;
}

/** Views over one pool control block. */
export class PoolBlock {
  readonly words: Int32Array;
  readonly workerSlots: number;
  /** Word index of worker slot 0; slot w's word k is at workerBase + w * WORKER_STRIDE + k. */
  readonly workerBase: number;
  readonly submitterBase: number;
  readonly cancelBase: number;
  readonly epoch: number;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number) {
    const head = new Int32Array(buffer, byteOffset, 64);
    if (head[POOL_MAGIC_OFFSET >> 2] !== POOL_MAGIC || head[POOL_VERSION_OFFSET >> 2] !== POOL_VERSION) {
      throw new IncompatibleSectionError('the pool control block has a wrong magic or version (another shmkit version made this pool?)');
    }
    this.workerSlots = head[POOL_WORKER_SLOTS_OFFSET >> 2]!;
    if (head[POOL_SUBMITTER_SLOTS_OFFSET >> 2] !== POOL_SUBMITTER_SLOTS) throw new IncompatibleSectionError('the pool control block has another submitter table size');
    this.words = new Int32Array(buffer, byteOffset, poolBlockLength(this.workerSlots) >> 2);
    this.workerBase = POOL_WORKER_TABLE_OFFSET >> 2;
    this.submitterBase = submitterTableOffset(this.workerSlots) >> 2;
    this.cancelBase = cancelTablesOffset(this.workerSlots) >> 2;
    this.epoch = new Float64Array(buffer, byteOffset + POOL_EPOCH_OFFSET, 1)[0]!;
  }

  /** Lays out a fresh block (zeroed memory) at `byteOffset`. */
  static initialize(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, settings: PoolBlockSettings): void {
    const words = new Int32Array(buffer, byteOffset, 64);
    words[POOL_WORKER_SLOTS_OFFSET >> 2] = settings.workerSlots;
    words[POOL_SUBMITTER_SLOTS_OFFSET >> 2] = POOL_SUBMITTER_SLOTS;
    words[POOL_TASK_TIMEOUT_OFFSET >> 2] = settings.taskTimeout;
    words[POOL_MAX_QUEUE_OFFSET >> 2] = settings.maxQueue;
    words[POOL_MODE_OFFSET >> 2] = settings.mode;
    words[POOL_CODEC_OFFSET >> 2] = settings.codec;
    words[POOL_SUPERVISOR_OFFSET >> 2] = settings.supervisor;
    new Float64Array(buffer, byteOffset + POOL_EPOCH_OFFSET, 1)[0] = Date.now();
    words[POOL_STATE_OFFSET >> 2] = 1;
    words[POOL_VERSION_OFFSET >> 2] = POOL_VERSION;
    // SYNC POINT: the magic last; the directory publishes the object after this returns anyway.
    Atomics.store(words, POOL_MAGIC_OFFSET >> 2, POOL_MAGIC);
  }

  /** Milliseconds since the pool's epoch: the clock of deadlines and start times. */
  now(): number {
    return (Date.now() - this.epoch) | 0;
  }

  /** Word index of word `offset` (bytes) of worker slot `w`. */
  worker(w: number, offset: number): number {
    return this.workerBase + ((w * WORKER_SLOT_LENGTH + offset) >> 2);
  }

  /** Word index of word `offset` (bytes) of submitter slot `s`. */
  submitter(s: number, offset: number): number {
    return this.submitterBase + ((s * SUBMITTER_SLOT_LENGTH + offset) >> 2);
  }

  /** Word index of the cancel word of task `id` of submitter `s`. */
  cancel(s: number, id: number): number {
    return this.cancelBase + s * POOL_CANCEL_SLOTS + (id & (POOL_CANCEL_SLOTS - 1));
  }

  load(index: number): number {
    return Atomics.load(this.words, index);
  }

  get state(): number {
    return Atomics.load(this.words, POOL_STATE_OFFSET >> 2);
  }

  set state(value: number) {
    Atomics.store(this.words, POOL_STATE_OFFSET >> 2, value);
  }

  get taskTimeout(): number {
    return this.words[POOL_TASK_TIMEOUT_OFFSET >> 2]!;
  }

  get maxQueue(): number {
    return this.words[POOL_MAX_QUEUE_OFFSET >> 2]!;
  }

  get mode(): number {
    return this.words[POOL_MODE_OFFSET >> 2]!;
  }

  get codec(): number {
    return this.words[POOL_CODEC_OFFSET >> 2]!;
  }

  get supervisor(): number {
    return Atomics.load(this.words, POOL_SUPERVISOR_OFFSET >> 2);
  }

  /** Adds to a counter (byte offset from layout/pool.ts); returns the old value. */
  count(offset: number, by: number): number {
    return Atomics.add(this.words, offset >> 2, by);
  }

  counter(offset: number): number {
    return Atomics.load(this.words, offset >> 2);
  }

  /** Every counter, for stats() and the CLI. */
  counters(): { queued: number; running: number; completed: number; failed: number; crashed: number; timedOut: number; liveWorkers: number } {
    return {
      queued: Math.max(0, this.counter(POOL_QUEUED_OFFSET)),
      running: Math.max(0, this.counter(POOL_RUNNING_OFFSET)),
      completed: this.counter(POOL_COMPLETED_OFFSET) >>> 0,
      failed: this.counter(POOL_FAILED_OFFSET) >>> 0,
      crashed: this.counter(POOL_CRASHED_OFFSET) >>> 0,
      timedOut: this.counter(POOL_TIMED_OUT_OFFSET) >>> 0,
      liveWorkers: this.counter(POOL_LIVE_WORKERS_OFFSET),
    };
  }
}
