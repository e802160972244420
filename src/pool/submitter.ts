/**
 * Submitter: one process's side of a pool (the owner's and each Pool.connect's). It holds a
 * submitter slot, sends tasks to the queue in batches (one publication per event-loop turn),
 * and matches results from its own results channel to promises by task id.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { Channel } from '../channel/channel.js';
import { encodeValue, resolveCodec, type Codec } from '../codec/index.js';
import {
  AbortError,
  ChannelEndedError,
  HandlerNotFoundError,
  InvalidArgValueError,
  PoolClosedError,
  QueueFullError,
  ShmkitError,
  TaskTimeoutError,
  UnserializableValueError,
  WorkerCrashedError,
} from '../errors.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import {
  ABORT_REASON_ABORTED,
  ABORT_REASON_TIMEOUT,
  CONTROL_ABORT,
  CONTROL_LENGTH,
  CONTROL_POKE,
  POOL_QUEUED_OFFSET,
  POOL_STATE_CLOSED,
  POOL_STATE_OPEN,
  POOL_SUBMITTER_SLOTS,
  POOL_TIMED_OUT_OFFSET,
  RESULT_CLOSED,
  RESULT_CRASHED,
  RESULT_HEADER_LENGTH,
  RESULT_OK,
  RESULT_TIMED_OUT,
  SUBMITTER_GENERATION_OFFSET,
  SUBMITTER_IN_FLIGHT_OFFSET,
  SUBMITTER_OWNER_OFFSET,
  SUBMITTER_PID_OFFSET,
  TAKE_NONE,
  TASK_FLAG_LARGE,
  WORKER_TAKE_STATE_OFFSET,
  WORKER_TASK_ID_OFFSET,
  WORKER_TASK_SUBMITTER_OFFSET,
} from '../layout/pool.js';
import type { Namespace } from '../namespace.js';
import { codecName, parseRunOptions, type RunOptions } from './options.js';
import type { PoolBlock } from './pool-block.js';
import { controlChannel, resultsChannel, taskQueue } from './pool-namespace.js';
import { decodeError, encodeName, readU32, taskRecord, writeU32 } from './records.js';
import { largeKey } from './worker-runtime.js';

/** How often a submitter with tasks in flight and no results looks whether the pool still lives. */
const LIVENESS_CHECK_MS = 250;
/** How often a run() waiting for room in a full queue looks again (besides its own results). */
const ROOM_CHECK_MS = 5;

/** A task in flight: its promise's settle functions and what to undo when it settles. */
class PendingTask {
  resolve!: (value: unknown) => void;
  reject!: (reason: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  constructor(
    readonly id: number,
    readonly submittedAt: number,
    readonly timeout: number,
  ) {}
}

/** Percentiles of a histogram of microseconds, in milliseconds. */
export interface TimeSummary {
  /** Tasks measured. */
  count: number;
  /** Median (ms). */
  p50: number;
  /** 99th percentile (ms). */
  p99: number;
  /** Largest (ms). */
  max: number;
  /** Mean (ms). */
  mean: number;
}

export class Submitter {
  readonly slot: number;
  readonly generation: number;
  readonly runTime: RecordableHistogram = createHistogram();
  readonly waitTime: RecordableHistogram = createHistogram();
  private readonly codec: Codec;
  private readonly queue: Channel<Uint8Array>;
  private readonly results: Channel<Uint8Array>;
  private readonly pending = new Map<number, PendingTask>();
  private readonly outgoing: Uint8Array[] = [];
  private readonly names = new Map<string, Uint8Array>();
  private readonly onResult = (bytes: Uint8Array, offset: number, length: number): void => this.settleFrom(bytes, offset, length);
  private readonly flushNow = (): void => this.flush();
  private readonly roomWaiters: Array<() => void> = [];
  private nextId = 1;
  private flushScheduled = false;
  private flushing = false;
  private receiving = false;
  private roomTimer: NodeJS.Timeout | undefined;
  private closedError: Error | undefined;
  private drainWaiters: Array<() => void> = [];
  private controls: Array<Channel<Uint8Array> | undefined> = [];
  private readonly controlRecord = new Uint8Array(CONTROL_LENGTH);

  constructor(
    private readonly ns: Namespace,
    private readonly block: PoolBlock,
  ) {
    this.codec = resolveCodec(codecName(block.codec));
    const { slot, generation } = claimSlot(ns, block);
    this.slot = slot;
    this.generation = generation;
    this.queue = taskQueue(ns);
    this.results = resultsChannel(ns, slot);
    // Results a dead predecessor in this slot never read: they carry its generation, skipped.
    this.results.tryPoll(this.onResult);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** pool.run(). */
  submit(task: unknown, options: RunOptions | undefined): Promise<unknown> {
    let parsed: ReturnType<typeof parseRunOptions>;
    let payload: Uint8Array;
    try {
      parsed = parseRunOptions(options);
      if (this.closedError) throw this.closedError;
      if (this.block.state !== POOL_STATE_OPEN) throw new PoolClosedError('the pool is closing or closed: run() takes no more tasks');
      if (parsed.signal?.aborted) throw abortReason(parsed.signal);
      payload = encodeValue(this.codec, task);
    } catch (error) {
      return Promise.reject(error);
    }
    const maxQueue = this.block.maxQueue;
    if (maxQueue > 0 && this.block.counter(POOL_QUEUED_OFFSET) + 1 > maxQueue) {
      if (!parsed.wait) return Promise.reject(new QueueFullError(`the pool's queue holds maxQueue (${maxQueue}) tasks; pass { wait: true } to wait for room`));
      const copy = payload.slice(); // the codec reuses its buffer
      return this.waitForRoom(parsed, () => this.tryEnqueue(copy, parsed));
    }
    return this.tryEnqueue(payload, parsed);
  }

  /** enqueue, with a failure (a large task the namespace cannot hold) as a rejection, never a throw. */
  private tryEnqueue(payload: Uint8Array, parsed: ReturnType<typeof parseRunOptions>): Promise<unknown> {
    try {
      return this.enqueue(payload, parsed);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private enqueue(payload: Uint8Array, parsed: ReturnType<typeof parseRunOptions>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fffe ? 1 : this.nextId + 1;
    const timeout = parsed.timeout > 0 ? parsed.timeout : this.block.taskTimeout;
    const deadline = timeout > 0 ? (this.block.now() + Math.ceil(timeout)) | 0 : 0;
    let name: Uint8Array | undefined;
    if (parsed.name !== undefined) {
      name = this.names.get(parsed.name);
      if (name === undefined) this.names.set(parsed.name, (name = encodeName(parsed.name)));
    }
    let record = taskRecord(id, this.slot, 0, this.generation, deadline, name, payload);
    if (record.length > this.queue.maxMessageLength) {
      // Too large for a queue record: the bytes wait in a namespace variable, the record names it.
      this.ns.set(largeKey(this.slot, this.generation, id), payload.slice());
      const length = new Uint8Array(4);
      writeU32(length, 0, payload.length);
      record = taskRecord(id, this.slot, TASK_FLAG_LARGE, this.generation, deadline, name, length);
    }
    const task = new PendingTask(id, performance.now(), timeout);
    const promise = new Promise<unknown>((resolve, reject) => {
      task.resolve = resolve;
      task.reject = reject;
    });
    this.pending.set(id, task);
    this.block.count(POOL_QUEUED_OFFSET, 1);
    this.outgoing.push(record);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
    if (timeout > 0) task.timer = setTimeout(onTimeout, timeout, this, task);
    const signal = parsed.signal;
    if (signal) {
      task.signal = signal;
      task.onAbort = () => this.drop(task, abortReason(signal), ABORT_REASON_ABORTED);
      signal.addEventListener('abort', task.onAbort, { once: true });
    }
    if (!this.receiving) void this.receive();
    return promise;
  }

  /** Sends what run() queued this turn: one publication (one wake of a parked worker) for the batch. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.flushing || this.outgoing.length === 0) return;
    const outgoing = this.outgoing;
    let sent: number;
    try {
      sent = this.queue.tryWriteMany(outgoing);
    } catch (error) {
      this.failOutgoing(error);
      return;
    }
    if (sent === outgoing.length) {
      outgoing.length = 0;
      return;
    }
    outgoing.splice(0, sent);
    void this.flushWaiting();
  }

  /** The queue is full: wait for room, batch by batch, keeping order. */
  private async flushWaiting(): Promise<void> {
    this.flushing = true;
    try {
      while (this.outgoing.length > 0) {
        const batch = this.outgoing.splice(0);
        await this.queue.writeMany(batch);
      }
    } catch (error) {
      this.failOutgoing(error);
    } finally {
      this.flushing = false;
    }
  }

  private failOutgoing(error: unknown): void {
    const failure = error instanceof ChannelEndedError ? new PoolClosedError('the pool closed before this task was queued') : error;
    for (const record of this.outgoing.splice(0)) {
      this.block.count(POOL_QUEUED_OFFSET, -1);
      const task = this.pending.get(readU32(record, 0));
      if (task) this.settle(task, undefined, failure);
    }
  }

  /**
   * Waits until the queue has room, then calls `onRoom` (which enqueues) at once, in the same
   * check: the queued count it raises is what the next waiter's check reads, so waiters
   * released together never push the queue past maxQueue.
   */
  private waitForRoom(parsed: ReturnType<typeof parseRunOptions>, onRoom: () => Promise<unknown>): Promise<unknown> {
    const maxQueue = this.block.maxQueue;
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = parsed.signal;
      const done = (error?: unknown): void => {
        const at = this.roomWaiters.indexOf(check);
        if (at >= 0) this.roomWaiters.splice(at, 1);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(onRoom());
        else reject(error);
      };
      const check = (): void => {
        if (this.closedError) done(this.closedError);
        else if (this.block.counter(POOL_QUEUED_OFFSET) + 1 <= maxQueue) done();
      };
      const onAbort = (): void => done(abortReason(signal!));
      if (parsed.timeout > 0) {
        timer = setTimeout(() => done(new TaskTimeoutError(`no room in the pool's queue (maxQueue ${maxQueue}) within ${parsed.timeout} ms`)), parsed.timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.roomWaiters.push(check);
      this.watchRoom();
    });
  }

  /** Other submitters' tasks also make room: look now and then while anyone waits. */
  private watchRoom(): void {
    if (this.roomTimer || this.roomWaiters.length === 0) return;
    this.roomTimer = setTimeout(() => {
      this.roomTimer = undefined;
      this.checkRoom();
      this.watchRoom();
    }, ROOM_CHECK_MS);
  }

  private checkRoom(): void {
    for (const check of this.roomWaiters.slice()) check();
  }

  /** The receive loop: runs while tasks are in flight, parked on the results channel. */
  private async receive(): Promise<void> {
    this.receiving = true;
    try {
      while (this.pending.size > 0) {
        try {
          await this.results.poll(this.onResult, Infinity, { timeout: LIVENESS_CHECK_MS });
        } catch (error) {
          const code = (error as ShmkitError).code;
          if (code === 'ERR_SHMKIT_TIMEOUT') this.checkPoolLives();
          else if (code === 'ERR_SHMKIT_SECTION_CLOSED') return;
          else throw error;
        }
        if (this.roomWaiters.length > 0) this.checkRoom();
      }
    } catch (error) {
      this.failAll(error);
    } finally {
      this.receiving = false;
    }
    if (this.pending.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** A pool destroyed, or whose owner died, sends nothing more: fail what is in flight. */
  private checkPoolLives(): void {
    if (this.block.state === POOL_STATE_CLOSED) {
      this.failAll(new PoolClosedError('the pool was destroyed'));
      return;
    }
    const supervisor = this.block.supervisor;
    if (supervisor !== 0 && !this.ns.section.waiter.isAlive(ownerPid(supervisor), ownerHash(supervisor))) {
      this.failAll(new PoolClosedError(`the pool's owner process (pid ${ownerPid(supervisor)}) died`));
    }
  }

  private settleFrom(bytes: Uint8Array, offset: number, length: number): void {
    if (readU32(bytes, offset + 8) !== this.generation) return; // a predecessor's
    const task = this.pending.get(readU32(bytes, offset));
    if (task === undefined) return; // settled already (aborted, timed out)
    const status = readU32(bytes, offset + 4);
    const micros = readU32(bytes, offset + 12);
    const payload = bytes.subarray(offset + RESULT_HEADER_LENGTH, offset + length);
    const totalMicros = Math.round((performance.now() - task.submittedAt) * 1000);
    this.runTime.record(Math.max(1, micros));
    this.waitTime.record(Math.max(1, totalMicros - micros));
    if (status === RESULT_OK) {
      let value: unknown;
      try {
        value = this.codec.decode(payload);
      } catch (error) {
        this.settle(task, undefined, error);
        return;
      }
      this.settle(task, value, undefined);
      return;
    }
    this.settle(task, undefined, resultError(status, payload));
  }

  private settle(task: PendingTask, value: unknown, error: unknown): void {
    if (!this.pending.delete(task.id)) return;
    if (task.timer) clearTimeout(task.timer);
    if (task.onAbort) task.signal!.removeEventListener('abort', task.onAbort);
    if (error === undefined) task.resolve(value);
    else task.reject(error);
    if (this.pending.size === 0 && !this.receiving) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /**
   * Gives up on a task (abort, timeout, destroy): its promise rejects now; a worker that takes
   * it later skips it (the cancel table); a worker running it gets an abort (ctx.signal).
   */
  drop(task: PendingTask, error: unknown, reason: number): void {
    if (!this.pending.has(task.id)) return;
    this.settle(task, undefined, error);
    const block = this.block;
    // SYNC POINT: the cancel word first, then the look at the workers; a worker records the
    // task first, then reads the cancel word: one of us sees the other.
    Atomics.store(block.words, block.cancel(this.slot, task.id), task.id | 0);
    for (let w = 0; w < block.workerSlots; w++) {
      if (Atomics.load(block.words, block.worker(w, WORKER_TAKE_STATE_OFFSET)) === TAKE_NONE) continue;
      if (Atomics.load(block.words, block.worker(w, WORKER_TASK_SUBMITTER_OFFSET)) !== this.slot) continue;
      if (Atomics.load(block.words, block.worker(w, WORKER_TASK_ID_OFFSET)) !== (task.id | 0)) continue;
      this.sendControl(w, CONTROL_ABORT, task.id, reason);
    }
  }

  timedOut(task: PendingTask): void {
    if (!this.pending.has(task.id)) return;
    this.block.count(POOL_TIMED_OUT_OFFSET, 1);
    this.drop(task, new TaskTimeoutError(`the task did not finish within ${task.timeout} ms`), ABORT_REASON_TIMEOUT);
  }

  /** A control record to worker `worker` (abort a task of submitter `submitter`, or stop). */
  sendControl(worker: number, op: number, id: number, reason: number, submitter = this.slot): void {
    const record = this.controlRecord;
    writeU32(record, 0, op);
    writeU32(record, 4, submitter);
    writeU32(record, 8, id);
    writeU32(record, 12, reason);
    const channel = (this.controls[worker] ??= controlChannel(this.ns, worker));
    if (!channel.tryWrite(record) && op !== CONTROL_POKE) void channel.write(record.slice(), { timeout: 5_000 }).catch(() => undefined);
  }

  /** Rejects every task in flight (and every waiting run()) with `error`; they are dropped in the workers too. */
  failAll(error: unknown, reason = ABORT_REASON_ABORTED): void {
    for (const task of [...this.pending.values()]) this.drop(task, error, reason);
    for (const check of this.roomWaiters.slice()) check();
  }

  /** No more run(): later calls reject with `error`. */
  refuse(error: Error): void {
    this.closedError ??= error;
    for (const check of this.roomWaiters.slice()) check();
  }

  /** Resolves once nothing of this submitter is in flight. */
  drained(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Gives the slot back (after drained() or failAll()). */
  release(): void {
    const block = this.block;
    if (this.roomTimer) clearTimeout(this.roomTimer);
    Atomics.store(block.words, block.submitter(this.slot, SUBMITTER_IN_FLIGHT_OFFSET), 0);
    Atomics.store(block.words, block.submitter(this.slot, SUBMITTER_OWNER_OFFSET), 0);
  }

  summary(histogram: RecordableHistogram): TimeSummary {
    if (histogram.count === 0) return { count: 0, p50: 0, p99: 0, max: 0, mean: 0 };
    return {
      count: histogram.count,
      p50: histogram.percentile(50) / 1000,
      p99: histogram.percentile(99) / 1000,
      max: histogram.max / 1000,
      mean: histogram.mean / 1000,
    };
  }
}

function onTimeout(submitter: Submitter, task: PendingTask): void {
  submitter.timedOut(task);
}

/** Takes a free submitter slot and bumps its generation. */
function claimSlot(ns: Namespace, block: PoolBlock): { slot: number; generation: number } {
  const identity = ns.section.waiter.identity;
  const word = ownerWord(identity.pid, identity.startTime) | 0;
  for (let s = 0; s < POOL_SUBMITTER_SLOTS; s++) {
    const owner = block.submitter(s, SUBMITTER_OWNER_OFFSET);
    if (Atomics.compareExchange(block.words, owner, 0, word) !== 0) continue;
    const generation = (Atomics.add(block.words, block.submitter(s, SUBMITTER_GENERATION_OFFSET), 1) + 1) >>> 0;
    Atomics.store(block.words, block.submitter(s, SUBMITTER_PID_OFFSET), process.pid);
    return { slot: s, generation };
  }
  throw new InvalidArgValueError(`all ${POOL_SUBMITTER_SLOTS} submitter slots of this pool are taken (a dead submitter's is freed within a second)`);
}

/** As every blocking call of the library: AbortError (ERR_SHMKIT_ABORTED), the signal's reason as `cause`. */
function abortReason(signal: AbortSignal): AbortError {
  return new AbortError('the task was aborted', { cause: signal.reason });
}

/** The error a failed result stands for: our own classes for pool failures, else a copy of the handler's. */
function resultError(status: number, payload: Uint8Array): Error {
  const described = decodeError(payload);
  if (status === RESULT_CRASHED) return new WorkerCrashedError(described.message);
  if (status === RESULT_TIMED_OUT) return new TaskTimeoutError(described.message);
  if (status === RESULT_CLOSED) return new PoolClosedError(described.message);
  const Typed = described.code === undefined ? undefined : TYPED_ERRORS[described.code];
  if (Typed) {
    const typed = new Typed(described.message);
    if (described.stack) typed.stack = described.stack;
    return typed;
  }
  const error = new Error(described.message);
  error.name = described.name;
  if (described.stack) error.stack = described.stack;
  if (described.code !== undefined) (error as Error & { code: string }).code = described.code;
  return error;
}

/** shmkit errors a worker may send back as a task's failure, rebuilt as this copy's classes. */
const TYPED_ERRORS: Record<string, new (message: string) => Error> = {
  ERR_SHMKIT_UNSERIALIZABLE: UnserializableValueError,
  ERR_SHMKIT_HANDLER_NOT_FOUND: HandlerNotFoundError,
  ERR_SHMKIT_TASK_TIMEOUT: TaskTimeoutError,
  ERR_SHMKIT_ABORTED: AbortError,
  ERR_SHMKIT_POOL_CLOSED: PoolClosedError,
};

