/**
 * Broadcasts over Redis pub/sub. The host whose process publishes a local Broadcast exports
 * it (the bridge reads it as one more reader and PUBLISHes each message); other hosts import
 * the topic (the bridge SUBSCRIBEs and is their local broadcast's writer). Pub/sub keeps
 * nothing: as a lapped Broadcast reader, a host that is disconnected misses messages, and
 * the importer counts them (each message carries its origin and number) in `lost`.
 */
import type { Redis as RedisClient } from 'ioredis';
import type { Broadcast } from '../channel/broadcast.js';
import { backoff, encodeForWire, pause, wireCodec } from './wire.js';

export interface BroadcastRelayStats {
  /** Messages published to Redis (export) or into the local broadcast (import). */
  relayed: number;
  /** Messages known to be missed: local reader lapped (export), gaps in an origin's numbers (import). */
  lost: number;
  retries: number;
  lastError: string | undefined;
}

/** Reads a local broadcast and publishes every message on `topic`. */
export class BroadcastExport {
  readonly stats: BroadcastRelayStats = { relayed: 0, lost: 0, retries: 0, lastError: undefined };
  private sequence = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly broadcast: Broadcast<unknown>,
    private readonly topic: string,
    private readonly origin: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let message;
      try {
        message = await this.broadcast.receive({ signal });
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      this.stats.lost += message.lost;
      const bytes = encodeForWire([this.origin, ++this.sequence, message.value]);
      for (let attempt = 1; !signal.aborted; attempt++) {
        try {
          await this.client.publish(this.topic, bytes);
          this.stats.relayed++;
          break;
        } catch (error) {
          this.stats.retries++;
          this.stats.lastError = (error as Error).message;
          this.onError(error);
          await pause(backoff(attempt), signal);
        }
      }
    }
  }
}

/** Publishes what arrives on `topic` (from other origins) into a local broadcast. */
export class BroadcastImport {
  readonly stats: BroadcastRelayStats = { relayed: 0, lost: 0, retries: 0, lastError: undefined };
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly broadcast: Broadcast<unknown>,
    private readonly origin: string,
  ) {}

  /** Called by the bridge's subscriber for every message on this import's topic. */
  onMessage(bytes: Buffer): void {
    const decoded = wireCodec.decode(bytes) as [string, number, unknown];
    const [origin, sequence, value] = decoded;
    if (origin === this.origin) return; // our own export coming back
    const last = this.lastSeen.get(origin);
    if (last !== undefined && sequence > last + 1) this.stats.lost += sequence - last - 1;
    this.lastSeen.set(origin, sequence);
    this.broadcast.publish(value);
    this.stats.relayed++;
  }
}
