/**
 * What a pool task and its result look like in Redis (docs/multi-host.md, "The pool").
 *
 * A task entry (stream `<prefix>:pool:<stream>:tasks`): `k` the task's identity on its
 * submitting host ("<slot>:<generation>:<id>", the submitter's own numbers), `r` the results
 * stream to answer on (one per submitting host), `n` the handler name (absent: the default),
 * `d` ms the task may still run (0: no limit), `v` the task (wire MessagePack).
 * A result entry (stream `<prefix>:pool:<stream>:results:<host>`): `k` as above, `st` the
 * result status (RESULT_* of src/layout/pool.ts), `m` run microseconds, `v` the value (wire
 * MessagePack) or, for a failure, the error's JSON as the pool's own records carry it.
 */
import type { Redis as RedisClient } from 'ioredis';

/** A task's identity on its submitting host. */
export interface TaskKey {
  slot: number;
  generation: number;
  id: number;
}

export function formatTaskKey(slot: number, generation: number, id: number): string {
  return `${slot}:${generation >>> 0}:${id >>> 0}`;
}

export function parseTaskKey(text: string): TaskKey | undefined {
  const parts = text.split(':');
  if (parts.length !== 3) return undefined;
  const [slot, generation, id] = parts.map(Number) as [number, number, number];
  if (![slot, generation, id].every((n) => Number.isInteger(n) && n >= 0)) return undefined;
  return { slot, generation, id };
}

/** A stream entry's fields (name, value pairs of Buffers) as a map of name to Buffer. */
export function entryFields(fields: Buffer[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
  return map;
}

/** An XREADGROUP / XAUTOCLAIM entry as ioredis's *Buffer commands give it (fields null when deleted). */
export type RawEntry = [Buffer, Buffer[] | null];

/** Reads stream entries through a consumer group: the own pending ones ('0-0'...) or new ones ('>'). */
export async function readGroup(
  connection: unknown,
  stream: string,
  group: string,
  consumer: string,
  count: number,
  from: string,
  blockMs: number | undefined,
): Promise<RawEntry[]> {
  const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', count];
  if (blockMs !== undefined) args.push('BLOCK', blockMs);
  args.push('STREAMS', stream, from);
  const reply = (await (connection as { xreadgroupBuffer(...a: unknown[]): Promise<Array<[Buffer, RawEntry[]]> | null> }).xreadgroupBuffer(...args)) ?? [];
  return reply[0]?.[1] ?? [];
}

/** Creates the consumer group at the stream's start (what was added before any reader is read too). */
export async function ensureGroup(client: RedisClient, stream: string, group: string): Promise<void> {
  try {
    await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
  }
}
