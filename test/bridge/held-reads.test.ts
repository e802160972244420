/**
 * Channel.holdReads, the hook the bridge's export stands on: what a holding reader took is
 * consumed only at commitReads(); a reader that lets go first leaves it to the next one.
 */
import { describe, expect, it } from 'vitest';
import { Channel, Namespace, SharedArrayBufferWaiter } from '../../src/index.js';
import { onSab } from '../helpers/sab-channel.js';
import { uniqueName } from '../helpers/names.js';

function anotherHandle<T>(sab: SharedArrayBuffer): Channel<T> {
  return new Channel<T>(sab, 0, new SharedArrayBufferWaiter(sab));
}

describe('Channel.holdReads', () => {
  for (const kind of ['spsc', 'mpsc'] as const) {
    it(`${kind}: reads not committed are read again, at the same positions, by the next reader`, () => {
      const [sender, reader, sab] = onSab<number>(kind, 4096);
      for (let i = 0; i < 5; i++) expect(sender.trySend(i)).toBe(true);
      expect(reader.holdReads()).toBe(true);
      const first: Array<[number, number]> = [];
      for (let i = 0; i < 3; i++) {
        first.push([reader.tryReceive()!.value, reader.readPosition]);
      }
      reader.close(); // without commitReads: as if the relay died before passing them on
      const next = anotherHandle<number>(sab);
      expect(next.holdReads()).toBe(true);
      const again: Array<[number, number]> = [];
      for (let i = 0; i < 3; i++) again.push([next.tryReceive()!.value, next.readPosition]);
      expect(again).toEqual(first);
      next.commitReads();
      next.close();
      const last = anotherHandle<number>(sab);
      expect(last.tryReceiveMany()).toEqual([3, 4]);
      last.close();
      sender.close();
    });

    it(`${kind}: a sender waits for space the holder committed, not for space it only read`, () => {
      const [sender, reader] = onSab<Uint8Array>(kind, 1024, 'raw');
      let sent = 0;
      while (sender.tryWrite(new Uint8Array(100))) sent++;
      reader.holdReads();
      for (let i = 0; i < sent; i++) expect(reader.tryRead()).toBeDefined();
      expect(reader.tryRead()).toBeUndefined();
      expect(sender.tryWrite(new Uint8Array(100))).toBe(false); // read, not committed: still taken
      reader.commitReads();
      expect(sender.tryWrite(new Uint8Array(100))).toBe(true);
      reader.holdReads(false);
      expect(reader.tryRead()).toBeDefined();
      reader.close();
      sender.close();
    });
  }

  it('mpmc cannot hold (every read is published for the other consumers): holdReads() is false', () => {
    const [sender, reader] = onSab<number>('mpmc', 4096);
    expect(reader.holdReads()).toBe(false);
    sender.trySend(1);
    expect(reader.tryReceive()).toEqual({ value: 1 });
    reader.close();
    sender.close();
  });

  it('a heap-held (large) message is freed only at the commit: read again whole after a close', () => {
    const name = uniqueName('held-heap');
    const ns = Namespace.open(name, { size: 4 << 20 });
    try {
      const sender = ns.channel<Uint8Array>('big', { capacity: 4096, codec: 'raw' });
      const large = new Uint8Array(20_000).map((_, i) => i % 251);
      sender.writeSync(large, { timeout: 1000 });
      const reader = ns.channel<Uint8Array>('big', { codec: 'raw' });
      reader.holdReads();
      expect(reader.tryRead()).toEqual(large);
      const heapBefore = ns.inspect().heap;
      reader.close();
      const next = ns.channel<Uint8Array>('big', { codec: 'raw' });
      next.holdReads();
      expect(next.tryRead()).toEqual(large);
      next.commitReads();
      expect(JSON.stringify(ns.inspect().heap)).not.toEqual(JSON.stringify(heapBefore)); // the block went back at the commit
      next.close();
      sender.close();
    } finally {
      ns.destroy();
    }
  });
});
