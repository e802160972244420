/**
 * Exports a local channel to a Redis stream: the bridge is the channel's receiver, with its
 * reads held (Channel.holdReads), so a message leaves the local ring only once Redis has it.
 *
 * A batch (up to `batch` messages) goes to Redis in one script call that appends every entry
 * and moves this source's cursor (count of messages exported, ring position of the last one)
 * atomically, and only if the cursor is where the bridge believes it is. Then the reads are
 * committed. So:
 * - a bridge killed after Redis took the batch but before the commit reads the batch again
 *   at restart, finds the cursor past it, and skips it: no duplicate in the stream;
 * - a reply lost with the connection (Redis restarted, network cut) is retried after the
 *   cursor is read again: applied once or not at all, never twice;
 * - each message gets the id "<source>:<n>", n counting from 1 for the source: the same
 *   message keeps its id however often it is delivered downstream.
 * MPMC channels cannot hold reads (other consumers read the shared head): they are exported
 * with plain receives, and a bridge that dies between a receive and Redis loses that batch
 * (docs/multi-host.md).
 */
import type { Redis as RedisClient } from 'ioredis';
import { ChannelEndedError, SendersGoneError } from '../errors.js';
import type { Channel } from '../channel/channel.js';
import { encodeForWire, pause, retryUntilDone } from './wire.js';

/** KEYS: stream, cursor hash. ARGV: expected count, position of the last message, source, values... */
const EXPORT_SCRIPT = `
local count = tonumber(redis.call('HGET', KEYS[2], 'count') or '0')
if count ~= tonumber(ARGV[1]) then
  return {0, count, redis.call('HGET', KEYS[2], 'pos') or ''}
end
for i = 4, #ARGV do
  count = count + 1
  redis.call('XADD', KEYS[1], '*', 'id', ARGV[3] .. ':' .. count, 'v', ARGV[i])
end
redis.call('HSET', KEYS[2], 'count', count, 'pos', ARGV[2])
return {1, count, ARGV[2]}
`;

type ExportReply = [applied: number, count: number, position: string];

/** Registers the export script on a client (once per client). */
export function defineExportCommand(client: RedisClient): void {
  if (typeof (client as unknown as Record<string, unknown>)['shmkitExport'] === 'function') return;
  client.defineCommand('shmkitExport', { numberOfKeys: 2, lua: EXPORT_SCRIPT });
}

/** Counters of one exported channel. */
export interface ChannelExportStats {
  /** Messages Redis took from this bridge (this run). */
  exported: number;
  /** Messages read again after a restart or a lost reply that Redis already had (skipped). */
  skipped: number;
  /** Batches retried after an error (Redis unreachable, restarted...). */
  retries: number;
  /** The source's cursor: messages exported to the stream under this source, all runs. */
  cursor: number;
  /** False after a failed call, until the next success (while Redis is unreachable, calls wait: see bridge.connected). */
  healthy: boolean;
  /** The last error met, if any (the export retries; it never drops). */
  lastError: string | undefined;
  /** True when the reads are held (spsc/mpsc): nothing is lost if the bridge dies. */
  heldReads: boolean;
}

export interface ChannelExportConfig {
  stream: string;
  cursorKey: string;
  source: string;
  batch: number;
  onError(error: unknown): void;
}

/** One local channel exported to one stream; run() until the signal aborts. */
export class ChannelExport {
  readonly stats: ChannelExportStats = { exported: 0, skipped: 0, retries: 0, cursor: 0, healthy: true, lastError: undefined, heldReads: false };
  private cursorPosition: number | undefined;
  private readonly values: unknown[] = [];
  private readonly positions: number[] = [];

  constructor(
    private readonly client: RedisClient,
    private readonly channel: Channel<unknown>,
    private readonly config: ChannelExportConfig,
  ) {}

  /** Relays until `signal` aborts or the channel ends; what was read and not exported stays in the ring. */
  async run(signal: AbortSignal): Promise<void> {
    this.stats.heldReads = this.channel.holdReads(true);
    await this.withRetry(signal, () => this.loadCursor());
    let skipCheck = true; // the first batch after a (re)start may hold what Redis already has
    while (!signal.aborted) {
      if (!(await this.gather(signal))) return;
      if (skipCheck) this.dropExported();
      skipCheck = false;
      if (this.values.length > 0) {
        const sent = await this.withRetry(signal, async (attempt) => {
          if (attempt > 1) {
            await this.loadCursor(); // the last try's outcome is unknown: ask Redis
            this.dropExported();
          }
          if (this.values.length > 0) await this.append();
        });
        if (!sent) return; // aborted: the held reads stay for the next bridge
      }
      this.channel.commitReads();
      this.values.length = 0;
      this.positions.length = 0;
    }
  }

  /** Fills the batch: waits for one message, then takes what is there. False when the channel ended or the signal aborted. */
  private async gather(signal: AbortSignal): Promise<boolean> {
    const channel = this.channel;
    while (!signal.aborted) {
      try {
        const first = await channel.receive({ signal });
        this.values.push(first);
        this.positions.push(channel.readPosition);
        while (this.values.length < this.config.batch) {
          const next = channel.tryReceive();
          if (next === undefined) break;
          this.values.push(next.value);
          this.positions.push(channel.readPosition);
        }
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        if (this.values.length > 0) return true; // export what was read; the error comes back next time
        if (error instanceof ChannelEndedError) return false;
        // Every sender gone: not the end of the stream; new senders may come.
        if (error instanceof SendersGoneError) await pause(100, signal);
        else throw error;
      }
    }
    return false;
  }

  /** Drops the batch's leading messages that the cursor says Redis already has. */
  private dropExported(): void {
    const last = this.cursorPosition;
    if (last === undefined || this.positions.length === 0) return;
    const anchor = this.positions[0]!;
    const reach = (last - anchor) >>> 0;
    if (reach >= this.channel.ring.capacity) return; // the cursor is not in this stretch of the ring
    let drop = 0;
    while (drop < this.positions.length && ((this.positions[drop]! - anchor) >>> 0) <= reach) drop++;
    if (drop === 0) return;
    this.values.splice(0, drop);
    this.positions.splice(0, drop);
    this.stats.skipped += drop;
  }

  private async loadCursor(): Promise<void> {
    const [count, position] = await this.client.hmget(this.config.cursorKey, 'count', 'pos');
    this.stats.cursor = count === null ? 0 : Number(count);
    this.cursorPosition = position === null || position === '' ? undefined : Number(position);
  }

  private async append(): Promise<void> {
    const args: Array<string | number | Buffer> = [this.config.stream, this.config.cursorKey, this.stats.cursor, this.positions[this.positions.length - 1]!, this.config.source];
    for (const value of this.values) args.push(encodeForWire(value));
    const reply = (await (this.client as unknown as { shmkitExport(...a: unknown[]): Promise<ExportReply> }).shmkitExport(...args)) as ExportReply;
    const [applied, count, position] = reply;
    if (applied !== 1) {
      // Someone else moved this source's cursor (another bridge exporting the same source), or
      // our own earlier try went through: take Redis's word and check the batch against it.
      const message = `the export cursor of '${this.config.source}' was at ${count}, not ${this.stats.cursor}: batch checked again`;
      this.stats.cursor = Number(count);
      this.cursorPosition = position === '' ? undefined : Number(position);
      throw new Error(message);
    }
    this.stats.exported += this.values.length;
    this.stats.cursor = Number(count);
    this.cursorPosition = Number(position);
  }

  /** Runs `step` until it succeeds (true) or `signal` aborts (false), backing off between tries. */
  private withRetry(signal: AbortSignal, step: (attempt: number) => Promise<void>): Promise<boolean> {
    return retryUntilDone(signal, this.stats, this.config.onError, step);
  }
}
