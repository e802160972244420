import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Result {
  ok: boolean;
  error?: string;
  sent?: number;
  received?: number;
  checksum?: number;
  checked?: number;
}

function expectedChecksum(producers: number, count: number): number {
  let checksum = 0;
  for (let p = 0; p < producers; p++) {
    for (let i = 0; i < count; i++) checksum = (checksum + p * 1_000_003 + i) % 2 ** 31;
  }
  return checksum;
}

async function run(children: ReturnType<typeof startChild>[], timeoutMs: number): Promise<Result[]> {
  try {
    await Promise.all(children.map((child) => child.message(20_000)));
    for (const child of children) child.process.send('go');
    const results = await Promise.all(children.map((child) => child.message<Result>(timeoutMs)));
    await Promise.all(children.map((child) => child.exit(20_000)));
    for (const result of results) expect(result.error).toBeUndefined();
    return results;
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
}

describe('channels across processes', () => {
  it('SPSC: 10,000,000 messages of seeded random sizes, every byte checked', async () => {
    const name = uniqueName('spsc10m');
    const channel = Channel.create(name, { capacity: 1 << 20, kind: 'spsc', codec: 'raw' });
    try {
      const count = 10_000_000;
      const results = await run(
        [startChild('spsc-sequence.mjs', [name, 'producer', String(count), '12345']), startChild('spsc-sequence.mjs', [name, 'consumer', String(count), '12345'])],
        240_000,
      );
      expect(results[1]!.checked).toBeGreaterThan(count * 100);
    } finally {
      channel.disconnect();
    }
  });

  it('MPSC: 4 producers -> 1 consumer, 1,000,000 messages, exactly once by count and checksum', async () => {
    const name = uniqueName('mpsc');
    const channel = Channel.create(name, { capacity: 1 << 18, kind: 'mpsc', codec: 'raw' });
    try {
      const perProducer = 250_000;
      const peers = [0, 1, 2, 3].map((producer) =>
        startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'producer', producer, count: perProducer, maxLength: 96 })]),
      );
      peers.push(startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer', expect: 4 * perProducer })]));
      const results = await run(peers, 180_000);
      expect(results[4]).toMatchObject({ received: 1_000_000, checksum: expectedChecksum(4, perProducer) });
    } finally {
      channel.disconnect();
    }
  });

  it('MPMC: 2 producers -> 3 consumers, 1,000,000 messages, each to exactly one consumer', async () => {
    const name = uniqueName('mpmc');
    const channel = Channel.create(name, { capacity: 1 << 18, kind: 'mpmc', codec: 'raw' });
    try {
      const perProducer = 500_000;
      const producers = [0, 1].map((producer) =>
        startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'producer', producer, count: perProducer, maxLength: 96 })]),
      );
      const consumers = [0, 1, 2].map(() => startChild('channel-peer.mjs', [JSON.stringify({ name, role: 'consumer' })]));
      const all = [...producers, ...consumers];
      await Promise.all(all.map((child) => child.message(20_000)));
      for (const child of all) child.process.send('go');
      const produced = await Promise.all(producers.map((child) => child.message<Result>(180_000)));
      for (const result of produced) expect(result.error).toBeUndefined();
      channel.close(); // consumers drain, then end
      const consumed = await Promise.all(consumers.map((child) => child.message<Result>(180_000)));
      await Promise.all(all.map((child) => child.exit(20_000)));
      for (const result of consumed) expect(result.error).toBeUndefined();
      const received = consumed.reduce((sum, result) => sum + result.received!, 0);
      const checksum = consumed.reduce((sum, result) => (sum + result.checksum!) % 2 ** 31, 0);
      expect(received).toBe(1_000_000);
      expect(checksum).toBe(expectedChecksum(2, perProducer));
      expect(consumed.filter((result) => result.received! > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      channel.disconnect();
    }
  });
});
