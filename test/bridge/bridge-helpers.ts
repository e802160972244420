/**
 * What the bridge tests share: two "hosts" (two namespaces, a bridge each) on one real Redis,
 * and checks over delivered ids.
 */
import type { Redis } from 'ioredis';
import { Namespace, SendersGoneError } from '../../src/index.js';
import { Bridge, type IdentifiedMessage } from '../../src/bridge/index.js';
import { uniqueName } from '../helpers/names.js';

export interface Host {
  ns: Namespace;
  bridge: Bridge;
  errors: string[];
}

/** A namespace (unique name) and a bridge on it, with a unique key prefix per test. */
export async function startHost(url: string, prefix: string, tag: string): Promise<Host> {
  const ns = Namespace.open(uniqueName(tag), { size: 16 << 20 });
  const errors: string[] = [];
  const bridge = await Bridge.start({ redis: url, namespace: ns, prefix, host: tag, onError: (error, where) => errors.push(`${where}: ${(error as Error).message}`) });
  return { ns, bridge, errors };
}

export async function stopHost(host: Host | undefined): Promise<void> {
  if (!host) return;
  await host.bridge.close().catch(() => {});
  host.ns.destroy();
}

/** Messages { id, value: { i } } received until `count` distinct ids came (counting `soFar`), within `timeoutMs`. */
export async function receiveDistinct(
  channel: { receive(options: { timeout: number }): Promise<unknown> },
  count: number,
  timeoutMs: number,
  soFar: { ids: Set<string>; duplicates: number; values: number[] } = { ids: new Set(), duplicates: 0, values: [] },
): Promise<{ ids: Set<string>; duplicates: number; values: number[] }> {
  const { ids, values } = soFar;
  let duplicates = soFar.duplicates;
  const deadline = Date.now() + timeoutMs;
  while (ids.size < count) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`received ${ids.size} of ${count} distinct messages within ${timeoutMs} ms`);
    let message: IdentifiedMessage<{ i: number }>;
    try {
      message = (await channel.receive({ timeout: left })) as IdentifiedMessage<{ i: number }>;
    } catch (error) {
      // The importing bridge (the channel's sender) died: the next one sends again.
      if (!(error instanceof SendersGoneError)) throw error;
      await sleep(20);
      continue;
    }
    if (ids.has(message.id)) duplicates++;
    else {
      ids.add(message.id);
      values.push(message.value.i);
    }
  }
  return { ids, duplicates, values };
}

/** A test's own key prefix, so tests sharing a server never see each other's streams. */
export function testPrefix(): string {
  return `t${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or throws after `timeoutMs` saying what it waited for. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

/**
 * Freezes a bridge process (SIGSTOP) at a moment when `consumer` holds entries of `stream` that
 * it has not acknowledged, so that a SIGKILL next leaves them pending for certain; thaws it
 * (SIGCONT) and tries again while it holds none. Checking first and killing after would race
 * the bridge acknowledging meanwhile. Returns how many it holds (while frozen the number can
 * only grow: Redis may still hand a blocked read of it more).
 */
export async function freezeHoldingPending(
  child: { kill(signal: NodeJS.Signals): void },
  client: Redis,
  stream: string,
  group: string,
  consumer: string,
  timeoutMs = 30_000,
): Promise<number> {
  let held = 0;
  await eventually(
    `${consumer} frozen holding unacknowledged entries`,
    async () => {
      child.kill('SIGSTOP');
      const [, , , consumers] = (await client.xpending(stream, group)) as [number, unknown, unknown, Array<[string, string]> | null];
      held = Number((consumers ?? []).find(([name]) => name === consumer)?.[1] ?? 0);
      if (held === 0) child.kill('SIGCONT');
      return held > 0;
    },
    timeoutMs,
  );
  return held;
}
