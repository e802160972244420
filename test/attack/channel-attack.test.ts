// Attacks on this round's channel changes: the space side of "wake once per park", close()
// while a send waits, `for await` + break / throw, failed opens that must leave nothing
// attached, and waits that must honour their timeout / AbortSignal promptly.
import { describe, expect, it } from 'vitest';
import { AbortError, Broadcast, Channel, ChannelBusyError, Section, SharedArrayBufferWaiter, TimeoutError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

function onSab<T = unknown>(kind: 'spsc' | 'mpsc' | 'mpmc', capacity = 1024): [Channel<T>, Channel<T>, () => Channel<T>] {
  const sab = new SharedArrayBuffer(Channel.byteLength(capacity));
  Channel.initialize(sab, 0, { capacity, kind });
  const waiter = new SharedArrayBufferWaiter(sab);
  const open = (): Channel<T> => new Channel<T>(sab, 0, waiter);
  return [open(), open(), open];
}

/** Fills the ring with small numbers; returns how many went in. */
function fill(tx: Channel<number>): number {
  let sent = 0;
  while (tx.trySend(sent)) sent++;
  return sent;
}

describe.each(['spsc', 'mpsc'] as const)('space side: a producer parked on a full ring (%s)', (kind) => {
  // SPSC / MPSC consumers publish their head in batches, "or at once when a producer is
  // parked" (spsc-ring.ts). The check is made in release(): a producer that parks just
  // after the consumer's release() finds the head unpublished, and nobody publishes it
  // until the consumer reads again. The consumer is alive and has freed a record.
  it('sendSync gets the record the consumer freed before it parked (not a timeout)', () => {
    const [tx, rx] = onSab<number>(kind);
    const sent = fill(tx);
    expect(sent).toBeGreaterThan(4);
    expect(rx.tryReceive()).toEqual({ value: 0 }); // one record freed, consumer then idle
    const started = performance.now();
    let error: unknown;
    try {
      tx.sendSync(sent, { timeout: 500 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(150);
  });

  it('async send likewise', async () => {
    const [tx, rx] = onSab<number>(kind);
    const sent = fill(tx);
    expect(rx.tryReceive()).toEqual({ value: 0 });
    await expect(tx.send(sent, { timeout: 500 })).resolves.toBeUndefined();
  });

  it('trySend after the consumer took a message from a full ring', () => {
    const [tx, rx] = onSab<number>(kind);
    const sent = fill(tx);
    expect(rx.tryReceiveMany(2)).toEqual([0, 1]);
    expect(tx.trySend(sent)).toBe(true);
  });
});

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('close() while a send waits (%s)', (kind) => {
  // close() "lets go of this handle: its producer slot (so another handle may take it)". A
  // send that was waiting for space when close() came goes on, and its next claim takes the
  // producer slot (SPSC) and a sender-table slot again, for a handle that has been closed.
  it('a handle closed mid-send does not take its slots back', async () => {
    const [tx, rx, open] = onSab<number>(kind);
    const sent = fill(tx);
    const pending = tx.send(sent, { timeout: 2000 }).then(
      () => 'sent',
      (error: unknown) => (error as Error).name,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    tx.close();
    expect(rx.tryReceiveMany().length).toBeGreaterThan(0);
    await pending; // whatever it decided, it decided
    const next = open();
    expect(() => next.trySend(-1)).not.toThrow(ChannelBusyError);
    // and the sender table: the closed handle holds no slot (a closed sender is "let go")
    const held = (tx.ring.senders as unknown as { held: unknown }).held;
    expect(held).toBeUndefined();
  });
});

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('for await + break / throw (%s)', (kind) => {
  it('break: what the loop took is consumed for good, the rest goes to the next consumer', async () => {
    const [tx, rx, open] = onSab<number>(kind, 4096);
    expect(tx.trySendMany([0, 1, 2, 3, 4, 5])).toBe(6);
    const seen: number[] = [];
    for await (const value of rx.iterate({ timeout: 1000 })) {
      seen.push(value);
      if (seen.length === 2) break;
    }
    rx.close();
    const next = open();
    expect(next.tryReceiveMany()).toEqual([2, 3, 4, 5]);
    expect(seen).toEqual([0, 1]);
  });

  it('throw in the body: the same', async () => {
    const [tx, rx, open] = onSab<number>(kind, 4096);
    expect(tx.trySendMany([0, 1, 2, 3])).toBe(4);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of rx) {
          seen.push(value);
          if (value === 1) throw new Error('stop');
        }
      })(),
    ).rejects.toThrow('stop');
    rx.close();
    expect(open().tryReceiveMany()).toEqual([2, 3]);
    expect(seen).toEqual([0, 1]);
  });
});

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('prompt timeout and abort (%s)', (kind) => {
  // Generous: on a machine with every core busy a wake-up can wait a scheduler slice or two;
  // what is tested is that the wait ends near its deadline, not at the next 200 ms park slice.
  const slack = process.env.SHMKIT_STRESS ? 1500 : 400;
  it('receive / read / poll / receiveMany / readMany / iterator: timeout within slack', async () => {
    const [tx, rx] = onSab<number>(kind);
    tx.trySend(0);
    rx.tryReceive(); // a sender came and lives: no SendersGoneError
    const calls: Array<() => Promise<unknown>> = [
      () => rx.receive({ timeout: 60 }),
      () => rx.read({ timeout: 60 }),
      () => rx.poll(() => {}, 1, { timeout: 60 }),
      () => rx.receiveMany(5, { timeout: 60 }),
      () => rx.readMany(5, { timeout: 60 }),
      () => rx.iterate({ timeout: 60 }).next(),
    ];
    for (const call of calls) {
      const started = performance.now();
      await expect(call()).rejects.toThrow(TimeoutError);
      expect(performance.now() - started).toBeLessThan(60 + slack);
    }
  });

  it('abort during a long wait rejects within slack, receive and send', async () => {
    const [tx, rx] = onSab<number>(kind);
    tx.trySend(0);
    rx.tryReceive();
    const controller = new AbortController();
    const started = performance.now();
    const pending = rx.receive({ timeout: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 250); // after the park slices have grown
    await expect(pending).rejects.toThrow(AbortError);
    expect(performance.now() - started).toBeLessThan(250 + slack);

    fill(tx);
    const sendController = new AbortController();
    const sendStarted = performance.now();
    const sending = tx.sendMany([1, 2, 3], { timeout: 10_000, signal: sendController.signal });
    setTimeout(() => sendController.abort(), 250);
    await expect(sending).rejects.toThrow(AbortError);
    expect(performance.now() - sendStarted).toBeLessThan(250 + slack);
  });
});

describe('failed opens leave nothing attached', () => {
  function attached(name: string): number[] {
    return Section.list().find((info) => info.name === name)?.attachedPids ?? [];
  }

  it('Channel.open / openOrCreate of a broadcast, openOrCreate with other options', () => {
    const name = uniqueName('attack-kind');
    const broadcast = Broadcast.create<number>(name, { capacity: 4096 });
    broadcast.close();
    expect(() => Channel.open(name)).toThrow();
    expect(attached(name)).not.toContain(process.pid);
    expect(() => Channel.openOrCreate(name)).toThrow();
    expect(attached(name)).not.toContain(process.pid);
    Broadcast.unlink(name);

    const other = uniqueName('attack-mismatch');
    const channel = Channel.create(other, { kind: 'spsc', capacity: 4096 });
    channel.close();
    expect(() => Channel.openOrCreate(other, { kind: 'mpsc' })).toThrow();
    expect(() => Channel.openOrCreate(other, { capacity: 1024 })).toThrow();
    expect(attached(other)).not.toContain(process.pid);
    Channel.unlink(other);
  });
});
