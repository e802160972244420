// A receiver learns that no live sender is left (SendersGoneError: every sender died or
// exited without close() or end()) instead of waiting for ever; and never hears it while a
// sender lives, after senders closed their handles, before any came, or on a mailbox.
import { afterEach, describe, expect, it } from 'vitest';
import { Channel, Mailbox, SendersGoneError, TimeoutError } from '../../src/index.js';
import { RING_SENDER_SLOTS } from '../../src/layout/ring.js';
import { startChild, type Child } from '../helpers/child.js';
import { World } from '../helpers/controlled-waiter.js';
import { uniqueName } from '../helpers/names.js';

/** A ring on a SharedArrayBuffer and a world whose processes the test can kill. */
function onSab(kind: 'spsc' | 'mpsc' | 'mpmc'): { world: World; open: (pid: number) => Channel<number> } {
  const sab = new SharedArrayBuffer(Channel.byteLength(4096));
  Channel.initialize(sab, 0, { capacity: 4096, kind });
  const world = new World(sab);
  return { world, open: (pid) => new Channel<number>(sab, 0, world.process(pid)) };
}

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('senders gone (%s, liveness the test controls)', (kind) => {
  it('the last sender dies without end(): the receiver drains, then SendersGoneError within a park slice', async () => {
    const { world, open } = onSab(kind);
    const [rx, tx] = [open(100), open(200)];
    tx.trySendMany([1, 2, 3]);
    const pending = rx.receiveMany(10, { timeout: 5000 }).then(async (first) => [...first, await rx.receive({ timeout: 5000 })]);
    setTimeout(() => world.kill(200), 20);
    await expect(pending).rejects.toThrow(SendersGoneError);
    const started = performance.now();
    await expect(rx.receive({ timeout: 5000 })).rejects.toThrow(SendersGoneError);
    expect(performance.now() - started).toBeLessThan(1000); // a park slice or two, not the timeout
  });

  it('for await rejects with SendersGoneError after the last message', async () => {
    const { world, open } = onSab(kind);
    const [rx, tx] = [open(100), open(200)];
    tx.trySendMany([1, 2]);
    world.kill(200);
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for await (const value of rx.iterate({ timeout: 5000 })) seen.push(value);
    };
    await expect(loop()).rejects.toThrow(SendersGoneError);
    expect(seen).toEqual([1, 2]);
  });

  it('a sender that closes its handle is done, not the stream: receivers wait, and a later end() finishes them', async () => {
    const { open } = onSab(kind);
    const [rx, tx, coordinator] = [open(100), open(200), open(300)];
    tx.trySendMany([1, 2]);
    tx.close();
    expect(rx.tryReceiveMany()).toEqual([1, 2]);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
    coordinator.end();
    const seen: number[] = [];
    for await (const value of rx.iterate({ timeout: 5000 })) seen.push(value);
    expect(seen).toEqual([]);
  });

  it('before any sender came, a receiver waits (TimeoutError)', async () => {
    const { open } = onSab(kind);
    const rx = open(100);
    await expect(rx.receive({ timeout: 30 })).rejects.toThrow(TimeoutError);
  });

  it('while a sender lives, the receiver only times out', async () => {
    const { open } = onSab(kind);
    const [rx, tx] = [open(100), open(200)];
    tx.trySend(1);
    expect(await rx.receive({ timeout: 1000 })).toBe(1);
    await expect(rx.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
    tx.trySend(2);
    expect(await rx.receive({ timeout: 1000 })).toBe(2);
  });

  it('a receiver that opens after a crash, with nothing read since, waits for new senders', async () => {
    const { world, open } = onSab(kind);
    const tx = open(200);
    tx.trySend(1);
    const earlier = open(100); // read before the crash, by an earlier receiver
    earlier.tryReceive();
    earlier.close();
    world.kill(200);
    const restarted = open(101); // has read nothing and seen no live sender
    await expect(restarted.receive({ timeout: 60 })).rejects.toThrow(TimeoutError);
    open(201).trySend(2); // a new sender comes
    expect(await restarted.receive({ timeout: 1000 })).toBe(2);
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

  it.each(['SIGKILL', 'exit', 'close'] as const)('a producer that leaves by %s: the consumer drains, then SendersGoneError (close: it waits)', async (how) => {
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
      if (how === 'close') await expect(channel.read({ timeout: 300 })).rejects.toThrow(TimeoutError); // done, not ended
      else await expect(channel.read({ timeout: 10_000 })).rejects.toThrow(SendersGoneError);
      expect(count).toBe(100);
    } finally {
      channel.close();
    }
  });
});
