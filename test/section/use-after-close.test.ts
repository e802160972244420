/**
 * After a section closes, its memory reads zeros: a lock looks free, a ring empty. Every
 * handle on it must say so (SectionClosedError) instead of working on the zeros, and every
 * wait pending when it closes must settle with SectionClosedError (issue 9, items 4 and 5).
 */
import { describe, expect, it } from 'vitest';
import { Barrier, Broadcast, Channel, Event, Mutex, Section, SectionClosedError, Semaphore } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

function layout(name: string) {
  const section = Section.create(name, { size: 65536 });
  const { buffer, waiter } = section;
  Mutex.initialize(buffer, 0);
  Event.initialize(buffer, 64, { manualReset: false });
  Semaphore.initialize(buffer, 128, 0);
  Barrier.initialize(buffer, 256, 2);
  Channel.initialize(buffer, 1024, { capacity: 4096, kind: 'mpsc' });
  Broadcast.initialize(buffer, 8192, 4096);
  return {
    section,
    mutex: new Mutex(buffer, 0, waiter),
    event: new Event(buffer, 64, waiter),
    semaphore: new Semaphore(buffer, 128, waiter),
    barrier: new Barrier(buffer, 256, waiter),
    channel: new Channel<Uint8Array>(buffer, 1024, waiter, { codec: 'raw' }),
    broadcast: new Broadcast(buffer, 8192, waiter),
  };
}

describe('use after close', () => {
  it('every operation of every handle throws SectionClosedError', async () => {
    const h = layout(uniqueName('closed-ops'));
    h.section.close();
    const calls: Array<[string, () => unknown]> = [
      ['mutex.tryLock', () => h.mutex.tryLock()],
      ['mutex.lock', () => h.mutex.lock({ timeout: 100 })],
      ['mutex.unlock', () => h.mutex.unlock()],
      ['event.set', () => h.event.set()],
      ['event.reset', () => h.event.reset()],
      ['event.tryWait', () => h.event.tryWait()],
      ['event.wait', () => h.event.wait({ timeout: 100 })],
      ['semaphore.tryAcquire', () => h.semaphore.tryAcquire()],
      ['semaphore.release', () => h.semaphore.release()],
      ['barrier.wait', () => h.barrier.wait({ timeout: 100 })],
      ['channel.trySend', () => h.channel.trySend(new Uint8Array(4))],
      ['channel.tryWrite', () => h.channel.tryWrite(new Uint8Array(4))],
      ['channel.tryReceive', () => h.channel.tryReceive()],
      ['channel.tryRead', () => h.channel.tryRead()],
      ['channel.claim', () => h.channel.claim(4)],
      ['channel.receiveSync', () => h.channel.receiveSync({ timeout: 100 })],
      ['broadcast.publish', () => h.broadcast.publish('x')],
      ['broadcast.tryReceive', () => h.broadcast.tryReceive()],
    ];
    for (const [what, call] of calls) expect(call, what).toThrow(SectionClosedError);
    const asyncCalls: Array<[string, () => Promise<unknown>]> = [
      ['mutex.lockAsync', () => h.mutex.lockAsync({ timeout: 100 })],
      ['event.waitAsync', () => h.event.waitAsync({ timeout: 100 })],
      ['semaphore.acquireAsync', () => h.semaphore.acquireAsync({ timeout: 100 })],
      ['barrier.waitAsync', () => h.barrier.waitAsync({ timeout: 100 })],
      ['channel.send', () => h.channel.send(new Uint8Array(4))],
      ['channel.receive', () => h.channel.receive({ timeout: 100 })],
      ['broadcast.receive', () => h.broadcast.receive({ timeout: 100 })],
    ];
    for (const [what, call] of asyncCalls) await expect(call(), what).rejects.toThrow(SectionClosedError);
  });

  it('lockAsync() then close() in the same tick, while another process holds the lock: SectionClosedError, never a grant', async () => {
    const name = uniqueName('closed-lock');
    const h = layout(name);
    const holder = startChild('mutex-holder.mjs', [name]);
    try {
      await holder.message(20_000);
      expect(h.mutex.tryLock()).toBe(false);
      const pending = h.mutex.lockAsync({ timeout: 5_000 });
      h.section.close();
      await expect(pending).rejects.toThrow(SectionClosedError);
    } finally {
      holder.kill('SIGKILL');
      await holder.exit();
    }
  });

  it('waits pending when the section closes settle with SectionClosedError, and nothing keeps the process busy', async () => {
    const h = layout(uniqueName('closed-waits'));
    const pending = [
      h.event.waitAsync({ timeout: 10_000 }),
      h.semaphore.acquireAsync({ timeout: 10_000 }),
      h.channel.receive({ timeout: 10_000 }),
      h.broadcast.receive({ timeout: 10_000 }),
      h.barrier.waitAsync({ timeout: 10_000 }),
    ];
    // some of them are past their first spin, some parked: close in between
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    h.section.close();
    const outcomes = await Promise.allSettled(pending);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(SectionClosedError);
    }
    expect(performance.now() - started).toBeLessThan(5_000); // settled by the close, not by their timeouts
  });
});
