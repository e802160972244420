/**
 * Owner words name the thread on Linux, so what a worker thread leaves behind when it ends
 * (a consumer slot, an open ring claim, a held lock) is recovered like a dead process's,
 * while its process lives on.
 */
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Channel, ChannelBusyError, Mutex, Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'thread-peer.mjs');
const linux = process.platform === 'linux';

async function firstMessage(worker: Worker, timeoutMs = 20_000): Promise<unknown> {
  const timer = setTimeout(() => void worker.terminate(), timeoutMs);
  try {
    const [message] = await once(worker, 'message');
    return message;
  } finally {
    clearTimeout(timer);
  }
}

describe.runIf(linux)('worker threads that end', () => {
  it('a worker that consumed and exited leaves the consumer slot to the next consumer', async () => {
    const name = uniqueName('thread-slot');
    using channel = Channel.create(name, { capacity: 4096, kind: 'mpsc', codec: 'raw' });
    channel.trySend(new Uint8Array([1]));
    channel.trySend(new Uint8Array([2]));
    const worker = new Worker(FIXTURE, { workerData: { name, role: 'consume-one' } });
    expect(await firstMessage(worker)).toEqual({ got: 1 });
    await once(worker, 'exit');
    // Not ChannelBusyError once the thread is gone. The OS may tear the thread down a moment
    // after the 'exit' event, so look again for a bounded while. The worker ended without
    // publishing its head, so what it read may come again (at-least-once when a consumer
    // dies, docs/decisions.md), then the rest.
    let first: Uint8Array | undefined;
    for (const deadline = Date.now() + 5_000; ; ) {
      try {
        first = channel.tryRead();
        break;
      } catch (error) {
        if (!(error instanceof ChannelBusyError) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const rest = [first, channel.tryRead(), channel.tryRead()].filter(Boolean).map((m) => m![0]);
    expect(rest.length === 1 ? rest : rest.slice(1)).toEqual([2]);
  });

  it('a worker terminated inside a claim: the consumer unblocks it and reads on', async () => {
    const name = uniqueName('thread-claim');
    using channel = Channel.create(name, { capacity: 4096, kind: 'mpsc', codec: 'raw' });
    const worker = new Worker(FIXTURE, { workerData: { name, role: 'claim-and-hang' } });
    expect(await firstMessage(worker)).toBe('claimed');
    await worker.terminate();
    channel.trySend(new Uint8Array([7]));
    expect(await channel.read({ timeout: 10_000 })).toEqual(new Uint8Array([7]));
    expect(channel.ring.unblocked).toBe(1);
  });

  it('a worker terminated holding a Mutex: the lock is recovered', async () => {
    const name = uniqueName('thread-lock');
    using section = Section.create(name, { size: 4096 });
    Mutex.initialize(section.buffer, 0);
    const worker = new Worker(FIXTURE, { workerData: { name, role: 'lock-and-hang' } });
    expect(await firstMessage(worker)).toBe('locked');
    const mutex = new Mutex(section.buffer, 0, section.waiter);
    expect(mutex.tryLock()).toBe(false);
    await worker.terminate();
    expect(mutex.lock({ timeout: 10_000 }).recovered).toBe(true);
    mutex.unlock();
  });

  it('nobody ended: a live worker keeps its slot and its lock (nothing recovered)', async () => {
    const name = uniqueName('thread-live');
    using section = Section.create(name, { size: 4096 });
    Mutex.initialize(section.buffer, 0);
    const worker = new Worker(FIXTURE, { workerData: { name, role: 'lock-and-hang' } });
    try {
      expect(await firstMessage(worker)).toBe('locked');
      const mutex = new Mutex(section.buffer, 0, section.waiter);
      expect(() => mutex.lock({ timeout: 300 })).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_TIMEOUT' }));
      expect(mutex.recoveries).toBe(0);
    } finally {
      await worker.terminate();
    }
  });
});

describe('a SharedArrayBuffer wait keeps the process alive', () => {
  it('await channel.read({ timeout }) with nothing else pending waits for its timeout instead of exiting', async () => {
    const child = startChild('sab-await.mjs');
    const result = await child.message<{ outcome: string; waitedMs: number }>(20_000);
    expect(result.outcome).toBe('ERR_SHMKIT_TIMEOUT');
    expect(result.waitedMs).toBeGreaterThanOrEqual(250);
    expect((await child.exit(20_000)).code).toBe(0);
  });
});
