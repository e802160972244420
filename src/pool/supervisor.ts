/**
 * Supervisor: the pool owner's side. It starts workers (minWorkers at once, more while tasks
 * wait, up to maxWorkers), retires idle ones above minWorkers, and when a worker dies fails
 * the task it held (take.ts says how it knows which, and why nothing is failed and run both)
 * and starts a replacement. A timer (every 100 ms, unref'd) kills workers past a task's
 * deadline plus a grace period and frees the slots of dead submitters.
 */
import type { Channel } from '../channel/channel.js';
import { PoolClosedError, TaskTimeoutError, TypeScriptUnsupportedError, WorkerCrashedError, WorkerStartError } from '../errors.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import {
  ABORT_REASON_SUBMITTER_GONE,
  CONTROL_ABORT,
  CONTROL_POKE,
  CONTROL_STOP,
  POOL_CRASHED_OFFSET,
  POOL_LIVE_WORKERS_OFFSET,
  POOL_QUEUED_OFFSET,
  POOL_RUNNING_OFFSET,
  POOL_SUBMITTER_SLOTS,
  RESULT_CLOSED,
  RESULT_CRASHED,
  RESULT_TIMED_OUT,
  SUBMITTER_GENERATION_OFFSET,
  SUBMITTER_OWNER_OFFSET,
  TAKE_HELD,
  TAKE_NONE,
  TASK_FLAG_LARGE,
  WORKER_BUSY,
  WORKER_DEADLINE_OFFSET,
  WORKER_EXITED,
  WORKER_IDLE,
  WORKER_IDLE_SINCE_OFFSET,
  WORKER_INCARNATION_OFFSET,
  WORKER_OWNER_OFFSET,
  WORKER_STARTING,
  WORKER_STATE_OFFSET,
  WORKER_TAKE_STATE_OFFSET,
  WORKER_TASK_ID_OFFSET,
  WORKER_TASK_SUBMITTER_OFFSET,
} from '../layout/pool.js';
import type { Namespace } from '../namespace.js';
import type { ParsedPoolOptions } from './options.js';
import type { PoolBlock } from './pool-block.js';
import { resultsChannel, taskQueue } from './pool-namespace.js';
import { encodeError, readU16, readU32, resultRecord } from './records.js';
import type { Submitter } from './submitter.js';
import { deadWorkerTask, Taker, type HeldTask } from './take.js';
import { startWorkerHost, type WorkerHost } from './worker-host.js';
import { largeKey } from './worker-runtime.js';

/** A worker that does not stop this long after its task's deadline is killed and replaced. */
export const TASK_TIMEOUT_GRACE_MS = 500;
const TICK_MS = 100;
/** Submitters' liveness is looked at every this many ticks. */
const SUBMITTER_CHECK_TICKS = 5;
/** Workers that die before they are ready this many times in a row: the pool gives up. */
const MAX_START_FAILURES = 3;
/** close(): how long workers get to stop after the queue drained before they are killed. */
const STOP_GRACE_MS = 5_000;
/** destroy(): how long an idle or starting thread gets to stop before it is terminated. */
const KILL_FALLBACK_MS = 2_000;
/** destroy(): how long a busy thread gets to stop before it is terminated. */
const BUSY_STOP_GRACE_MS = 250;

interface Running {
  host: WorkerHost;
  /** It runs the handler module's top level, or later: it may be terminated. */
  loading: boolean;
  ready: boolean;
  /** Why we ended it, if we did. */
  ending: 'timeout' | 'stop' | 'kill' | undefined;
  startError: Error | undefined;
  exited: Promise<void>;
  resolveExit: () => void;
}

export class Supervisor {
  private readonly running: Array<Running | undefined>;
  private readonly queue: Channel<Uint8Array>;
  private readonly taker: Taker;
  private readonly results = new Map<number, Channel<Uint8Array>>();
  private readonly timer: NodeJS.Timeout;
  private readonly ownWord: number;
  private live = 0;
  private ticks = 0;
  private startFailures = 0;
  private ending: 'close' | 'destroy' | undefined;
  /** Why the pool cannot run tasks (its workers cannot start), once known. */
  failure: Error | undefined;

  constructor(
    private readonly ns: Namespace,
    private readonly block: PoolBlock,
    private readonly options: ParsedPoolOptions,
    private readonly submitter: Submitter,
  ) {
    this.running = new Array<Running | undefined>(block.workerSlots).fill(undefined);
    this.queue = taskQueue(ns);
    this.taker = new Taker(block, this.queue.ring.header, -1);
    const identity = ns.section.waiter.identity;
    this.ownWord = ownerWord(identity.pid, identity.startTime) | 0;
    for (let w = 0; w < options.minWorkers; w++) this.spawn(w);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  get workers(): number {
    return this.live;
  }

  /** Called by the owner's run(): a task waits and no worker is free to take it. */
  grow(): void {
    if (this.ending || this.failure || this.live >= this.options.maxWorkers) return;
    const block = this.block;
    for (let w = 0; w < block.workerSlots; w++) {
      const state = Atomics.load(block.words, block.worker(w, WORKER_STATE_OFFSET));
      if (this.running[w] && (state === WORKER_IDLE || state === WORKER_STARTING)) return;
    }
    if (block.counter(POOL_QUEUED_OFFSET) <= 0) return;
    const free = this.running.findIndex((entry) => entry === undefined);
    if (free >= 0) this.spawn(free);
  }

  private spawn(slot: number): void {
    const block = this.block;
    Atomics.add(block.words, block.worker(slot, WORKER_INCARNATION_OFFSET), 1);
    Atomics.store(block.words, block.worker(slot, WORKER_STATE_OFFSET), WORKER_STARTING);
    let resolveExit!: () => void;
    const exited = new Promise<void>((resolve) => (resolveExit = resolve));
    const entry: Running = { host: undefined as unknown as WorkerHost, loading: false, ready: false, ending: undefined, startError: undefined, exited, resolveExit };
    this.running[slot] = entry;
    this.live++;
    block.count(POOL_LIVE_WORKERS_OFFSET, 1);
    const config = { namespace: this.ns.name, slot, filename: this.options.filename };
    entry.host = startWorkerHost(this.options, config, {
      loading: () => {
        entry.loading = true;
      },
      ready: () => {
        entry.loading = true;
        entry.ready = true;
        this.startFailures = 0;
      },
      startError: (error) => {
        entry.startError = rebuildStartError(error, this.options.filename);
      },
      exit: (code, signal, error) => this.onExit(slot, entry, code, signal, error),
    }, () => this.poke(slot));
  }

  /**
   * Wakes a dying thread's parked waits (worker-host.ts) with a record in its control channel,
   * so it exits at once rather than at the end of its hub's slice (doorbell-hub.ts). Nothing to
   * do once the namespace is closed.
   */
  private poke(slot: number): void {
    try {
      this.submitter.sendControl(slot, CONTROL_POKE, 0, 0);
    } catch {
      // the pool's handles are closed: the thread is gone or going
    }
  }

  private onExit(slot: number, entry: Running, code: number | null, signal: string | null, error: Error | undefined): void {
    const block = this.block;
    this.running[slot] = undefined;
    this.live--;
    block.count(POOL_LIVE_WORKERS_OFFSET, -1);
    Atomics.store(block.words, block.worker(slot, WORKER_OWNER_OFFSET), 0);
    Atomics.store(block.words, block.worker(slot, WORKER_STATE_OFFSET), WORKER_EXITED);
    const held = deadWorkerTask(block, this.queue.ring.header, slot);
    if (held === 'queued') this.rescue();
    else if (held) this.failHeld(held, entry, code, signal, error);
    entry.resolveExit();
    if (this.ending) return;
    if (!entry.ready) {
      this.startFailures++;
      if (entry.startError || this.startFailures >= MAX_START_FAILURES) {
        this.giveUp(entry.startError ?? new WorkerStartError(`pool workers died ${this.startFailures} times before they were ready (last: ${describeExit(code, signal, error)})`, { cause: error }));
        return;
      }
    }
    if (this.live < this.options.minWorkers || block.counter(POOL_QUEUED_OFFSET) > 0) this.spawn(slot);
  }

  /** A dead worker's task: failed, to its submitter, with why. */
  private failHeld(task: HeldTask, entry: Running, code: number | null, signal: string | null, error: Error | undefined): void {
    this.block.count(POOL_RUNNING_OFFSET, -1);
    if (entry.ending === 'timeout') {
      this.sendResult(task, RESULT_TIMED_OUT, new TaskTimeoutError(`the task ran past its deadline and its worker did not stop within ${TASK_TIMEOUT_GRACE_MS} ms: the worker was killed and replaced`));
      return;
    }
    if (entry.ending === 'kill' && this.ending === 'destroy') {
      this.sendResult(task, RESULT_CLOSED, new PoolClosedError('the pool was destroyed while this task ran'));
      return;
    }
    this.block.count(POOL_CRASHED_OFFSET, 1);
    this.sendResult(task, RESULT_CRASHED, new WorkerCrashedError(`the worker running this task died (${describeExit(code, signal, error)}); it was replaced`, { cause: error }));
  }

  private sendResult(task: HeldTask, status: number, error: Error): void {
    const block = this.block;
    if (Atomics.load(block.words, block.submitter(task.submitter, SUBMITTER_GENERATION_OFFSET)) !== (task.generation | 0)) return;
    if (Atomics.load(block.words, block.submitter(task.submitter, SUBMITTER_OWNER_OFFSET)) === 0) return;
    let channel = this.results.get(task.submitter);
    if (!channel) this.results.set(task.submitter, (channel = resultsChannel(this.ns, task.submitter)));
    const record = resultRecord(task.id, status, task.generation, 0, encodeError(error));
    if (!channel.tryWrite(record)) void channel.write(record, { timeout: 10_000 }).catch(() => undefined);
  }

  /**
   * A worker died holding the consumer lock before moving the head: its record is still the
   * next one. Take it over (clearing the dead slot) and put it back at the tail, so that the
   * task runs even if no other worker comes to read it.
   */
  private rescue(): void {
    try {
      if (this.queue.tryPoll(this.taker.onRecord, 1) === 0) return; // another reader took it over first
    } catch {
      return;
    }
    const record = this.taker.taken!;
    this.taker.taken = undefined;
    this.block.count(POOL_QUEUED_OFFSET, 1);
    if (!this.queue.tryWrite(record)) void this.queue.write(record).catch(() => undefined);
  }

  private tick(): void {
    if (this.ending === 'destroy') return;
    const block = this.block;
    const now = block.now();
    for (let w = 0; w < block.workerSlots; w++) {
      const entry = this.running[w];
      if (!entry || !entry.ready || entry.ending) continue;
      const deadline = Atomics.load(block.words, block.worker(w, WORKER_DEADLINE_OFFSET));
      if (deadline !== 0 && now - deadline > TASK_TIMEOUT_GRACE_MS && Atomics.load(block.words, block.worker(w, WORKER_TAKE_STATE_OFFSET)) === TAKE_HELD) {
        entry.ending = 'timeout';
        entry.host.kill();
        continue;
      }
      if (
        this.live > this.options.minWorkers &&
        Atomics.load(block.words, block.worker(w, WORKER_STATE_OFFSET)) === WORKER_IDLE &&
        now - Atomics.load(block.words, block.worker(w, WORKER_IDLE_SINCE_OFFSET)) > this.options.idleTimeout
      ) {
        entry.ending = 'stop';
        this.submitter.sendControl(w, CONTROL_STOP, 0, 0);
      }
    }
    this.grow();
    if (++this.ticks % SUBMITTER_CHECK_TICKS === 0) this.reclaimSubmitters();
  }

  /**
   * A dead submitter: its slot is freed (workers skip its queued tasks: they check the slot),
   * its running tasks are aborted, and results left in its channel are read and dropped.
   */
  private reclaimSubmitters(): void {
    const block = this.block;
    const waiter = this.ns.section.waiter;
    for (let s = 0; s < POOL_SUBMITTER_SLOTS; s++) {
      if (s === this.submitter.slot) continue;
      const ownerIndex = block.submitter(s, SUBMITTER_OWNER_OFFSET);
      const owner = Atomics.load(block.words, ownerIndex);
      if (owner === 0 || owner === this.ownWord || waiter.isAlive(ownerPid(owner), ownerHash(owner))) continue;
      // Hold the slot ourselves while we drain, so no new submitter reads the channel meanwhile.
      if (Atomics.compareExchange(block.words, ownerIndex, owner, this.ownWord) !== owner) continue;
      // First a generation nobody has: from here workers skip its queued tasks (also those
      // they take right after the aborts below free them) and its late results are dropped.
      Atomics.add(block.words, block.submitter(s, SUBMITTER_GENERATION_OFFSET), 1);
      for (let w = 0; w < block.workerSlots; w++) {
        if (!this.running[w]) continue;
        if (Atomics.load(block.words, block.worker(w, WORKER_TAKE_STATE_OFFSET)) === TAKE_NONE) continue;
        if (Atomics.load(block.words, block.worker(w, WORKER_TASK_SUBMITTER_OFFSET)) !== s) continue;
        this.submitter.sendControl(w, CONTROL_ABORT, readTaskId(block, w), ABORT_REASON_SUBMITTER_GONE, s);
      }
      this.drainResults(s);
      Atomics.store(block.words, ownerIndex, 0);
    }
  }

  private drainResults(slot: number): void {
    const channel = resultsChannel(this.ns, slot);
    try {
      channel.tryPoll(() => undefined);
    } catch {
      // ended or busy: nothing to drain here
    } finally {
      channel.close();
    }
  }

  /** The workers cannot start: every run() fails with `error`, queued tasks too. */
  private giveUp(error: Error): void {
    this.failure = error;
    this.submitter.refuse(error);
    this.failQueued(RESULT_CLOSED, error);
    this.submitter.failAll(error);
  }

  /** Reads every queued task and fails it to its submitter. */
  failQueued(status: number, error: Error): void {
    for (;;) {
      let taken: number;
      try {
        taken = this.queue.tryPoll(this.taker.onRecord, 1);
      } catch {
        return;
      }
      if (taken === 0) return;
      const record = this.taker.taken!;
      this.taker.taken = undefined;
      const task: HeldTask = { id: readU32(record, 0), submitter: readU16(record, 4), generation: readU32(record, 8) };
      if ((record[6]! & TASK_FLAG_LARGE) !== 0) this.ns.delete(largeKey(task.submitter, task.generation, task.id));
      this.sendResult(task, status, error);
    }
  }

  /** close(): asks every worker to stop once idle, then waits (killing those that do not stop in time). */
  async stopAll(): Promise<void> {
    this.ending = 'close';
    const all = this.running.map((entry, w) => {
      if (!entry) return undefined;
      entry.ending ??= 'stop';
      this.submitter.sendControl(w, CONTROL_STOP, 0, 0);
      return entry;
    });
    const timer = setTimeout(() => {
      for (const entry of all) entry?.host.kill();
    }, STOP_GRACE_MS);
    await Promise.all(all.map((entry) => entry?.exited));
    clearTimeout(timer);
    clearInterval(this.timer);
  }

  /**
   * destroy(): ends every worker now and fails what they held and what is queued. Processes
   * get SIGKILL. Threads are asked to stop, since terminating a thread in the middle of a
   * native call (koffi loading, a wait being armed, a result being sent) aborts the whole
   * process; a busy one that has not stopped after BUSY_STOP_GRACE_MS, and any other after
   * KILL_FALLBACK_MS, is terminated anyway once it is past the runtime's own start-up
   * (loading: its module's top level may never settle, and keep its event loop alive).
   */
  async killAll(): Promise<void> {
    this.ending = 'destroy';
    clearInterval(this.timer);
    const block = this.block;
    const all: Running[] = [];
    for (let w = 0; w < this.running.length; w++) {
      const entry = this.running[w];
      if (!entry) continue;
      all.push(entry);
      entry.ending = 'kill';
      if (this.options.mode === 'process') {
        entry.host.kill();
        continue;
      }
      // A busy thread may be between tasks (sending a result, taking the next) inside a koffi
      // call, and terminating it there aborts the whole process (seen once in CI). So it is
      // asked to stop too (its task was aborted by failAll) and terminated only after a short
      // grace, most likely inside a handler that ignores its signal: JavaScript, safe to stop.
      const busy = Atomics.load(block.words, block.worker(w, WORKER_STATE_OFFSET)) === WORKER_BUSY;
      const grace = busy && entry.ready ? BUSY_STOP_GRACE_MS : KILL_FALLBACK_MS;
      this.submitter.sendControl(w, CONTROL_STOP, 0, 0);
      let exited = false;
      let fallback: NodeJS.Timeout | undefined;
      const killLate = (): void => {
        if (exited) return;
        if (entry.loading) entry.host.kill();
        else fallback = setTimeout(killLate, KILL_FALLBACK_MS).unref();
      };
      fallback = setTimeout(killLate, grace).unref();
      void entry.exited.then(() => {
        exited = true;
        clearTimeout(fallback);
      });
    }
    await Promise.all(all.map((entry) => entry.exited));
    this.failQueued(RESULT_CLOSED, new PoolClosedError('the pool was destroyed before this task ran'));
  }

  /**
   * At the owner's process exit (owner-exit.ts), synchronously: asks every thread to stop and
   * blocks, at most `ms` in all, until each has finished, so that Node's termination of the
   * threads that follows finds none inside a native call. Busy threads finish their task first;
   * one that does not within `ms` is terminated where it is. Processes need nothing: they exit
   * when they see the owner gone.
   */
  stopThreadsAtExit(ms: number): void {
    if (this.options.mode === 'process') return;
    clearInterval(this.timer);
    const until = performance.now() + ms;
    for (let w = 0; w < this.running.length; w++) {
      if (this.running[w]) this.submitter.sendControl(w, CONTROL_STOP, 0, 0);
    }
    for (const entry of this.running) {
      if (!entry) continue;
      const left = until - performance.now();
      if (left <= 0) return;
      entry.host.waitFinished(left);
    }
  }

  closeHandles(): void {
    clearInterval(this.timer);
    for (const channel of this.results.values()) channel.close();
    this.queue.close();
  }
}

function readTaskId(block: PoolBlock, w: number): number {
  return Atomics.load(block.words, block.worker(w, WORKER_TASK_ID_OFFSET)) >>> 0;
}

function describeExit(code: number | null, signal: string | null, error: Error | undefined): string {
  if (error) return `${error.name}: ${error.message}`;
  if (signal) return `killed by ${signal}`;
  return `exit code ${code}`;
}

function rebuildStartError(error: { name: string; message: string; code?: string }, filename: string): Error {
  if (error.code === 'ERR_SHMKIT_TYPESCRIPT_UNSUPPORTED') {
    return new TypeScriptUnsupportedError(error.message);
  }
  return new WorkerStartError(`the pool worker could not load ${filename}: ${error.name}: ${error.message}`);
}
