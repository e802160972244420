// Batches (sendMany / receiveMany, writeMany / readMany) and the async iterator, on every kind
// of ring, on a SharedArrayBuffer between two handles of this thread.
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  Channel,
  ChannelEndedError,
  CorruptChannelError,
  InvalidArgTypeError,
  MessageTooLargeError,
  OutOfRangeError,
  SharedArrayBufferWaiter,
  TimeoutError,
  UnserializableValueError,
} from '../../src/index.js';
import { onSab } from '../helpers/sab-channel.js';
import { RING_TAIL_OFFSET } from '../../src/layout/ring.js';
import { setPauseHook } from '../../src/sync/pause-points.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe.each(['spsc', 'mpsc', 'mpmc'] as const)('batches (%s)', (kind) => {
  it('trySendMany sends what fits, in order, and says how many; tryReceiveMany takes them all', () => {
    const [tx, rx] = onSab<number>(kind, 1024);
    const sent = tx.trySendMany(range(1000));
    expect(sent).toBeGreaterThan(10);
    expect(sent).toBeLessThan(1000); // 1 KiB holds far fewer than 1,000 records
    expect(rx.tryReceiveMany()).toEqual(range(sent));
    expect(rx.tryReceiveMany()).toEqual([]);
  });

  it('receiveMany(max) returns at most max, in order, and waits for the first', async () => {
    const [tx, rx] = onSab<number>(kind);
    expect(tx.trySendMany(range(10))).toBe(10);
    expect(await rx.receiveMany(4, { timeout: 1000 })).toEqual([0, 1, 2, 3]);
    expect(rx.receiveManySync(100, { timeout: 1000 })).toEqual(range(6, 4));
    const pending = rx.receiveMany(Infinity, { timeout: 5000 });
    setTimeout(() => tx.trySendMany([10, 11]), 20);
    expect(await pending).toEqual([10, 11]);
    await expect(rx.receiveMany(10, { timeout: 20 })).rejects.toThrow(TimeoutError);
  });

  it('sendMany waits for space and delivers every value exactly once, in order', async () => {
    const [tx, rx] = onSab<number>(kind, 1024);
    const values = range(5000);
    const received: number[] = [];
    const sending = tx.sendMany(values, { timeout: 10_000 });
    const deadline = Date.now() + 10_000;
    while (received.length < values.length && Date.now() < deadline) {
      received.push(...(await rx.receiveMany(64, { timeout: 10_000 })));
    }
    await sending;
    expect(received).toEqual(values);
  });

  it('a value that cannot be encoded refuses the whole batch: nothing is sent', () => {
    const [tx, rx] = onSab(kind);
    expect(() => tx.trySendMany([1, 2, () => 3, 4])).toThrow(UnserializableValueError);
    expect(() => tx.sendManySync([1, Symbol('x')])).toThrow(UnserializableValueError);
    expect(rx.tryReceiveMany()).toEqual([]);
    expect(() => tx.trySendMany('abc' as unknown as unknown[])).toThrow(InvalidArgTypeError);
  });

  it('a message too large for the ring refuses the whole batch', () => {
    const [tx, rx] = onSab(kind, 1024, 'raw');
    expect(() => tx.tryWriteMany([new Uint8Array(8), new Uint8Array(4000)])).toThrow(MessageTooLargeError);
    expect(rx.tryReadMany()).toEqual([]);
  });

  it('raw: writeMany / readMany carry the bytes; anything but bytes is refused before a write', async () => {
    const [tx, rx] = onSab(kind, 1024, 'raw');
    const messages = range(300).map((i) => new Uint8Array(i % 40).fill(i & 0xff));
    const writing = tx.writeMany(messages, { timeout: 10_000 });
    const got: Uint8Array[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < messages.length && Date.now() < deadline) got.push(...(await rx.readMany(50, { timeout: 10_000 })));
    await writing;
    expect(got).toEqual(messages);
    expect(() => tx.tryWriteMany([new Uint8Array(1), 'x' as unknown as Uint8Array])).toThrow(InvalidArgTypeError);
    expect(rx.tryReadMany()).toEqual([]);
    tx.writeManySync([new Uint8Array([1]), new Uint8Array([2])]);
    expect(rx.readManySync(1)).toEqual([new Uint8Array([1])]);
    expect(rx.readManySync()).toEqual([new Uint8Array([2])]);
  });

  it('tryPoll / poll / pollSync hand over each message in place, in order, and consume it', async () => {
    const [tx, rx] = onSab(kind, 1024, 'raw');
    const seen: number[] = [];
    const handler = (bytes: Uint8Array, offset: number, length: number): void => {
      expect(length).toBe(3);
      seen.push(bytes[offset]!, bytes[offset + 2]!);
    };
    expect(rx.tryPoll(handler)).toBe(0);
    tx.tryWriteMany([new Uint8Array([1, 0, 1]), new Uint8Array([2, 0, 2]), new Uint8Array([3, 0, 3])]);
    expect(rx.tryPoll(handler, 2)).toBe(2);
    expect(rx.pollSync(handler, 5, { timeout: 1000 })).toBe(1);
    const pending = rx.poll(handler, Infinity, { timeout: 5000 });
    setTimeout(() => tx.tryWrite(new Uint8Array([4, 0, 4])), 20);
    expect(await pending).toBe(1);
    expect(seen).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    await expect(rx.poll(handler, 1, { timeout: 20 })).rejects.toThrow(TimeoutError);
    expect(() => rx.tryPoll('x' as unknown as () => void)).toThrow(InvalidArgTypeError);
    // a handler that throws has consumed its message
    tx.tryWriteMany([new Uint8Array([5, 0, 5]), new Uint8Array([6, 0, 6])]);
    expect(() => rx.tryPoll(() => { throw new Error('boom'); })).toThrow('boom');
    expect(rx.tryPoll(handler)).toBe(1);
    expect(seen.slice(-2)).toEqual([6, 6]);
    tx.end();
    expect(() => rx.tryPoll(handler)).toThrow(ChannelEndedError);
  });

  it('max must be a whole number from 1', () => {
    const [, rx] = onSab(kind);
    for (const max of [0, -1, 1.5, Number.NaN]) expect(() => rx.tryReceiveMany(max)).toThrow(OutOfRangeError);
  });

  it('an ended channel: batches drain, then ChannelEndedError, as for await finishes', async () => {
    const [tx, rx] = onSab<number>(kind);
    tx.trySendMany([1, 2, 3]);
    tx.end();
    expect(() => tx.trySendMany([4])).toThrow(ChannelEndedError);
    expect(rx.tryReceiveMany(2)).toEqual([1, 2]);
    expect(await rx.receiveMany()).toEqual([3]);
    expect(() => rx.tryReceiveMany()).toThrow(ChannelEndedError);
    await expect(rx.receiveMany(10, { timeout: 1000 })).rejects.toThrow(ChannelEndedError);
    const seen: number[] = [];
    for await (const value of rx) seen.push(value);
    expect(seen).toEqual([]);
  });

  it('for await drains what is there, then waits, and finishes once the channel ends', async () => {
    const [tx, rx] = onSab<number>(kind);
    tx.trySendMany(range(100));
    setTimeout(() => {
      tx.trySendMany(range(100, 100));
      setTimeout(() => tx.end(), 10);
    }, 10);
    const seen: number[] = [];
    for await (const value of rx.iterate({ timeout: 5000 })) seen.push(value);
    expect(seen).toEqual(range(200));
  });

  it('iterate({ timeout }) rejects with TimeoutError, iterate({ signal }) with AbortError', async () => {
    const [, rx] = onSab(kind);
    const timed = async (): Promise<void> => {
      for await (const _ of rx.iterate({ timeout: 20 })) void _;
    };
    await expect(timed()).rejects.toThrow(TimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const aborted = async (): Promise<void> => {
      for await (const _ of rx.iterate({ signal: controller.signal, timeout: 5000 })) void _;
    };
    await expect(aborted()).rejects.toThrow(AbortError);
    expect(() => rx.iterate({ timeout: -5 })).toThrow(OutOfRangeError);
  });

  it('a loop left early keeps the rest for the next loop', async () => {
    const [tx, rx] = onSab<number>(kind);
    tx.trySendMany(range(10));
    for await (const value of rx) if (value === 3) break;
    expect(rx.tryReceiveMany()).toEqual(range(6, 4));
  });
});

describe('batches: a message that cannot be decoded', () => {
  it('is skipped; the values before it are returned and the error comes with the next call', () => {
    const [tx, rx] = onSab<number>('mpsc');
    const raw = new Channel(tx.ring.buffer, 0, new SharedArrayBufferWaiter(tx.ring.buffer as SharedArrayBuffer), { codec: 'raw' });
    tx.trySendMany([1, 2]);
    raw.tryWrite(new Uint8Array([0xc1])); // 0xc1: never used in MessagePack
    tx.trySend(3);
    expect(rx.tryReceiveMany()).toEqual([1, 2]);
    expect(() => rx.tryReceiveMany()).toThrow(CorruptChannelError);
    expect(rx.tryReceiveMany()).toEqual([3]);
  });
});

describe('SPSC batches publish once', () => {
  it('one tail store for a whole trySendMany, and every record is there', () => {
    const [tx, rx, sab] = onSab<number>('spsc');
    const tail = new Int32Array(sab, RING_TAIL_OFFSET, 1);
    const before = Atomics.load(tail, 0);
    let publications = 0;
    setPauseHook((point) => {
      if (point === 'spsc.commit') publications++;
    });
    try {
      expect(tx.trySendMany(range(50))).toBe(50);
    } finally {
      setPauseHook(undefined);
    }
    expect(publications).toBe(1);
    expect((Atomics.load(tail, 0) - before) | 0).toBe(50 * 16); // 8-byte header + 1-byte payload, padded to 16
    expect(rx.tryReceiveMany()).toEqual(range(50));
  });
});
