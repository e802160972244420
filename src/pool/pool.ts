/**
 * Pool: a worker pool on threads or processes whose tasks and results move through shared
 * memory (the pool's namespace). The process that makes it owns it (its Supervisor starts and
 * replaces workers); any process may submit to it through Pool.connect(name). How the parts fit:
 * docs/architecture.md, "Pool"; why: docs/decisions.md, "Pool".
 */
import { randomBytes } from 'node:crypto';
import type { Broadcast } from '../channel/broadcast.js';
import type { Channel } from '../channel/channel.js';
import { InvalidArgValueError, PoolClosedError, SectionNotFoundError, TimeoutError } from '../errors.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import {
  ABORT_REASON_CLOSED,
  POOL_BROADCAST_NAME,
  POOL_COMPLETED_OFFSET,
  POOL_MODE_PROCESS,
  POOL_MODE_THREAD,
  POOL_STATE_CLOSED,
  POOL_STATE_CLOSING,
  WORKER_BUSY_MS_OFFSET,
} from '../layout/pool.js';
import { Namespace } from '../namespace.js';
import { validateKnownKeys, validateName, validateObject, validateTimeout } from '../validate.js';
import { mapTasks, type MapOptions } from './map.js';
import { codecNumber, parsePoolOptions, type PoolOptions, type RunOptions } from './options.js';
import type { PoolBlock } from './pool-block.js';
import { trackOwnedPool, untrackOwnedPool } from './owned-pools.js';
import { createPoolBlock, findPoolBlock, mailboxName, taskQueue } from './pool-namespace.js';
import { closeAtOwnerExit, onOwnerExit } from './owner-exit.js';
import { Submitter, type TimeSummary } from './submitter.js';
import { Supervisor } from './supervisor.js';

/** What pool.stats() reports. Counts are the pool's (every submitter's); times are this handle's tasks. */
export interface PoolStats {
  /** Tasks that returned a value. */
  completed: number;
  /** Tasks whose handler threw (or whose result could not be encoded). */
  failed: number;
  /** Tasks failed with WorkerCrashedError. */
  crashed: number;
  /** Tasks in the queue, not yet taken by a worker. */
  queued: number;
  /**
   * Tasks held by workers now. A worker lets go of a task just after it sent the result, so
   * right after a run() settles this may still count that task for a moment.
   */
  running: number;
  /** Live workers. */
  workers: number;
  /** Handler run time of this handle's tasks (ms). */
  runTime: TimeSummary;
  /** From run() to the result, less the run time, of this handle's tasks (ms): queueing and transport. */
  waitTime: TimeSummary;
  /** Busy time of all workers / (live workers x time since the pool started), 0..1. */
  utilization: number;
}

/** Options of Pool.connect(). */
export interface PoolConnectOptions {
  /** Ms to wait for the pool to exist (default 0: it must exist now). */
  timeout?: number;
}

let poolCounter = 0;
const CONNECT_RETRY_MS = 20;

/**
 * A pool of worker threads or processes running the handler exported by `filename`. Tasks go
 * through a shared-memory queue and results come back through the submitter's own channel,
 * never through postMessage or IPC. Use `await using pool = new Pool(...)` or close() it.
 */
export class Pool implements AsyncDisposable {
  /** The pool's namespace: its variables, caches and channels are shared with every worker. */
  readonly namespace: Namespace;
  /** The namespace name: what Pool.connect() takes. */
  readonly name: string;
  private readonly block: PoolBlock;
  private readonly submitter: Submitter;
  private readonly supervisor: Supervisor | undefined;
  private readonly startedAt = Date.now();
  private readonly defaultConcurrency: number;
  private broadcaster: Broadcast | undefined;
  private readonly mailboxes = new Map<number, Channel>();
  private ending: Promise<void> | undefined;
  /** Drops the owner's process 'exit' hook (owner-exit.ts) once the pool is closed. */
  private forgetAtExit: (() => void) | undefined;

  /** Makes a pool (this process owns it and supervises its workers). */
  constructor(options: PoolOptions);
  /** @internal Pool.connect's handle. */
  constructor(options: PoolOptions, connected: { ns: Namespace; block: PoolBlock });
  constructor(options: PoolOptions, connected?: { ns: Namespace; block: PoolBlock }) {
    if (connected) {
      this.namespace = connected.ns;
      this.block = connected.block;
      this.name = connected.ns.name;
      this.submitter = new Submitter(connected.ns, connected.block);
      this.defaultConcurrency = Math.max(1, connected.block.workerSlots) * 8;
      return;
    }
    const parsed = parsePoolOptions(options);
    const name = parsed.name ?? `shmkit-pool-${process.pid}-${++poolCounter}-${randomBytes(4).toString('hex')}`;
    this.name = name;
    this.namespace = openFresh(name);
    try {
      const identity = this.namespace.section.waiter.identity;
      this.block = createPoolBlock(this.namespace, {
        workerSlots: parsed.maxWorkers,
        taskTimeout: parsed.taskTimeout,
        maxQueue: parsed.maxQueue,
        mode: parsed.mode === 'process' ? POOL_MODE_PROCESS : POOL_MODE_THREAD,
        codec: codecNumber(parsed.codec),
        supervisor: ownerWord(identity.pid, identity.startTime) | 0,
      });
      taskQueue(this.namespace); // made now, before any worker or submitter looks for it
      this.submitter = new Submitter(this.namespace, this.block);
      this.supervisor = new Supervisor(this.namespace, this.block, parsed, this.submitter);
      this.defaultConcurrency = parsed.maxWorkers * 8;
      const block = this.block;
      const section = this.namespace.section;
      const supervisor = this.supervisor;
      this.forgetAtExit = onOwnerExit(() =>
        closeAtOwnerExit(block, (ms) => supervisor.stopThreadsAtExit(ms), () => section.unlink()),
      );
    } catch (error) {
      this.namespace.destroy();
      throw error;
    }
    trackOwnedPool(this); // a pool worker that stops destroys it first (owned-pools.ts)
  }

  /**
   * A handle on the pool `name` made by another process (or this one): run() here sends to
   * the same workers, and results come back here. SectionNotFoundError if there is no such
   * pool within `timeout` ms.
   */
  static async connect(name: string, options: PoolConnectOptions = {}): Promise<Pool> {
    validateName(name, 'pool name');
    const parsed = validateObject<PoolConnectOptions>(options, 'Pool.connect options');
    validateKnownKeys(parsed, ['timeout'], 'Pool.connect options');
    const timeout = validateTimeout(parsed.timeout, 'Pool.connect options.timeout', 0);
    const deadline = performance.now() + timeout;
    for (;;) {
      let ns: Namespace | undefined;
      try {
        ns = Namespace.open(name, { reuse: true });
        const block = findPoolBlock(ns);
        if (block) {
          if (block.state >= POOL_STATE_CLOSING) throw new PoolClosedError(`the pool '${name}' is closing or closed`);
          return new Pool(undefined as unknown as PoolOptions, { ns, block });
        }
        ns.close();
        ns = undefined;
      } catch (error) {
        ns?.close();
        if (!(error instanceof SectionNotFoundError)) throw error;
      }
      if (performance.now() >= deadline) {
        throw timeout > 0 ? new TimeoutError(`Pool.connect('${name}'): no pool of that name within ${timeout} ms`) : new SectionNotFoundError(name, `no pool '${name}': create it with new Pool({ name: '${name}', ... }) or pass { timeout } to wait for it`);
      }
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }

  /** Runs `task` on a worker: resolves with the handler's result, rejects with its error or the pool's (see RunOptions). */
  run<R = unknown>(task: unknown, options?: RunOptions): Promise<R> {
    const promise = this.submitter.submit(task, options) as Promise<R>;
    this.supervisor?.grow();
    return promise;
  }

  /** Runs a task per item: results in input order, at most `concurrency` in flight. */
  map<R = unknown>(iterable: Iterable<unknown> | AsyncIterable<unknown>, options?: MapOptions): AsyncGenerator<R, void, undefined> {
    return mapTasks<R>((task, runOptions) => this.run(task, runOptions), iterable, options, this.defaultConcurrency);
  }

  /** Counters of the pool and time percentiles of this handle's tasks. */
  stats(): PoolStats {
    const counters = this.block.counters();
    const block = this.block;
    let busy = 0;
    for (let w = 0; w < block.workerSlots; w++) busy += Atomics.load(block.words, block.worker(w, WORKER_BUSY_MS_OFFSET)) >>> 0;
    const workers = Math.max(0, counters.liveWorkers);
    const elapsed = Math.max(1, Date.now() - Math.max(this.startedAt, block.epoch));
    return {
      completed: counters.completed,
      failed: counters.failed,
      crashed: counters.crashed,
      queued: counters.queued,
      running: counters.running,
      workers,
      runTime: this.submitter.summary(this.submitter.runTime),
      waitTime: this.submitter.summary(this.submitter.waitTime),
      utilization: workers === 0 ? 0 : Math.min(1, busy / (workers * elapsed)),
    };
  }

  /** Tasks in the queue (every submitter's), not yet taken by a worker. */
  get queueSize(): number {
    return this.block.counters().queued;
  }

  /** Tasks completed by the pool (every submitter's). */
  get completed(): number {
    return this.block.counter(POOL_COMPLETED_OFFSET) >>> 0;
  }

  /** The mailbox of worker `workerId` (ctx.workerId in the worker: 0 .. maxWorkers - 1): send to it. */
  mailbox<T = unknown>(workerId: number): Channel<T> {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId >= this.block.workerSlots) {
      throw new InvalidArgValueError(`pool.mailbox(workerId): workerId must be an integer from 0 to ${this.block.workerSlots - 1}, got ${String(workerId)}`);
    }
    let mailbox = this.mailboxes.get(workerId);
    if (!mailbox) this.mailboxes.set(workerId, (mailbox = this.namespace.mailbox(mailboxName(workerId))));
    return mailbox as Channel<T>;
  }

  /** Publishes `message` on the pool's broadcast (ctx.broadcast in every worker). One process publishes: the first to call this. */
  broadcast(message: unknown): void {
    (this.broadcaster ??= this.namespace.broadcast(POOL_BROADCAST_NAME)).publish(message);
  }

  /**
   * Finishes: no more run(); resolves once every queued task has run (the owner: every
   * submitter's; a connected handle: its own), then stops the workers (owner) and lets go.
   * Idempotent.
   */
  close(): Promise<void> {
    return (this.ending ??= this.finish('close'));
  }

  /**
   * Stops now: queued and running tasks fail with PoolClosedError (the owner: every
   * submitter's; a connected handle: its own); the owner kills the workers. Idempotent;
   * after close() started, it cuts the drain short.
   */
  destroy(): Promise<void> {
    if (this.ending && this.destroying) return this.ending;
    this.destroying = true;
    const previous = this.ending;
    this.ending = this.finish('destroy').then(() => previous);
    return this.ending;
  }

  private destroying = false;

  /** close(), for `await using pool = new Pool(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async finish(how: 'close' | 'destroy'): Promise<void> {
    const submitter = this.submitter;
    const supervisor = this.supervisor;
    submitter.refuse(new PoolClosedError('the pool is closed: run() takes no more tasks'));
    if (!supervisor) {
      // A connected handle: only this process's tasks, and its slot.
      if (how === 'destroy') submitter.failAll(new PoolClosedError('the pool handle was destroyed'), ABORT_REASON_CLOSED);
      await submitter.drained();
      submitter.release();
      this.closeHandles();
      return;
    }
    const block = this.block;
    if (block.state < POOL_STATE_CLOSING) block.state = POOL_STATE_CLOSING;
    if (how === 'close') {
      await this.drainEverything();
      if (this.destroying) return; // destroy() took over
      await supervisor.stopAll();
    } else {
      submitter.failAll(new PoolClosedError('the pool was destroyed'), ABORT_REASON_CLOSED);
      await supervisor.killAll();
    }
    block.state = POOL_STATE_CLOSED;
    this.forgetAtExit?.();
    submitter.release();
    supervisor.closeHandles();
    this.closeHandles();
    this.namespace.section.unlink();
    untrackOwnedPool(this);
  }

  /** Until this handle's tasks settled and no task is queued or running anywhere. */
  private async drainEverything(): Promise<void> {
    for (;;) {
      await this.submitter.drained();
      const counters = this.block.counters();
      if (this.destroying || (counters.queued === 0 && counters.running === 0) || this.supervisor!.failure || this.supervisor!.workers === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private closeHandles(): void {
    try {
      this.namespace.close();
    } catch {
      // closed already
    }
  }
}

/** A namespace for a new pool: made now; an old pool's of that name whose owner died is replaced. */
function openFresh(name: string): Namespace {
  if (Namespace.exists(name)) {
    const old = Namespace.open(name, { reuse: true });
    const block = findPoolBlock(old);
    const supervisor = block?.supervisor ?? 0;
    const alive = supervisor !== 0 && block!.state !== POOL_STATE_CLOSED && old.section.waiter.isAlive(ownerPid(supervisor), ownerHash(supervisor));
    if (alive || !block) {
      old.close();
      throw new InvalidArgValueError(
        alive
          ? `a pool named '${name}' is running (owner pid ${ownerPid(supervisor)}): use Pool.connect('${name}') to submit to it`
          : `'${name}' is a namespace that holds no pool: pick another options.name`,
      );
    }
    old.destroy(); // its owner died: its workers went with it
  }
  const ns = Namespace.open(name);
  if (!ns.section.created) {
    ns.close();
    throw new InvalidArgValueError(`another process made '${name}' at the same moment: use Pool.connect('${name}')`);
  }
  return ns;
}
