// A receiver learns that no live sender is left (SendersGoneError) instead of waiting for
// ever; and never hears it while a sender lives, before any sender came, or on a mailbox.
import { afterEach, describe, expect, it } from 'vitest';
import { Channel, Mailbox, SendersGoneError, SharedArrayBufferWaiter, TimeoutError } from '../../src/index.js';
import { RING_SENDER_SLOTS } from '../../src/layout/ring.js';
import { startChild, type Child } from '../helpers/child.js';
import { World } from '../helpers/controlled-waiter.js';
import { uniqueName } from '../helpers/names.js';

function onSab(kind: 'spsc' | 'mpsc' | 'mpmc'): { sab: SharedArrayBuffer; open: () => Channel<number> } {
  const sab = new SharedArrayBuffer(Channel.byteLength(4096));
  Channel.initialize(sab, 0, { capacity: 4096, kind });
  const waiter = new SharedArrayBufferWaiter(sab);
  return { sab, open: () => new Channel<number>(sab, 0, waiter) };
}

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('senders gone (%s, one process)', (kind) => {
  it('the last sender closing without end(): the receiver drains, then SendersGoneError at once', async () => {
    const { open } = onSab(kind);
    const [tx, rx] = [open(), open()];
    tx.trySendMany([1, 2, 3]);
    const pending = rx.receiveMany(10, { timeout: 5000 }).then(async (first) => [...first, await rx.receive({ timeout: 5000 })]);
    setTimeout(() => tx.close(), 20);
    await expect(pending).rejects.toThrow(SendersGoneError);
    const started = performance.now();
    await expect(rx.receive({ timeout: 5000 })).rejects.toThrow(SendersGoneError);
    expect(performance.now() - started).toBeLessThan(1000); // one park slice, not the timeout
  });

  it('for await rejects with SendersGoneError after the last message', async () => {
    const { open } = onSab(kind);
    const [tx, rx] = [open(), open()];
    tx.trySendMany([1, 2]);
    tx.close();
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for await (const value of rx.iterate({ timeout: 5000 })) seen.push(value);
    };
    await expect(loop()).rejects.toThrow(SendersGoneError);
    expect(seen).toEqual([1, 2]);
  });

  it('before any sender came, a receiver waits (TimeoutError), and end() still finishes cleanly', async () => {
    const { open } = onSab(kind);
    const [tx, rx] = [open(), open()];
    await expect(rx.receive({ timeout: 30 })).rejects.toThrow(TimeoutError);
    tx.trySend(1);
    tx.end();
    const seen: number[] = [];
    for await (const value of rx.iterate({ timeout: 5000 })) seen.push(value);
    expect(seen).toEqual([1]);
  });

  it('while a sender lives, the receiver only times out', async () => {
    const { open } = onSab(kind);
    const [tx, rx] = [open(), open()];
    tx.trySend(1);
    expect(await rx.receive({ timeout: 1000 })).toBe(1);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
    tx.trySend(2);
    expect(await rx.receive({ timeout: 1000 })).toBe(2);
  });
});

describe('senders gone, liveness answers the test controls', () => {
  it('a dead sender is gone; a live one (pid reused by another process: dead) is not', async () => {
    const sab = new SharedArrayBuffer(Channel.byteLength(4096));
    Channel.initialize(sab, 0, { capacity: 4096, kind: 'mpsc' });
    const world = new World(sab);
    const rx = new Channel<number>(sab, 0, world.process(100));
    const a = new Channel<number>(sab, 0, world.process(201));
    const b = new Channel<number>(sab, 0, world.process(202));
    a.trySend(1);
    b.trySend(2);
    expect(rx.tryReceiveMany()).toEqual([1, 2]);
    world.kill(201);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError); // 202 lives
    world.reuse(202); // 202 is now another process: the sender died
    await expect(rx.receive({ timeout: 5000 })).rejects.toThrow(SendersGoneError);
    world.revive(202);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
  });

  it(`more than ${RING_SENDER_SLOTS} senders at once: nobody can tell, so receivers just wait`, async () => {
    const sab = new SharedArrayBuffer(Channel.byteLength(4096));
    Channel.initialize(sab, 0, { capacity: 4096, kind: 'mpsc' });
    const world = new World(sab);
    const rx = new Channel<number>(sab, 0, world.process(100));
    const senders = Array.from({ length: RING_SENDER_SLOTS + 1 }, (_, i) => new Channel<number>(sab, 0, world.process(300 + i)));
    for (const [i, sender] of senders.entries()) sender.trySend(i);
    expect(rx.tryReceiveMany()).toHaveLength(RING_SENDER_SLOTS + 1);
    for (const i of senders.keys()) world.kill(300 + i);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
  });

  it('a mailbox owner never hears it: anyone may send at any time', async () => {
    const name = uniqueName('mbox-gone');
    const box = Mailbox.create<number>(name);
    try {
      const sender = Mailbox.open<number>(name);
      sender.trySend(1);
      sender.close();
      expect(await box.receive({ timeout: 1000 })).toBe(1);
      await expect(box.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
    } finally {
      box.close();
    }
  });
});

describe('senders gone, across processes', () => {
  const children: Child[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it.each(['SIGKILL', 'exit', 'close'] as const)('a producer that leaves by %s: the consumer drains, then SendersGoneError', async (how) => {
    const name = uniqueName(`gone-${how}`);
    const channel = Channel.create(name, { kind: 'mpsc', codec: 'raw' });
    try {
      const child = startChild('sender-then-idle.mjs', [name, '100']);
      children.push(child);
      expect(await child.message()).toBe('sent');
      // alive and idle: the consumer only times out
      const first = await channel.readMany(1000, { timeout: 5000 });
      expect(first.length).toBeGreaterThan(0);
      let count = first.length;
      while (count < 100) count += (await channel.readMany(1000, { timeout: 5000 })).length;
      await expect(channel.read({ timeout: 300 })).rejects.toThrow(TimeoutError);
      if (how === 'SIGKILL') child.kill('SIGKILL');
      else child.process.send(how);
      await child.exit(10_000);
      await expect(channel.read({ timeout: 10_000 })).rejects.toThrow(SendersGoneError);
      expect(count).toBe(100);
    } finally {
      channel.close();
    }
  });
});
