/**
 * Imports a Redis stream into a local channel through a consumer group: at least once.
 *
 * Each batch (XREADGROUP COUNT `batch`) is sent into the local channel (waiting for space:
 * a full ring holds the import back, and no more than one batch is in this process) and only
 * then acknowledged (XACK). So:
 * - a bridge that dies between the send and the XACK leaves the entries pending in the group;
 *   restarted under the same consumer name it reads its own pending entries first, and any
 *   other importer of the group takes them over (XAUTOCLAIM) once they have been idle for
 *   `claimIdle` ms: delivered again, never lost;
 * - such a message arrives twice; its id ("<source>:<n>", the same on every delivery) tells
 *   the copies apart (`ids: true` delivers `{ id, value }` instead of the bare value).
 * Ordering: one importer per stream sees the stream's order; redeliveries come out of order.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { Channel } from '../channel/channel.js';
import { ID_FIELD, retryUntilDone, VALUE_FIELD, wireCodec } from './wire.js';

/** A message as an importer with `ids: true` delivers it. */
export interface IdentifiedMessage<T = unknown> {
  /** "<source>:<n>": the exporting source and the message's number there; the same on every delivery. */
  id: string;
  value: T;
}

/** Counters of one imported stream. */
export interface ChannelImportStats {
  /** Messages sent into the local channel (redeliveries included). */
  imported: number;
  /** Of those, entries reclaimed from a dead importer (XAUTOCLAIM) or read again from this consumer's own pending list. */
  redelivered: number;
  /** Entries acknowledged. */
  acknowledged: number;
  /** Pending entries whose stream entry was trimmed or deleted (acknowledged, nothing to deliver). */
  vanished: number;
  /** Entries whose value could not be decoded: reported through onError, acknowledged, not delivered. */
  undecodable: number;
  /** Errors met and retried. */
  retries: number;
  healthy: boolean;
  lastError: string | undefined;
}

export interface ChannelImportConfig {
  stream: string;
  group: string;
  consumer: string;
  batch: number;
  /** Ms an entry stays pending with a consumer before another may claim it. */
  claimIdle: number;
  /** Ms one XREADGROUP blocks (the loop checks for claims and closing in between). */
  block: number;
  ids: boolean;
  onError(error: unknown): void;
}

type RawEntry = [id: Buffer, fields: Buffer[] | null];

/** One stream imported into one local channel; run() until the signal aborts. */
export class ChannelImport {
  readonly stats: ChannelImportStats = { imported: 0, redelivered: 0, acknowledged: 0, vanished: 0, undecodable: 0, retries: 0, healthy: true, lastError: undefined };
  private nextClaimAt = 0;
  private claimCursor = '0-0';

  /** `client` runs the commands; `blocking` is this import's own connection (XREADGROUP BLOCK holds it). */
  constructor(
    private readonly client: RedisClient,
    private readonly blocking: RedisClient,
    private readonly channel: Channel<unknown>,
    private readonly config: ChannelImportConfig,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    await this.retrying(signal, () => this.ensureGroup());
    // What this consumer held when it last stopped (or died): delivered again first.
    let ownFrom = '0-0';
    while (!signal.aborted && ownFrom !== '') {
      await this.retrying(signal, async () => {
        const entries = await this.read(ownFrom, false);
        ownFrom = entries.length === 0 ? '' : entries[entries.length - 1]![0].toString();
        await this.deliver(entries, signal, true);
      });
    }
    this.nextClaimAt = Date.now() + this.config.claimIdle / 2;
    while (!signal.aborted) {
      await this.retrying(signal, async () => {
        if (Date.now() >= this.nextClaimAt) await this.claim(signal);
        const entries = await this.read('>', true);
        await this.deliver(entries, signal, false);
      });
    }
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From the stream's beginning: what was exported before any importer existed is delivered too.
      await this.client.xgroup('CREATE', this.config.stream, this.config.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  private async read(from: string, block: boolean): Promise<RawEntry[]> {
    const { group, consumer, batch, stream } = this.config;
    const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', batch];
    if (block) args.push('BLOCK', this.config.block);
    args.push('STREAMS', stream, from);
    const connection = block ? this.blocking : this.client;
    const reply = (await (connection as unknown as { xreadgroupBuffer(...a: unknown[]): Promise<Array<[Buffer, RawEntry[]]> | null> }).xreadgroupBuffer(...args)) ?? [];
    return reply[0]?.[1] ?? [];
  }

  /** Takes over entries another consumer of the group has held longer than claimIdle. */
  private async claim(signal: AbortSignal): Promise<void> {
    const { stream, group, consumer, claimIdle, batch } = this.config;
    for (let rounds = 0; rounds < 100 && !signal.aborted; rounds++) {
      const reply = (await (this.client as unknown as { xautoclaimBuffer(...a: unknown[]): Promise<[Buffer, RawEntry[], Buffer[]]> }).xautoclaimBuffer(
        stream, group, consumer, claimIdle, this.claimCursor, 'COUNT', batch,
      ));
      const [next, entries, deleted] = reply;
      if (deleted && deleted.length > 0) {
        this.stats.vanished += deleted.length;
        await this.client.xack(stream, group, ...deleted.map((id) => id.toString()));
      }
      await this.deliver(entries, signal, true);
      this.claimCursor = next.toString();
      if (this.claimCursor === '0-0') break;
    }
    this.nextClaimAt = Date.now() + claimIdle / 2;
  }

  /** Sends the entries into the local channel (waiting for space), then acknowledges them. */
  private async deliver(entries: RawEntry[], signal: AbortSignal, again: boolean): Promise<void> {
    if (entries.length === 0) return;
    const values: unknown[] = [];
    const ids: string[] = [];
    for (const [rawId, fields] of entries) {
      ids.push(rawId.toString());
      if (fields === null) {
        this.stats.vanished++; // trimmed or deleted while pending: nothing to deliver
        continue;
      }
      let id = '';
      let bytes: Buffer | undefined;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i]!.toString();
        if (name === ID_FIELD) id = fields[i + 1]!.toString();
        else if (name === VALUE_FIELD) bytes = fields[i + 1]!;
      }
      if (bytes === undefined) continue; // not a shmkit entry: acknowledged, skipped
      let value: unknown;
      try {
        value = wireCodec.decode(bytes);
      } catch (error) {
        // Not written by a shmkit bridge, or damaged: told (onError, stats), acknowledged, never retried forever.
        this.stats.undecodable++;
        this.config.onError(new Error(`stream entry ${ids[ids.length - 1]} (id '${id}') could not be decoded: ${(error as Error).message}`));
        continue;
      }
      values.push(this.config.ids ? ({ id, value } satisfies IdentifiedMessage) : value);
    }
    if (values.length > 0) await this.channel.sendMany(values, { signal });
    this.stats.imported += values.length;
    if (again) this.stats.redelivered += values.length;
    await this.client.xack(this.config.stream, this.config.group, ...ids);
    this.stats.acknowledged += ids.length;
  }

  private async retrying(signal: AbortSignal, step: () => Promise<void>): Promise<void> {
    await retryUntilDone(signal, this.stats, this.config.onError, step);
  }
}
