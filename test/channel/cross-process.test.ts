import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Result {
  ok: boolean;
  error?: string;
  code?: string;
  sent?: number;
  received?: number;
  checksum?: number;
  checked?: number;
  unblocked?: number;
  revoked?: number;
  lockRecoveries?: number;
}

function expectedChecksum(producers: number, count: number): number {
  let checksum = 0;
  for (let p = 0; p < producers; p++) {
    for (let i = 0; i < count; i++) checksum = (checksum + p * 1_000_003 + i) % 2 ** 31;
  }
  return checksum;
}

interface Peer {
  role: 'producer' | 'consumer';
  child: Child;
}

interface Settled {
  results: Result[];
  errors: Array<{ role: Peer['role']; index: number; error: string }>;
}

/** The next message of every peer, and every peer's error (a timeout, a crash, or its own). */
async function settle(peers: Peer[], timeoutMs: number): Promise<Settled> {
  const outcomes = await Promise.allSettled(peers.map((peer) => peer.child.message<Result>(timeoutMs)));
  const errors: Settled['errors'] = [];
  const results = outcomes.map((outcome, index) => {
    const error = outcome.status === 'rejected' ? String(outcome.reason) : outcome.value.error;
    if (error !== undefined) errors.push({ role: peers[index]!.role, index, error });
    return outcome.status === 'fulfilled' ? outcome.value : { ok: false, error };
  });
  return { results, errors };
}

/**
 * Fails with every peer's error, consumers first: a consumer that saw a torn message explains
 * the producers' timeouts that follow, not the reverse.
 */
function throwIfAnyFailed(...groups: Settled[]): void {
  const errors = groups.flatMap((group) => group.errors).sort((a, b) => (a.role === b.role ? 0 : a.role === 'consumer' ? -1 : 1));
  if (errors.length > 0) {
    throw new Error(`${errors.length} peer(s) failed:\n${errors.map((entry) => `${entry.role} #${entry.index}: ${entry.error}`).join('\n')}`);
  }
}

async function collect(peers: Peer[], timeoutMs: number): Promise<Result[]> {
  const settled = await settle(peers, timeoutMs);
  throwIfAnyFailed(settled);
  return settled.results;
}

/** Nobody died in these tests: nothing may have been unblocked, revoked or recovered. */
function expectNothingRecovered(results: Result[]): void {
  for (const result of results) {
    expect(result.unblocked ?? 0).toBe(0);
    expect(result.revoked ?? 0).toBe(0);
    expect(result.lockRecoveries ?? 0).toBe(0);
  }
}

async function run(peers: Peer[], timeoutMs: number): Promise<Result[]> {
  try {
    await Promise.all(peers.map((peer) => peer.child.message(20_000)));
    for (const peer of peers) peer.child.process.send('go');
    const results = await collect(peers, timeoutMs);
    await Promise.all(peers.map((peer) => peer.child.exit(20_000)));
    return results;
  } finally {
    for (const peer of peers) peer.child.kill('SIGKILL');
  }
}

const producer = (child: Child): Peer => ({ role: 'producer', child });
const consumer = (child: Child): Peer => ({ role: 'consumer', child });

// Millions of messages between processes: minutes, not seconds, when every core is busy.
describe('channels across processes', { timeout: 300_000 }, () => {
  it('SPSC: 10,000,000 messages of seeded random sizes, every byte checked', async () => {
    const name = uniqueName('spsc10m');
    const channel = Channel.create(name, { capacity: 1 << 20, kind: 'spsc', codec: 'raw' });
    try {
      const count = 10_000_000;
      const results = await run(
        [
          producer(startChild('spsc-sequence.mjs', [name, 'producer', String(count), '12345'])),
          consumer(startChild('spsc-sequence.mjs', [name, 'consumer', String(count), '12345'])),
        ],
        240_000,
      );
      expect(results[1]!.checked).toBeGreaterThan(count * 100);
    } finally {
      channel.close();
    }
  });

  it('MPSC: 4 producers -> 1 consumer, 1,000,000 messages, exactly once by count and checksum', async () => {
    const name = uniqueName('mpsc');
    const channel = Channel.create(name, { capacity: 1 << 18, kind: 'mpsc', codec: 'raw' });
    try {
      const perProducer = 250_000;
      const peers = [0, 1, 2, 3].map((index) =>
        producer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'producer', producer: index, count: perProducer, maxLength: 96 })])),
      );
      peers.push(consumer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer', expect: 4 * perProducer })])));
      const results = await run(peers, 240_000);
      expect(results[4]).toMatchObject({ received: 1_000_000, checksum: expectedChecksum(4, perProducer) });
      expectNothingRecovered(results);
    } finally {
      channel.close();
    }
  });

  it('MPMC: 2 producers -> 3 consumers, 1,000,000 messages, each to exactly one consumer', async () => {
    const name = uniqueName('mpmc');
    const channel = Channel.create(name, { capacity: 1 << 18, kind: 'mpmc', codec: 'raw' });
    try {
      const perProducer = 500_000;
      const producers = [0, 1].map((index) =>
        producer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'producer', producer: index, count: perProducer, maxLength: 96 })])),
      );
      const consumers = [0, 1, 2].map(() => consumer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer' })])));
      const all = [...producers, ...consumers];
      try {
        await Promise.all(all.map((peer) => peer.child.message(20_000)));
        for (const peer of all) peer.child.process.send('go');
        const produced = await settle(producers, 240_000);
        channel.end(); // consumers drain, then end (also when a producer failed: hear them out)
        const consumed = await settle(consumers, 240_000);
        throwIfAnyFailed(consumed, produced);
        await Promise.all(all.map((peer) => peer.child.exit(20_000)));
        expectNothingRecovered([...produced.results, ...consumed.results]);
        const received = consumed.results.reduce((sum, result) => sum + result.received!, 0);
        const checksum = consumed.results.reduce((sum, result) => (sum + result.checksum!) % 2 ** 31, 0);
        expect(received).toBe(1_000_000);
        expect(checksum).toBe(expectedChecksum(2, perProducer));
        expect(consumed.results.filter((result) => result.received! > 0).length).toBeGreaterThanOrEqual(2);
      } finally {
        for (const peer of all) peer.child.kill('SIGKILL');
      }
    } finally {
      channel.close();
    }
  });

  for (const kind of ['spsc', 'mpsc'] as const) {
    it(`${kind}: a second consumer process is refused with ChannelBusyError; the first gets every message`, async () => {
      const name = uniqueName(`busy-${kind}`);
      const channel = Channel.create(name, { capacity: 1 << 16, kind, codec: 'raw' });
      try {
        const first = consumer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer', expect: 20_000 })]));
        const second = consumer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer', expect: 20_000 })]));
        const sender = producer(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'producer', producer: 0, count: 20_000, maxLength: 64 })]));
        try {
          for (const peer of [first, second, sender]) await peer.child.message(20_000);
          first.child.process.send('go');
          // The first consumer holds the slot once it has read; let it start before the second.
          await new Promise((resolve) => setTimeout(resolve, 200));
          second.child.process.send('go');
          const refused = await second.child.message<Result>(60_000);
          expect(refused).toMatchObject({ ok: false, code: 'ERR_SHMKIT_CHANNEL_BUSY' });
          sender.child.process.send('go');
          const [received, sent] = await collect([first, sender], 120_000);
          expect(sent!.sent).toBe(20_000);
          expect(received).toMatchObject({ received: 20_000, checksum: expectedChecksum(1, 20_000) });
          expectNothingRecovered([received!, sent!]);
        } finally {
          for (const peer of [first, second, sender]) peer.child.kill('SIGKILL');
        }
      } finally {
        channel.close();
      }
    });
  }
});

describe('a consumer that exits without close()', () => {
  for (const kind of ['spsc', 'mpsc'] as const) {
    for (const how of ['readSync', 'for-await'] as const) {
      it(`${kind}, ${how}: the next consumer gets exactly the messages it did not take (no duplicates)`, async () => {
        const name = uniqueName(`exit-${kind}`);
        const channel = Channel.create(name, { capacity: 1 << 16, kind, codec: 'raw' });
        try {
          for (let i = 0; i < 1000; i++) expect(channel.trySend(new Uint8Array(new Uint32Array([i]).buffer))).toBe(true);
          const child = startChild('consume-some.mjs', [name, '500', how]);
          expect(await child.message(30_000)).toEqual({ taken: 500 });
          expect((await child.exit(20_000)).code).toBe(0);
          const rest: number[] = [];
          for (let message = channel.tryRead(); message; message = channel.tryRead()) rest.push(new Uint32Array(message.buffer)[0]!);
          expect(rest).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i));
        } finally {
          channel.close();
        }
      });
    }
  }
});
