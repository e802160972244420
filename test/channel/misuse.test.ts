/**
 * Misuse of a channel is refused at the call with a typed error, never turned into a damaged
 * ring: a second live consumer (SPSC, MPSC) or producer (SPSC), a stale handle, bad claim
 * lengths, raw writes of things that are not bytes, and rings of another format version.
 */
import { describe, expect, it } from 'vitest';
import {
  Broadcast,
  Channel,
  ChannelBusyError,
  IncompatibleSectionError,
  InvalidArgTypeError,
  OutOfRangeError,
  SharedArrayBufferWaiter,
} from '../../src/index.js';
import { BROADCAST_VERSION_OFFSET } from '../../src/layout/broadcast.js';
import { RING_HEAD_OFFSET, RING_VERSION_OFFSET } from '../../src/layout/ring.js';
import type { RingKind } from '../../src/channel/ring-kind.js';
import { World } from '../helpers/controlled-waiter.js';

const CAPACITY = 4096;

function ringFor(kind: RingKind) {
  const sab = new SharedArrayBuffer(Channel.byteLength(CAPACITY));
  Channel.initialize(sab, 0, { capacity: CAPACITY, kind });
  const world = new World(sab);
  const open = (pid: number) => new Channel<Uint8Array>(sab, 0, world.process(pid), { codec: 'raw' });
  return { sab, world, open };
}

const bytes = (n: number) => new Uint8Array([n, n, n, n]);

describe('one consumer for spsc and mpsc, one producer for spsc', () => {
  for (const kind of ['spsc', 'mpsc'] as const) {
    it(`${kind}: a second live consumer gets ChannelBusyError before reading; the first keeps every message`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const first = open(2);
      const second = open(3);
      for (let i = 0; i < 10; i++) expect(producer.trySend(bytes(i))).toBe(true);
      expect(first.tryRead()).toEqual(bytes(0));
      expect(() => second.tryRead()).toThrow(ChannelBusyError);
      expect(() => second.tryReceive()).toThrow(/already has a live consumer \(process or thread 2\)/);
      for (let i = 1; i < 10; i++) expect(first.tryRead()).toEqual(bytes(i));
    });

    it(`${kind}: the successor of a dead consumer takes over from the last head it published`, () => {
      const { world, open } = ringFor(kind);
      const producer = open(1);
      const first = open(2);
      for (let i = 0; i < 6; i++) producer.trySend(bytes(i));
      expect(first.tryRead()).toEqual(bytes(0));
      expect(first.tryRead()).toEqual(bytes(1));
      world.kill(2);
      const successor = open(3);
      const got = [];
      for (let value = successor.tryRead(); value; value = successor.tryRead()) got.push(value[0]);
      // What a dead consumer read but had not published yet (inside a batch read) comes again
      // (at-least-once when a consumer dies), in order, never a gap.
      expect(got.slice(-4)).toEqual([2, 3, 4, 5]);
      expect(got).toEqual([0, 1, 2, 3, 4, 5].slice(6 - got.length));
      // Were the "dead" consumer still running (a wrong liveness answer), it never moves the
      // shared head: it sees nothing, or is refused with ChannelBusyError where it would publish.
      producer.trySend(bytes(6));
      let zombie: Uint8Array | undefined;
      try {
        zombie = first.tryRead();
      } catch (error) {
        expect(error).toBeInstanceOf(ChannelBusyError);
      }
      expect(zombie).toBeUndefined();
      expect(successor.tryRead()).toEqual(bytes(6));
    });

    it(`${kind}: close() gives the consumer slot back to the next handle`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const first = open(2);
      producer.trySend(bytes(1));
      producer.trySend(bytes(2));
      expect(first.tryRead()).toEqual(bytes(1));
      first.close();
      expect(open(3).tryRead()).toEqual(bytes(2));
    });

    it(`${kind}: two handles in one process are refused too (threads, or a forgotten handle)`, () => {
      const sab = new SharedArrayBuffer(Channel.byteLength(CAPACITY));
      Channel.initialize(sab, 0, { capacity: CAPACITY, kind });
      const waiter = new SharedArrayBufferWaiter(sab);
      const one = new Channel(sab, 0, waiter, { codec: 'raw' });
      const two = new Channel(sab, 0, waiter, { codec: 'raw' });
      expect(one.tryRead()).toBeUndefined();
      expect(() => two.tryRead()).toThrow(/another handle in this process/);
      expect(() => two.tryRead()).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_CHANNEL_BUSY' }));
    });
  }

  it('spsc: a second live producer gets ChannelBusyError; mpsc takes many', () => {
    const spsc = ringFor('spsc');
    spsc.open(1).trySend(bytes(1));
    expect(() => spsc.open(2).trySend(bytes(2))).toThrow(/already has a live producer/);
    const mpsc = ringFor('mpsc');
    for (let pid = 1; pid <= 5; pid++) expect(mpsc.open(pid).trySend(bytes(pid))).toBe(true);
  });

  it('mpmc takes many consumers: each message to one of them', () => {
    const { open } = ringFor('mpmc');
    const producer = open(1);
    for (let i = 0; i < 6; i++) producer.trySend(bytes(i));
    const a = open(2);
    const b = open(3);
    const got = [a.tryRead(), b.tryRead(), a.tryRead(), b.tryRead(), a.tryRead(), b.tryRead()].map((value) => value![0]);
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('spsc: a producer handle opened early, whose peer producer was killed, writes at the ring tail, not its stale one', () => {
    const { world, open } = ringFor('spsc');
    const early = open(1); // opened, not used yet
    const consumer = open(3);
    const other = open(2);
    for (let i = 0; i < 300; i++) {
      expect(other.trySend(bytes(i & 0xff))).toBe(true);
      expect(consumer.tryRead()).toEqual(bytes(i & 0xff));
    }
    world.kill(2);
    for (let i = 0; i < 300; i++) {
      expect(early.trySend(bytes(i & 0x7f))).toBe(true);
      expect(consumer.tryRead()).toEqual(bytes(i & 0x7f));
    }
    expect(consumer.tryRead()).toBeUndefined();
  });
});

describe('bad arguments', () => {
  for (const kind of ['spsc', 'mpsc', 'mpmc'] as const) {
    it(`${kind}: claim(-1), claim(1.5), claim(NaN) and friends are OutOfRangeError, and the channel goes on`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      for (const length of [-1, 1.5, Number.NaN, Infinity, -0.5, 2 ** 32]) {
        expect(() => producer.claim(length)).toThrow(OutOfRangeError);
        expect(() => producer.commit()).toThrow(); // nothing was claimed
      }
      expect(() => producer.claim('8' as unknown as number)).toThrow(OutOfRangeError);
      const room = producer.claim(4)!;
      room.set(bytes(9));
      producer.commit();
      expect(consumer.tryRead()).toEqual(bytes(9));
      expect(producer.trySend(bytes(8))).toBe(true);
      expect(consumer.tryRead()).toEqual(bytes(8));
    });

    it(`${kind}: raw writes of anything but bytes are InvalidArgTypeError and write nothing`, async () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      for (const value of ['abc', 42, null, undefined, [1, 2, 3], { length: 3 }, new ArrayBuffer(4)]) {
        expect(() => producer.tryWrite(value as Uint8Array)).toThrow(InvalidArgTypeError);
        expect(() => producer.writeSync(value as Uint8Array)).toThrow(InvalidArgTypeError);
        await expect(producer.write(value as Uint8Array)).rejects.toThrow(InvalidArgTypeError);
        expect(() => producer.ring.tryWrite(value as Uint8Array)).toThrow(InvalidArgTypeError);
      }
      expect(consumer.tryRead()).toBeUndefined();
      expect(producer.tryWrite(Buffer.from('ok'))).toBe(true);
      expect(consumer.tryRead()).toEqual(new Uint8Array(Buffer.from('ok')));
    });
  }

  it('a ring of another format version (shmkit 0.1 wrote none, 0.2 wrote 2) is IncompatibleSectionError', () => {
    for (const version of [0, 1, 2, 4]) {
      const sab = new SharedArrayBuffer(Channel.byteLength(CAPACITY));
      Channel.initialize(sab, 0, { capacity: CAPACITY, kind: 'mpsc' });
      new Int32Array(sab)[RING_VERSION_OFFSET >> 2] = version;
      expect(() => new Channel(sab, 0, new SharedArrayBufferWaiter(sab))).toThrow(IncompatibleSectionError);
    }
  });
});

describe('broadcast: one writer', () => {
  function broadcastFor() {
    const sab = new SharedArrayBuffer(Broadcast.byteLength(CAPACITY));
    Broadcast.initialize(sab, 0, CAPACITY);
    const world = new World(sab);
    return { sab, world, open: (pid: number) => new Broadcast<Uint8Array>(sab, 0, world.process(pid), { codec: 'raw' }) };
  }

  it('a second live writer gets ChannelBusyError; after the first dies or closes its handle, a successor writes on', () => {
    const { world, open } = broadcastFor();
    const reader = open(1);
    const first = open(2);
    first.publishBytes(bytes(1));
    expect(() => open(3).publishBytes(bytes(2))).toThrow(ChannelBusyError);
    expect(() => open(3).publishBytes(bytes(2))).toThrow(/one writer/);
    world.kill(2);
    const second = open(3);
    second.publishBytes(bytes(3));
    second.close();
    open(4).publishBytes(bytes(4));
    expect([reader.tryReceive(), reader.tryReceive(), reader.tryReceive(), reader.tryReceive()].map((m) => m?.value[0])).toEqual([1, 3, 4, undefined]);
  });

  it('publishBytes of anything but bytes is InvalidArgTypeError', () => {
    const { open } = broadcastFor();
    expect(() => open(1).publishBytes('abc' as unknown as Uint8Array)).toThrow(InvalidArgTypeError);
  });

  it('a broadcast of another format version (shmkit 0.1 wrote none) is IncompatibleSectionError', () => {
    const { sab } = broadcastFor();
    new Int32Array(sab)[BROADCAST_VERSION_OFFSET >> 2] = 0;
    expect(() => new Broadcast(sab, 0, new SharedArrayBufferWaiter(sab))).toThrow(IncompatibleSectionError);
  });
});

describe('claims and reads used out of order', () => {
  for (const kind of ['spsc', 'mpsc', 'mpmc'] as const) {
    it(`${kind}: a write while a claim is pending is refused; the claim still commits; cancel() sends nothing`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      const room = producer.claim(4)!;
      room.set(bytes(1));
      expect(() => producer.tryWrite(bytes(2))).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_INVALID_ARG_VALUE' }));
      expect(() => producer.trySend(bytes(2))).toThrow(/claim is pending/);
      expect(() => producer.claim(4)).toThrow(/claim\(\) twice/);
      producer.commit();
      expect(consumer.tryRead()).toEqual(bytes(1));
      producer.claim(4)!.set(bytes(3));
      producer.cancel();
      expect(() => producer.cancel()).toThrow(/without claim/);
      expect(consumer.tryRead()).toBeUndefined();
      expect(producer.trySend(bytes(4))).toBe(true);
      expect(consumer.tryRead()).toEqual(bytes(4));
    });

    it(`${kind}: commit() after close() is refused and leaves the ring whole`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      producer.claim(4)!.set(bytes(5));
      producer.close();
      expect(() => producer.ring.commit()).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_INVALID_ARG_VALUE' }));
      expect(consumer.tryRead()).toBeUndefined();
      const next = open(3);
      expect(next.trySend(bytes(6))).toBe(true);
      expect(consumer.tryRead()).toEqual(bytes(6));
    });

    it(`${kind}: release() with no record read is refused`, () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      producer.trySend(bytes(7));
      expect(() => consumer.ring.release()).toThrow(/release without a record read/);
      expect(consumer.ring.tryRead()).toBe(4);
      consumer.ring.release();
      expect(() => consumer.ring.release()).toThrow(/release without a record read/);
      expect(consumer.tryRead()).toBeUndefined();
    });
  }

  it('claim lengths of other types (BigInt, Symbol, strings, objects) are OutOfRangeError', () => {
    const { open } = ringFor('mpsc');
    const producer = open(1);
    for (const length of [8n, Symbol('x'), '8', { valueOf: () => 8 }, null, undefined]) {
      expect(() => producer.claim(length as unknown as number)).toThrow(OutOfRangeError);
    }
  });

  it('mpmc: a consumer whose read was too big for its buffer after a wrap, then close(), never moves the head backwards', () => {
    const { open } = ringFor('mpmc');
    const producer = open(1);
    const a = open(2);
    const b = open(3);
    // Fill to near the end, consume, so that the next record wraps behind a padding.
    const filler = new Uint8Array(CAPACITY / 2 - 200);
    expect(producer.trySend(filler)).toBe(true);
    expect(a.tryRead()!.length).toBe(filler.length);
    expect(producer.trySend(new Uint8Array(CAPACITY / 2 - 200))).toBe(true);
    expect(b.tryRead()!.length).toBe(filler.length);
    expect(producer.trySend(new Uint8Array(400).fill(8))).toBe(true); // wraps: padding, then the record
    expect(() => a.tryReadInto(new Uint8Array(10))).toThrow(OutOfRangeError); // a's private head: past the padding
    expect(b.tryRead()).toEqual(new Uint8Array(400).fill(8));
    for (let i = 0; i < 8; i++) {
      expect(producer.trySend(new Uint8Array(120).fill(i))).toBe(true);
      expect(b.tryRead()).toEqual(new Uint8Array(120).fill(i));
    }
    producer.trySend(bytes(20));
    producer.trySend(bytes(21)); // two unread messages
    const head = () => new Int32Array(b.ring.buffer, RING_HEAD_OFFSET, 1)[0]!;
    const before = head();
    a.close();
    expect(head()).toBe(before); // never backwards
    expect([b.tryRead(), b.tryRead(), b.tryRead()]).toEqual([bytes(20), bytes(21), undefined]);
  });
});

describe('read targets', () => {
  for (const kind of ['spsc', 'mpsc', 'mpmc'] as const) {
    it(`${kind}: readInto / tryReadInto / readIntoSync of anything but bytes is InvalidArgTypeError; the message stays for the next read`, async () => {
      const { open } = ringFor(kind);
      const producer = open(1);
      const consumer = open(2);
      producer.trySend(bytes(3));
      for (const target of [[0, 0, 0, 0], undefined, 'abcd', new ArrayBuffer(4)]) {
        expect(() => consumer.tryReadInto(target as never)).toThrow(InvalidArgTypeError);
        expect(() => consumer.readIntoSync(target as never, { timeout: 10 })).toThrow(InvalidArgTypeError);
        await expect(consumer.readInto(target as never, { timeout: 10 })).rejects.toThrow(InvalidArgTypeError);
      }
      const reader = kind === 'mpmc' ? open(3) : consumer; // mpmc: another consumer is not locked out
      const into = new Uint8Array(8);
      expect(reader.tryReadInto(into)).toBe(4);
      expect(into.subarray(0, 4)).toEqual(bytes(3));
    });
  }
});
