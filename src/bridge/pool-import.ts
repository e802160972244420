/**
 * PoolImport: a worker host's side of a pool across hosts (docs/multi-host.md, "The pool").
 * The bridge reads the pool's task stream through a consumer group and runs each task on the
 * local pool with pool.run() (a submitter like any other: Pool.connect), at most
 * `concurrency` at a time. When a task settles, its result (or error) is appended to the
 * results stream the task names, and only then is the task acknowledged. A bridge that dies
 * with tasks in flight leaves them pending in the group: its restart (same consumer name)
 * runs them again at once, any other importer after `claimIdle` ms. So a task runs at least
 * once, maybe twice; the submitting host drops the second result.
 */
import type { Redis as RedisClient } from 'ioredis';
import { RESULT_CRASHED, RESULT_ERROR, RESULT_OK, RESULT_TIMED_OUT } from '../layout/pool.js';
import type { Pool } from '../pool/pool.js';
import { encodeError } from '../pool/records.js';
import { VALUE_FIELD, encodeForWire, retryUntilDone, wireCodec } from './wire.js';
import { ensureGroup, entryFields, readGroup, type RawEntry } from './pool-wire.js';

export interface PoolImportConfig {
  tasksStream: string;
  group: string;
  consumer: string;
  concurrency: number;
  claimIdle: number;
  block: number;
  onError: (error: unknown) => void;
}

export interface PoolImportStats {
  /** Tasks started on the local pool. */
  started: number;
  /** Results appended to their results stream (and the task acknowledged). */
  answered: number;
  /** Tasks started again: this consumer's own pending ones at start, or claimed from a dead importer. */
  rerun: number;
  /** Tasks running now. */
  running: number;
  retries: number;
  healthy: boolean;
  lastError?: string;
}

/** The longest close() waits for answers already on their way to Redis. */
const ANSWER_DRAIN_MS = 5000;

export class PoolImport {
  readonly stats: PoolImportStats = { started: 0, answered: 0, rerun: 0, running: 0, retries: 0, healthy: true };
  /** Stream entry ids running now: a claim that hands back one of ours does not start it twice. */
  private readonly running = new Set<string>();
  /** Resolves room()'s wait: a task settled, or the bridge closes. */
  private wake: (() => void) | undefined;
  private nextClaimAt = 0;
  private signal: AbortSignal = new AbortController().signal;
  private claimCursor = '0-0';
  /** Answers on their way to Redis (the task ran): run() lets them finish before it returns. */
  private readonly answering = new Set<Promise<boolean>>();

  constructor(
    private readonly client: RedisClient,
    private readonly blocking: RedisClient,
    private readonly pool: Pool,
    private readonly config: PoolImportConfig,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    const { tasksStream, group, consumer, claimIdle } = this.config;
    this.signal = signal;
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    await this.retrying(signal, () => ensureGroup(this.client, tasksStream, group));
    // What this consumer took and did not answer before it stopped (or died): run again first.
    let ownFrom = '0-0';
    while (!signal.aborted && ownFrom !== '') {
      await this.room(signal);
      await this.retrying(signal, async () => {
        const entries = await readGroup(this.client, tasksStream, group, consumer, this.free(), ownFrom, undefined);
        ownFrom = entries.length === 0 ? '' : entries[entries.length - 1]![0].toString();
        this.start(entries, true);
      });
    }
    this.nextClaimAt = Date.now() + claimIdle / 2;
    while (!signal.aborted) {
      await this.room(signal);
      if (signal.aborted) break;
      await this.retrying(signal, async () => {
        if (Date.now() >= this.nextClaimAt) await this.claim();
        if (this.free() === 0) return;
        const entries = await readGroup(this.blocking, tasksStream, group, consumer, this.free(), '>', this.config.block);
        this.start(entries, false);
      });
    }
    // Closing: tasks running now are not answered; they stay pending, run again at the next
    // start. But an answer already on its way (XADD sent, XACK maybe not) is let finish on the
    // open connection: cut off, the task would be answered and still pending, so it would run
    // again at the next start and `answered` would miss it. Bounded: an answer stuck on a Redis
    // that is down does not hold close() for ever (then it stays pending and runs again).
    if (this.answering.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(this.answering), new Promise<void>((resolve) => (timer = setTimeout(resolve, ANSWER_DRAIN_MS)))]);
      clearTimeout(timer);
    }
  }

  private free(): number {
    return Math.max(0, this.config.concurrency - this.running.size);
  }

  /** Until fewer than `concurrency` tasks run. */
  private async room(signal: AbortSignal): Promise<void> {
    while (this.free() === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Takes over tasks another importer of the group has held longer than claimIdle (its host died). */
  private async claim(): Promise<void> {
    const { tasksStream, group, consumer, claimIdle } = this.config;
    for (let rounds = 0; rounds < 100 && this.free() > 0; rounds++) {
      const reply = (await (this.client as unknown as { xautoclaimBuffer(...a: unknown[]): Promise<[Buffer, RawEntry[], Buffer[]]> }).xautoclaimBuffer(
        tasksStream, group, consumer, claimIdle, this.claimCursor, 'COUNT', this.free(),
      ));
      const [next, entries, deleted] = reply;
      if (deleted && deleted.length > 0) await this.client.xack(tasksStream, group, ...deleted.map((id) => id.toString()));
      this.start(entries, true);
      this.claimCursor = next.toString();
      if (this.claimCursor === '0-0') break;
    }
    this.nextClaimAt = Date.now() + claimIdle / 2;
  }

  private start(entries: RawEntry[], again: boolean): void {
    for (const [rawId, raw] of entries) {
      const entryId = rawId.toString();
      if (this.running.has(entryId)) continue;
      if (raw === null) {
        void this.client.xack(this.config.tasksStream, this.config.group, entryId).catch(this.config.onError);
        continue;
      }
      this.running.add(entryId);
      this.stats.running = this.running.size;
      this.stats.started++;
      if (again) this.stats.rerun++;
      void this.runOne(entryId, entryFields(raw))
        .catch(this.config.onError)
        .finally(() => {
          this.running.delete(entryId);
          this.stats.running = this.running.size;
          this.wake?.();
        });
    }
  }

  /** Runs one task and answers it; retries the answer while Redis is away (the task is not run again). */
  private async runOne(entryId: string, fields: Map<string, Buffer>): Promise<void> {
    const key = fields.get('k')?.toString();
    const resultsStream = fields.get('r')?.toString();
    if (key === undefined || resultsStream === undefined) {
      this.config.onError(new Error(`task entry ${entryId} has no task key or results stream: acknowledged, skipped`));
      await this.client.xack(this.config.tasksStream, this.config.group, entryId).catch(this.config.onError);
      return;
    }
    const timeout = Number(fields.get('d')?.toString() ?? 0);
    const name = fields.get('n')?.toString();
    let status = RESULT_OK;
    let micros = 0;
    let payload: Buffer;
    const startedAt = performance.now();
    try {
      const task = wireCodec.decode(fields.get(VALUE_FIELD) ?? Buffer.alloc(0));
      const value = await this.pool.run(task, { ...(name === undefined ? {} : { name }), ...(timeout > 0 ? { timeout } : {}) });
      micros = Math.round((performance.now() - startedAt) * 1000);
      payload = encodeForWire(value);
    } catch (error) {
      const code = (error as { code?: string }).code;
      status = code === 'ERR_SHMKIT_WORKER_CRASHED' ? RESULT_CRASHED : code === 'ERR_SHMKIT_TASK_TIMEOUT' ? RESULT_TIMED_OUT : RESULT_ERROR;
      payload = Buffer.from(encodeError(error));
    }
    // Closing: not answered, so not acknowledged; the next start runs it again.
    if (this.signal.aborted) return;
    const answer = this.retrying(this.signal, async () => {
      await this.client.xadd(resultsStream, '*', 'k', key, 'st', String(status), 'm', String(micros), VALUE_FIELD, payload);
      await this.client.xack(this.config.tasksStream, this.config.group, entryId);
    });
    this.answering.add(answer);
    try {
      // Counted when Redis took the answer and the acknowledgement, even if close() began meanwhile.
      if (await answer) this.stats.answered++;
    } finally {
      this.answering.delete(answer);
    }
  }

  /** True once `step` succeeded; false if the bridge closed first. */
  private retrying(signal: AbortSignal, step: () => Promise<void>): Promise<boolean> {
    return retryUntilDone(signal, this.stats, this.config.onError, step);
  }
}
