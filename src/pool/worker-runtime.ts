/**
 * The loop inside every pool worker, thread or process: take a task from the queue (take.ts),
 * run the handler, put the result in its submitter's results channel. Idle, it parks on the
 * queue (an async poll: no CPU). No postMessage or IPC on this path: only at start (loading
 * the module, ready, or why it could not start) and, for a thread, as it exits.
 */
import type { Broadcast } from '../channel/broadcast.js';
import type { Channel } from '../channel/channel.js';
import { resolveCodec, encodeValue, type Codec } from '../codec/index.js';
import { AbortError, ChannelEndedError, PoolClosedError, TaskTimeoutError } from '../errors.js';
import { ownerWord } from '../layout/owner.js';
import {
  ABORT_REASON_CLOSED,
  ABORT_REASON_SUBMITTER_GONE,
  ABORT_REASON_TIMEOUT,
  CONTROL_ABORT,
  CONTROL_STOP,
  POOL_BROADCAST_NAME,
  POOL_COMPLETED_OFFSET,
  POOL_FAILED_OFFSET,
  POOL_RUNNING_OFFSET,
  POOL_SKIPPED_OFFSET,
  RESULT_ERROR,
  RESULT_HEADER_LENGTH,
  RESULT_OK,
  SUBMITTER_GENERATION_OFFSET,
  SUBMITTER_OWNER_OFFSET,
  TASK_FLAG_LARGE,
  WORKER_BUSY,
  WORKER_BUSY_MS_OFFSET,
  WORKER_DEADLINE_OFFSET,
  WORKER_IDLE,
  WORKER_IDLE_SINCE_OFFSET,
  WORKER_OWNER_OFFSET,
  WORKER_PID_OFFSET,
  WORKER_STARTED_AT_OFFSET,
  WORKER_STATE_OFFSET,
  WORKER_TASKS_RUN_OFFSET,
} from '../layout/pool.js';
import { Namespace } from '../namespace.js';
import { findHandler, loadWorkerModule, type TaskHandler } from './load-handler.js';
import { codecName } from './options.js';
import type { PoolBlock } from './pool-block.js';
import { controlChannel, findPoolBlock, mailboxName, resultsChannel, taskQueue } from './pool-namespace.js';
import { encodeError, readU16, readU32, resultRecord, taskName, writeResultHeader } from './records.js';
import { Taker } from './take.js';

/** What the supervisor tells a worker it starts. */
export interface WorkerConfig {
  namespace: string;
  slot: number;
  filename: string;
}

/** How a worker tells its supervisor it started (or why not): the only messages outside shared memory. */
export type StartReport = (
  message: { type: 'loading' } | { type: 'ready' } | { type: 'start-error'; error: { name: string; message: string; code?: string } } | { type: 'exiting' },
) => void;

/** The `ctx` a handler gets. */
export interface TaskContext {
  /** Aborted when the task's submitter aborts it, it times out, or the pool is destroyed. */
  readonly signal: AbortSignal;
  /** This worker's id (its slot: 0 .. maxWorkers), the address of pool.mailbox(id). */
  readonly workerId: number;
  /** The pool's namespace: variables, caches, channels shared with every process of the pool. */
  readonly namespace: Namespace;
  /** This worker's mailbox (pool.mailbox(workerId) sends to it). */
  readonly mailbox: Channel;
  /** The pool's broadcast (pool.broadcast(msg) publishes to it). */
  readonly broadcast: Broadcast;
}

const YIELD_EVERY_TASKS = 64;
const YIELD_EVERY_MS = 4;
const RESULT_SEND_SLICE_MS = 200;

/** Starts the worker: loads the module, registers in its slot, then serves tasks until stopped. */
export async function runWorker(config: WorkerConfig, report: StartReport): Promise<void> {
  const ns = Namespace.open(config.namespace, { reuse: true });
  const block = findPoolBlock(ns);
  if (!block) throw new Error(`namespace '${config.namespace}' holds no pool`);
  let module: Record<string, unknown>;
  // Past our own native set-up: from here a thread may be terminated (supervisor.ts, killAll).
  report({ type: 'loading' });
  try {
    module = await loadWorkerModule(config.filename);
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: unknown };
    report({ type: 'start-error', error: { name: e.name ?? 'Error', message: e.message ?? String(error), ...(typeof e.code === 'string' ? { code: e.code } : {}) } });
    ns.close();
    return;
  }
  const worker = new WorkerLoop(ns, block, config, module);
  report({ type: 'ready' });
  await worker.run();
}

class WorkerLoop {
  private readonly queue: Channel<Uint8Array>;
  private readonly control: Channel<Uint8Array>;
  private readonly codec: Codec;
  private readonly taker: Taker;
  private readonly results: Array<Channel<Uint8Array> | undefined> = [];
  private readonly handlers = new Map<string | undefined, TaskHandler | Error>();
  private readonly stop = new AbortController();
  private readonly ctx: TaskContext;
  private stopping = false;
  private idle = false;
  // The task running now (-1: none) and its abort state, made only if the handler asks.
  private currentSubmitter = -1;
  private currentId = 0;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private mailboxHandle: Channel | undefined;
  private broadcastHandle: Broadcast | undefined;

  constructor(
    private readonly ns: Namespace,
    private readonly block: PoolBlock,
    private readonly config: WorkerConfig,
    private readonly module: Record<string, unknown>,
  ) {
    this.queue = taskQueue(ns);
    this.control = controlChannel(ns, config.slot);
    this.codec = resolveCodec(codecName(block.codec));
    this.taker = new Taker(block, this.queue.ring.header, config.slot);
    const loop = this;
    this.ctx = {
      get signal() {
        return loop.signal();
      },
      workerId: config.slot,
      namespace: ns,
      get mailbox() {
        return (loop.mailboxHandle ??= ns.mailbox(mailboxName(config.slot)));
      },
      get broadcast() {
        return (loop.broadcastHandle ??= ns.broadcast(POOL_BROADCAST_NAME));
      },
    };
    const words = block.words;
    const identity = ns.section.waiter.identity;
    Atomics.store(words, block.worker(config.slot, WORKER_PID_OFFSET), process.pid);
    Atomics.store(words, block.worker(config.slot, WORKER_OWNER_OFFSET), ownerWord(identity.pid, identity.startTime) | 0);
    this.setIdle();
  }

  async run(): Promise<void> {
    const controlLoop = this.serveControl();
    // Dying (process.exit() in a handler, an uncaught error): Node then waits for the libuv
    // pool thread that holds our parked waits (futex_waitv, no timeout) and never exits.
    // Aborting them now, synchronously in 'exit', wakes that thread.
    const onExit = (): void => this.stop.abort();
    process.on('exit', onExit);
    try {
      await this.serveTasks();
    } finally {
      process.off('exit', onExit);
      this.stop.abort();
      await controlLoop.catch(() => undefined);
      this.ns.close();
    }
  }

  private async serveTasks(): Promise<void> {
    const queue = this.queue;
    const taker = this.taker;
    let sinceYield = 0;
    let yieldAt = performance.now() + YIELD_EVERY_MS;
    while (!this.stopping) {
      let taken: number;
      try {
        taken = queue.tryPoll(taker.onRecord, 1);
        if (taken === 0) {
          this.setIdle();
          taken = await queue.poll(taker.onRecord, 1, { signal: this.stop.signal });
        }
      } catch (error) {
        if (error instanceof ChannelEndedError || this.stopping) return;
        throw error;
      }
      if (taken === 0) continue;
      taker.held();
      if (this.idle) this.setBusy();
      const record = taker.taken!;
      taker.taken = undefined;
      const running = this.runTask(record);
      if (running !== undefined) await running;
      // Back-to-back sync tasks: let timers and control messages (aborts) in now and then.
      if (++sinceYield >= YIELD_EVERY_TASKS || performance.now() > yieldAt) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sinceYield = 0;
        yieldAt = performance.now() + YIELD_EVERY_MS;
      }
    }
  }

  /** Runs one task; a promise only when the handler returned one (or the result must wait for room). */
  private runTask(record: Uint8Array): Promise<void> | undefined {
    const block = this.block;
    const words = block.words;
    const id = readU32(record, 0);
    const submitter = readU16(record, 4);
    const generation = readU32(record, 8);
    block.count(POOL_RUNNING_OFFSET, 1);
    // Dropped by its submitter while queued, or its submitter is gone: not run.
    const cancelIndex = block.cancel(submitter, id);
    const dropped = Atomics.load(words, cancelIndex) === (id | 0);
    if (dropped || !this.submitterLives(submitter, generation)) {
      if (dropped) Atomics.compareExchange(words, cancelIndex, id | 0, 0);
      if ((record[6]! & TASK_FLAG_LARGE) !== 0) this.ns.delete(largeKey(submitter, generation, id));
      block.count(POOL_SKIPPED_OFFSET, 1);
      return this.finish(-1, 0, 0, 0, 0);
    }
    this.currentSubmitter = submitter;
    this.currentId = id;
    const slot = this.config.slot;
    const startedAt = block.now();
    Atomics.store(words, block.worker(slot, WORKER_STARTED_AT_OFFSET), startedAt);
    Atomics.store(words, block.worker(slot, WORKER_DEADLINE_OFFSET), readU32(record, 12) | 0);
    const started = performance.now();
    let result: unknown;
    try {
      const { name, payloadAt } = taskName(record);
      const handler = this.handler(name);
      const task = this.decodeTask(record, payloadAt, submitter, generation, id);
      result = handler(task, this.ctx);
    } catch (error) {
      return this.finish(submitter, generation, id, started, RESULT_ERROR, error);
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      return Promise.resolve(result).then(
        (value) => this.finish(submitter, generation, id, started, RESULT_OK, value),
        (error: unknown) => this.finish(submitter, generation, id, started, RESULT_ERROR, error),
      );
    }
    return this.finish(submitter, generation, id, started, RESULT_OK, result);
  }

  private decodeTask(record: Uint8Array, payloadAt: number, submitter: number, generation: number, id: number): unknown {
    if ((record[6]! & TASK_FLAG_LARGE) === 0) return this.codec.decode(record.subarray(payloadAt));
    const key = largeKey(submitter, generation, id);
    const bytes = this.ns.get(key) as Uint8Array;
    this.ns.delete(key);
    return this.codec.decode(bytes);
  }

  private handler(name: string | undefined): TaskHandler {
    let handler = this.handlers.get(name);
    if (handler === undefined) {
      try {
        handler = findHandler(this.module, name, this.config.filename);
      } catch (error) {
        handler = error as Error;
      }
      this.handlers.set(name, handler);
    }
    if (handler instanceof Error) throw handler;
    return handler;
  }

  /** Sends the outcome (submitter -1: a skipped task, nothing to send), then lets the task go. */
  private finish(submitter: number, generation: number, id: number, started: number, status: number, value?: unknown): Promise<void> | undefined {
    const block = this.block;
    let sending: Promise<void> | undefined;
    if (submitter >= 0) {
      const elapsed = performance.now() - started;
      const micros = Math.min(Math.round(elapsed * 1000), 0xffff_ffff);
      let payload: Uint8Array;
      if (status === RESULT_OK) {
        try {
          payload = encodeValue(this.codec, value);
        } catch (error) {
          status = RESULT_ERROR;
          payload = encodeError(error);
        }
      } else {
        payload = encodeError(value);
      }
      // Counted before the result is published: a submitter that has its result sees it counted.
      block.count(status === RESULT_OK ? POOL_COMPLETED_OFFSET : POOL_FAILED_OFFSET, 1);
      sending = this.sendResult(submitter, generation, id, status, micros, payload);
      const slot = this.config.slot;
      Atomics.add(block.words, block.worker(slot, WORKER_BUSY_MS_OFFSET), Math.round(elapsed));
      Atomics.add(block.words, block.worker(slot, WORKER_TASKS_RUN_OFFSET), 1);
      Atomics.store(block.words, block.worker(slot, WORKER_DEADLINE_OFFSET), 0);
      this.currentSubmitter = -1;
      this.controller = undefined;
      this.abortReason = undefined;
    }
    if (sending === undefined) {
      this.letGo();
      return undefined;
    }
    return sending.then(() => this.letGo());
  }

  private letGo(): void {
    this.block.count(POOL_RUNNING_OFFSET, -1);
    this.taker.letGo();
  }

  /** Into the submitter's results channel: in place when it fits now; else waits for room while the submitter lives. */
  private sendResult(submitter: number, generation: number, id: number, status: number, micros: number, payload: Uint8Array): Promise<void> | undefined {
    const channel = (this.results[submitter] ??= resultsChannel(this.ns, submitter));
    const length = RESULT_HEADER_LENGTH + payload.length;
    if (length <= channel.maxMessageLength) {
      const target = channel.claim(length);
      if (target !== undefined) {
        writeResultHeader(target, 0, id, status, generation, micros);
        target.set(payload, RESULT_HEADER_LENGTH);
        channel.commit();
        return undefined;
      }
    }
    const record = resultRecord(id, status, generation, micros, payload);
    if (length <= channel.maxMessageLength && channel.tryWrite(record)) return undefined;
    return this.sendWaiting(channel, record, submitter, generation);
  }

  private async sendWaiting(channel: Channel<Uint8Array>, record: Uint8Array, submitter: number, generation: number): Promise<void> {
    for (;;) {
      try {
        await channel.write(record, { timeout: RESULT_SEND_SLICE_MS });
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_SHMKIT_TIMEOUT') throw error;
        if (!this.submitterLives(submitter, generation)) return; // nobody reads it any more
      }
    }
  }

  private submitterLives(submitter: number, generation: number): boolean {
    const block = this.block;
    return (
      Atomics.load(block.words, block.submitter(submitter, SUBMITTER_OWNER_OFFSET)) !== 0 &&
      Atomics.load(block.words, block.submitter(submitter, SUBMITTER_GENERATION_OFFSET)) === (generation | 0)
    );
  }

  private signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  private async serveControl(): Promise<void> {
    const onControl = (bytes: Uint8Array, offset: number): void => this.onControl(bytes, offset);
    while (!this.stop.signal.aborted) {
      try {
        await this.control.poll(onControl, Infinity, { signal: this.stop.signal });
      } catch (error) {
        if (this.stop.signal.aborted || error instanceof ChannelEndedError) return;
        throw error;
      }
    }
  }

  private onControl(bytes: Uint8Array, offset: number): void {
    const op = readU32(bytes, offset);
    if (op === CONTROL_STOP) {
      this.stopping = true;
      this.stop.abort();
      return;
    }
    if (op !== CONTROL_ABORT) return;
    const submitter = readU32(bytes, offset + 4);
    const id = readU32(bytes, offset + 8);
    const reason = readU32(bytes, offset + 12);
    const block = this.block;
    Atomics.compareExchange(block.words, block.cancel(submitter, id), id | 0, 0);
    if (this.currentSubmitter !== submitter || this.currentId !== id || this.abortReason !== undefined) return;
    this.abortReason = abortError(reason);
    this.controller?.abort(this.abortReason);
  }

  private setIdle(): void {
    if (this.idle) return;
    this.idle = true;
    const block = this.block;
    const slot = this.config.slot;
    Atomics.store(block.words, block.worker(slot, WORKER_DEADLINE_OFFSET), 0);
    Atomics.store(block.words, block.worker(slot, WORKER_IDLE_SINCE_OFFSET), block.now());
    Atomics.store(block.words, block.worker(slot, WORKER_STATE_OFFSET), WORKER_IDLE);
  }

  private setBusy(): void {
    this.idle = false;
    const block = this.block;
    Atomics.store(block.words, block.worker(this.config.slot, WORKER_STATE_OFFSET), WORKER_BUSY);
  }
}

/** The namespace variable that holds a task too large for a queue record. */
export function largeKey(submitter: number, generation: number, id: number): string {
  return `pool.task.${submitter}.${generation >>> 0}.${id >>> 0}`;
}

function abortError(reason: number): Error {
  switch (reason) {
    case ABORT_REASON_TIMEOUT:
      return new TaskTimeoutError('the task ran past its timeout');
    case ABORT_REASON_SUBMITTER_GONE:
      return new AbortError('the process that submitted this task is gone');
    case ABORT_REASON_CLOSED:
      return new PoolClosedError('the pool was destroyed');
    default:
      return new AbortError('the task was aborted by its submitter');
  }
}
