/**
 * PoolExport: the submitting host's side of a pool across hosts (docs/multi-host.md, "The
 * pool"). The bridge is one more taker of the local pool's task queue, beside the local
 * workers: it takes at most `window` tasks that no remote result has answered yet, appends
 * them to the pool's task stream, and writes each result that comes back on this host's
 * results stream into its submitter's results channel, as a local worker would. The submitter
 * matches results by task id, so a duplicate result (a task run twice after a worker host
 * died) finds its task settled and is dropped: the user sees each task settle once.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { Channel } from '../channel/channel.js';
import { resolveCodec, type Codec } from '../codec/index.js';
import { ChannelEndedError } from '../errors.js';
import {
  RESULT_ERROR,
  RESULT_HEADER_LENGTH,
  RESULT_OK,
  SUBMITTER_GENERATION_OFFSET,
  SUBMITTER_OWNER_OFFSET,
  TASK_FLAG_LARGE,
} from '../layout/pool.js';
import type { Namespace } from '../namespace.js';
import { codecName } from '../pool/options.js';
import type { PoolBlock } from '../pool/pool-block.js';
import { resultsChannel, taskQueue } from '../pool/pool-namespace.js';
import { encodeError, readU16, readU32, resultRecord, taskName } from '../pool/records.js';
import { Taker } from '../pool/take.js';
import { largeKey } from '../pool/worker-runtime.js';
import { VALUE_FIELD, encodeForWire, retryUntilDone, wireCodec } from './wire.js';
import { ensureGroup, entryFields, formatTaskKey, parseTaskKey, readGroup, type RawEntry } from './pool-wire.js';

export interface PoolExportConfig {
  tasksStream: string;
  resultsStream: string;
  group: string;
  consumer: string;
  window: number;
  block: number;
  onError: (error: unknown) => void;
}

export interface PoolExportStats {
  /** Tasks taken from the local queue and appended to the task stream. */
  exported: number;
  /** Results written into a local submitter's results channel. */
  returned: number;
  /** Results of tasks that had settled already (a task run twice) or whose submitter is gone: dropped. */
  dropped: number;
  /** Results of no task this bridge instance has outstanding: a task answered twice (run again after a worker host died), or sent by a previous instance. */
  unmatched: number;
  /** Tasks skipped at the take: their submitter gone, or dropped (aborted, timed out). */
  skipped: number;
  /** Tasks taken and not answered yet (by this bridge instance). */
  outstanding: number;
  retries: number;
  healthy: boolean;
  lastError?: string;
}

const RESULT_SEND_SLICE_MS = 200;
/** How often a full window looks for tasks nobody waits for any more. */
const PRUNE_EVERY_MS = 250;

export class PoolExport {
  readonly stats: PoolExportStats = { exported: 0, returned: 0, dropped: 0, unmatched: 0, skipped: 0, outstanding: 0, retries: 0, healthy: true };
  private readonly queue: Channel<Uint8Array>;
  private readonly codec: Codec;
  private readonly taker: Taker;
  private readonly results: Array<Channel<Uint8Array> | undefined> = [];
  /** Tasks taken and not yet answered (key -> where to look whether anyone still waits): the window. */
  private readonly outstanding = new Map<string, { slot: number; generation: number; deadline: number }>();
  private roomWaiter: (() => void) | undefined;
  private readonly batch: Uint8Array[] = [];
  private readonly onRecord: (bytes: Uint8Array, offset: number, length: number) => void;

  constructor(
    private readonly client: RedisClient,
    private readonly blocking: RedisClient,
    private readonly ns: Namespace,
    private readonly block: PoolBlock,
    private readonly config: PoolExportConfig,
  ) {
    this.queue = taskQueue(ns);
    this.codec = resolveCodec(codecName(block.codec));
    // Slot -1: the bridge records no worker slot. It still takes over a dead worker's record at the head.
    this.taker = new Taker(block, this.queue.ring.header, -1);
    this.onRecord = (bytes, offset, length) => {
      this.taker.onRecord(bytes, offset, length);
      this.batch.push(this.taker.taken!);
      this.taker.taken = undefined;
    };
  }

  /** Both loops: tasks out, results in. Resolves when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await Promise.all([this.sendTasks(signal), this.receiveResults(signal)]);
    } finally {
      this.queue.close();
      for (const channel of this.results) channel?.close();
    }
  }

  private async sendTasks(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.roomWaiter?.(), { once: true });
    while (!signal.aborted) {
      const room = this.config.window - this.outstanding.size;
      if (room <= 0) {
        // The window is full: wait for a result (the local workers take the queue meanwhile),
        // or for tasks nobody waits for any more (timed out, submitter gone) to leave it.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, PRUNE_EVERY_MS);
          this.roomWaiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.roomWaiter = undefined;
        this.prune();
        continue;
      }
      try {
        if (this.queue.tryPoll(this.onRecord, room) === 0) await this.queue.poll(this.onRecord, room, { signal });
      } catch (error) {
        if (signal.aborted || error instanceof ChannelEndedError) return;
        throw error;
      }
      const records = this.batch.splice(0);
      if (records.length === 0) continue;
      // From here to Redis's reply the tasks live only in this process (see "What is not guaranteed").
      const args = this.toEntries(records);
      if (args.length === 0) continue;
      await this.retrying(signal, async () => {
        const pipeline = this.client.pipeline();
        for (const fields of args) pipeline.xadd(this.config.tasksStream, '*', ...fields);
        const replies = await pipeline.exec();
        for (const [error] of replies ?? []) if (error) throw error;
      });
      this.stats.exported += args.length;
    }
  }

  /** Stream entries for the taken records; skipped: tasks whose submitter is gone or dropped them, or whose time is up. */
  private toEntries(records: Uint8Array[]): Array<Array<string | Buffer>> {
    const block = this.block;
    const entries: Array<Array<string | Buffer>> = [];
    for (const record of records) {
      const id = readU32(record, 0);
      const slot = readU16(record, 4);
      const generation = readU32(record, 8);
      const deadline = readU32(record, 12) | 0;
      let payload: Uint8Array;
      const { name, payloadAt } = taskName(record);
      if ((record[6]! & TASK_FLAG_LARGE) !== 0) {
        const key = largeKey(slot, generation, id);
        payload = this.ns.get(key) as Uint8Array;
        this.ns.delete(key);
      } else {
        payload = record.subarray(payloadAt);
      }
      const cancelled = Atomics.load(block.words, block.cancel(slot, id)) === (id | 0);
      const left = deadline === 0 ? 0 : deadline - block.now();
      if (cancelled || !this.submitterLives(slot, generation) || deadline !== 0 && left <= 0 || payload === undefined) {
        if (cancelled) Atomics.compareExchange(block.words, block.cancel(slot, id), id | 0, 0);
        this.stats.skipped++;
        continue;
      }
      let value: unknown;
      try {
        value = this.codec.decode(payload);
      } catch (error) {
        void this.answer(slot, generation, id, RESULT_ERROR, 0, encodeError(error));
        continue;
      }
      const key = formatTaskKey(slot, generation, id);
      this.outstanding.set(key, { slot, generation, deadline });
      this.stats.outstanding = this.outstanding.size;
      const fields: Array<string | Buffer> = ['k', key, 'r', this.config.resultsStream, 'd', String(left)];
      if (name !== undefined) fields.push('n', name);
      fields.push(VALUE_FIELD, encodeForWire(value));
      entries.push(fields);
    }
    return entries;
  }

  private async receiveResults(signal: AbortSignal): Promise<void> {
    const { resultsStream, group, consumer } = this.config;
    await this.retrying(signal, () => ensureGroup(this.client, resultsStream, group));
    // A reply lost with the connection (Redis restarted or cut while an XREADGROUP '>' was
    // answered): Redis counts the entries as delivered to this consumer, ioredis sends the read
    // again after the reconnect, and the second read gets only the entries after them. Nobody
    // claims a results stream's entries, so without a second look those results are never
    // delivered and their tasks hang until their timeout (for ever without one). Hence: after
    // every drop of the blocking connection, read this consumer's own pending entries again.
    let ownPendingUnread = true; // at start: what this consumer read and did not acknowledge before it stopped (or died)
    const onDrop = (): void => {
      ownPendingUnread = true;
    };
    this.blocking.on('close', onDrop);
    try {
      while (!signal.aborted) {
        if (ownPendingUnread) {
          ownPendingUnread = false;
          await this.deliverOwnPending(signal);
          continue; // dropped again meanwhile: look again
        }
        await this.retrying(signal, async () => {
          const entries = await readGroup(this.blocking, resultsStream, group, consumer, 256, '>', this.config.block);
          await this.deliver(entries, signal);
        });
      }
    } finally {
      this.blocking.off('close', onDrop);
    }
  }

  /** The entries delivered to this consumer and not acknowledged (their history, from '0-0'): delivered into the local channels now. */
  private async deliverOwnPending(signal: AbortSignal): Promise<void> {
    const { resultsStream, group, consumer } = this.config;
    let ownFrom = '0-0';
    while (!signal.aborted && ownFrom !== '') {
      await this.retrying(signal, async () => {
        const entries = await readGroup(this.client, resultsStream, group, consumer, 256, ownFrom, undefined);
        ownFrom = entries.length === 0 ? '' : entries[entries.length - 1]![0].toString();
        await this.deliver(entries, signal);
      });
    }
  }

  /** Each result into its submitter's results channel, then XACK: a result is acknowledged only after the local hand-off. */
  private async deliver(entries: RawEntry[], signal: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    const ids: string[] = [];
    for (const [rawId, raw] of entries) {
      ids.push(rawId.toString());
      if (raw === null) continue;
      const fields = entryFields(raw);
      const keyText = fields.get('k')?.toString() ?? '';
      const key = parseTaskKey(keyText);
      if (key === undefined) {
        this.config.onError(new Error(`result entry ${rawId.toString()} has no task key: skipped`));
        continue;
      }
      if (this.outstanding.delete(keyText)) {
        this.stats.outstanding = this.outstanding.size;
        this.roomWaiter?.();
      } else {
        this.stats.unmatched++;
      }
      const status = Number(fields.get('st')?.toString() ?? RESULT_ERROR);
      const micros = Number(fields.get('m')?.toString() ?? 0);
      let payload: Uint8Array = fields.get(VALUE_FIELD) ?? new Uint8Array(0);
      if (status === RESULT_OK) {
        try {
          payload = this.codec.encode(wireCodec.decode(payload)).slice();
        } catch (error) {
          await this.answer(key.slot, key.generation, key.id, RESULT_ERROR, micros, encodeError(error), signal);
          continue;
        }
      }
      await this.answer(key.slot, key.generation, key.id, status, micros, payload, signal);
    }
    await this.client.xack(this.config.resultsStream, this.config.group, ...ids);
  }

  /** Into the submitter's results channel, waiting for room while that submitter lives. */
  private async answer(slot: number, generation: number, id: number, status: number, micros: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (!this.submitterLives(slot, generation)) {
      this.stats.dropped++;
      return;
    }
    const channel = (this.results[slot] ??= resultsChannel(this.ns, slot));
    const record = resultRecord(id, status, generation, micros, payload);
    if (RESULT_HEADER_LENGTH + payload.length > channel.maxMessageLength) {
      const error = new Error(`the result (${payload.length} bytes) is larger than a results record: not delivered`);
      return this.answer(slot, generation, id, RESULT_ERROR, micros, encodeError(error), signal);
    }
    for (;;) {
      if (channel.tryWrite(record)) break;
      if (signal?.aborted) throw new Error('the bridge is closing'); // not acknowledged: read again at the next start
      try {
        await channel.write(record, { timeout: RESULT_SEND_SLICE_MS });
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_SHMKIT_TIMEOUT') throw error;
        if (!this.submitterLives(slot, generation)) {
          this.stats.dropped++;
          return;
        }
      }
    }
    this.stats.returned++;
  }

  /**
   * Forgets the tasks whose answer nobody waits for: past their deadline (the submitter failed
   * them with TaskTimeoutError) or whose submitter is gone. Without this, tasks lost with a
   * worker host that never returns would close the window for good.
   */
  private prune(): void {
    const now = this.block.now();
    for (const [key, task] of this.outstanding) {
      if ((task.deadline !== 0 && now - task.deadline > 0) || !this.submitterLives(task.slot, task.generation)) this.outstanding.delete(key);
    }
    this.stats.outstanding = this.outstanding.size;
  }

  private submitterLives(slot: number, generation: number): boolean {
    const block = this.block;
    return (
      Atomics.load(block.words, block.submitter(slot, SUBMITTER_OWNER_OFFSET)) !== 0 &&
      Atomics.load(block.words, block.submitter(slot, SUBMITTER_GENERATION_OFFSET)) === (generation | 0)
    );
  }

  private async retrying(signal: AbortSignal, step: () => Promise<void>): Promise<void> {
    await retryUntilDone(signal, this.stats, this.config.onError, step);
  }
}
