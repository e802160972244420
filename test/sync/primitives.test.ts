import { describe, expect, it } from 'vitest';
import {
  AbortError,
  Barrier,
  BarrierBrokenError,
  DeadlockError,
  Event,
  Mutex,
  NotOwnerError,
  Semaphore,
  SharedArrayBufferWaiter,
  TimeoutError,
} from '../../src/index.js';

function memory(bytes = 4096): { sab: SharedArrayBuffer; waiter: SharedArrayBufferWaiter } {
  const sab = new SharedArrayBuffer(bytes);
  return { sab, waiter: new SharedArrayBufferWaiter(sab) };
}

describe('Mutex on one thread', () => {
  it('locks, unlocks, and refuses to be unlocked by a non-owner', () => {
    const { sab, waiter } = memory();
    const mutex = new Mutex(sab, 0, waiter);
    expect(mutex.isLocked).toBe(false);
    expect(() => mutex.unlock()).toThrow(NotOwnerError);
    expect(mutex.lock()).toEqual({ recovered: false });
    expect(mutex.isLocked).toBe(true);
    expect(mutex.isOwnedByMe).toBe(true);
    expect(mutex.tryLock()).toBe(false);
    expect(() => mutex.lock({ timeout: 10 })).toThrow(DeadlockError);
    mutex.unlock();
    expect(mutex.isLocked).toBe(false);
    expect(() => mutex.unlock()).toThrow(NotOwnerError);
  });

  it('a lock held by another owner times out, and aborts', async () => {
    const { sab, waiter } = memory();
    const mutex = new Mutex(sab, 0, waiter);
    // Forge a holder in this same process but another thread id: alive, not us.
    Atomics.store(new Int32Array(sab), 0, process.pid);
    Atomics.store(new Int32Array(sab), 1, 9999);
    const started = performance.now();
    expect(() => mutex.lock({ timeout: 50 })).toThrow(TimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(() => mutex.lock(30)).toThrow(TimeoutError);
    await expect(mutex.lockAsync({ timeout: 30 })).rejects.toThrow(TimeoutError);
    const controller = new AbortController();
    const pending = mutex.lockAsync({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow(AbortError);
    const aborted = new AbortController();
    aborted.abort();
    expect(() => mutex.lock({ signal: aborted.signal })).toThrow(AbortError);
  });

  it('queues async callers of one thread and runs them one at a time', async () => {
    const { sab, waiter } = memory();
    const mutex = new Mutex(sab, 8, waiter);
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        mutex.runExclusive(async () => {
          inside++;
          expect(inside).toBe(1);
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(mutex.isLocked).toBe(false);
  });

  it('runExclusive unlocks when the function throws', async () => {
    const { sab, waiter } = memory();
    const mutex = new Mutex(sab, 0, waiter);
    await expect(mutex.runExclusive(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(mutex.isLocked).toBe(false);
  });

  it('recovers a lock whose owner process is dead', () => {
    const { sab } = memory();
    const waiter = new SharedArrayBufferWaiter(sab);
    // A waiter that reports every other process as dead, to exercise the takeover path.
    const mortal = Object.assign(Object.create(waiter), { isAlive: () => false, buffer: sab, identity: waiter.identity });
    let repaired = 0;
    const mutex = new Mutex(sab, 0, mortal, { onRecover: () => repaired++ });
    Atomics.store(new Int32Array(sab), 0, 4_000_000); // some other pid holds it
    const grant = mutex.lock({ timeout: 5000 });
    expect(grant.recovered).toBe(true);
    expect(repaired).toBe(1);
    expect(mutex.recoveries).toBe(1);
    mutex.unlock();
  });

  it('validates placement and options', () => {
    const { sab, waiter } = memory(64);
    expect(() => new Mutex(sab, 3, waiter)).toThrow(/multiple of 8/);
    expect(() => new Mutex(sab, 56, waiter)).toThrow(/needs 16 bytes/);
    expect(() => new Mutex(new SharedArrayBuffer(64), 0, waiter)).toThrow(/another buffer/);
    const mutex = new Mutex(sab, 0, waiter);
    mutex.lock();
    expect(() => mutex.lock({ timeout: -1 })).toThrow(/>= 0/);
    expect(() => mutex.lock({ timeot: 1 } as never)).toThrow(/not a known option/);
    expect(() => mutex.lock({ signal: 'x' } as never)).toThrow(/AbortSignal/);
  });
});

describe('Semaphore', () => {
  it('counts permits, times out when empty, and wakes async waiters', async () => {
    const { sab, waiter } = memory();
    Semaphore.initialize(sab, 0, 2);
    const semaphore = new Semaphore(sab, 0, waiter);
    expect(semaphore.count).toBe(2);
    semaphore.acquire();
    expect(semaphore.tryAcquire()).toBe(true);
    expect(semaphore.tryAcquire()).toBe(false);
    expect(() => semaphore.acquire({ timeout: 20 })).toThrow(TimeoutError);
    const waiting = semaphore.acquireAsync({ timeout: 5000 });
    setTimeout(() => semaphore.release(), 10);
    await waiting;
    expect(semaphore.count).toBe(0);
    semaphore.release(3);
    expect(semaphore.count).toBe(3);
    expect(() => semaphore.release(0)).toThrow(/between 1/);
    expect(() => Semaphore.initialize(sab, 0, -1)).toThrow(/between 0/);
  });
});

describe('Event', () => {
  it('manual reset releases every waiter and stays set until reset', async () => {
    const { sab, waiter } = memory();
    Event.initialize(sab, 0, { manualReset: true });
    const event = new Event(sab, 0, waiter);
    expect(event.manualReset).toBe(true);
    expect(event.isSet).toBe(false);
    const waits = [event.waitAsync({ timeout: 5000 }), event.waitAsync({ timeout: 5000 }), event.waitAsync({ timeout: 5000 })];
    setTimeout(() => event.set(), 10);
    await Promise.all(waits);
    expect(event.isSet).toBe(true);
    event.wait({ timeout: 0 });
    event.reset();
    expect(() => event.wait({ timeout: 20 })).toThrow(TimeoutError);
  });

  it('auto reset releases exactly one waiter per set', async () => {
    const { sab, waiter } = memory();
    Event.initialize(sab, 0, { manualReset: false });
    const event = new Event(sab, 0, waiter);
    let released = 0;
    const waits = [0, 1, 2].map(() => event.waitAsync({ timeout: 2000 }).then(() => released++, () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 20));
    event.set();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(1);
    expect(event.isSet).toBe(false);
    event.set();
    event.set(); // already set: no second release
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released).toBe(2);
    event.set();
    await Promise.all(waits);
    expect(released).toBe(3);
  });

  it('initialState starts set; a set consumed by tryWait is gone', () => {
    const { sab, waiter } = memory();
    Event.initialize(sab, 0, { initialState: true });
    const event = new Event(sab, 0, waiter);
    expect(event.tryWait()).toBe(true);
    expect(event.tryWait()).toBe(false);
  });
});

describe('Barrier', () => {
  it('opens when all parties arrive, generation by generation', async () => {
    const { sab, waiter } = memory();
    Barrier.initialize(sab, 0, 3);
    const barrier = new Barrier(sab, 0, waiter);
    expect(barrier.parties).toBe(3);
    for (let generation = 0; generation < 5; generation++) {
      const arrivals = await Promise.all([0, 1, 2].map(() => barrier.waitAsync({ timeout: 5000 })));
      expect(arrivals.sort()).toEqual([0, 1, 2]);
      expect(barrier.generation).toBe(generation + 1);
    }
  });

  it('a timeout breaks the barrier for every waiter until reset', async () => {
    const { sab, waiter } = memory();
    Barrier.initialize(sab, 0, 3);
    const barrier = new Barrier(sab, 0, waiter);
    const patient = barrier.waitAsync({ timeout: 10_000 });
    await expect(barrier.waitAsync({ timeout: 30 })).rejects.toThrow(BarrierBrokenError);
    await expect(patient).rejects.toThrow(BarrierBrokenError);
    expect(barrier.broken).toBe(true);
    expect(() => barrier.wait({ timeout: 10 })).toThrow(BarrierBrokenError);
    barrier.reset();
    expect(barrier.broken).toBe(false);
    const all = await Promise.all([0, 1, 2].map(() => barrier.waitAsync({ timeout: 5000 })));
    expect(all).toHaveLength(3);
  });

  it('validates parties', () => {
    const { sab } = memory();
    expect(() => Barrier.initialize(sab, 0, 0)).toThrow(/between 1/);
    expect(() => Barrier.byteLength(1.5)).toThrow(/integer/);
  });
});
