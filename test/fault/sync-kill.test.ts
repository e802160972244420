import { describe, expect, it } from 'vitest';
import { Barrier, BarrierBrokenError, Mutex, Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('sync primitives and dead processes', () => {
  it('SIGKILL the holder of a Mutex, 40 trials: a waiter gets the lock and sees it was recovered', async () => {
    const name = uniqueName('robust');
    using section = Section.create(name, { size: 4096 });
    let repairs = 0;
    const mutex = new Mutex(section.buffer, 0, section.waiter, { onRecover: () => repairs++ });
    const half = new Int32Array(section.buffer, 64, 1);
    const waits: number[] = [];
    for (let trial = 0; trial < 40; trial++) {
      const child = startChild('mutex-holder.mjs', [name]);
      await child.message(20_000);
      expect(mutex.isLocked).toBe(true);
      expect(mutex.tryLock()).toBe(false);
      child.kill('SIGKILL');
      await child.exit();
      const started = performance.now();
      const grant = trial % 2 === 0 ? mutex.lock({ timeout: 5000 }) : await mutex.lockAsync({ timeout: 5000 });
      waits.push(performance.now() - started);
      expect(grant.recovered).toBe(true);
      expect(half[0]).toBe(child.process.pid); // the dead holder's state, for the repair step
      half[0] = 0;
      mutex.unlock();
    }
    expect(repairs).toBe(40);
    expect(mutex.recoveries).toBe(40);
    waits.sort((a, b) => a - b);
    expect(waits[39]).toBeLessThan(5000);
  }, 300_000); // 40 process starts: 100 took over 300 s with several suites on 2 cores

  it('a party that dies breaks the barrier for every waiter', async () => {
    const name = uniqueName('party');
    using section = Section.create(name, { size: 4096 });
    Barrier.initialize(section.buffer, 0, 2);
    const barrier = new Barrier(section.buffer, 0, section.waiter);
    const child = startChild('barrier-party.mjs', [name]);
    expect(barrier.wait({ timeout: 20_000 })).toBeGreaterThanOrEqual(0);
    await child.message();
    child.kill('SIGKILL');
    await child.exit();
    const started = performance.now();
    await expect(barrier.waitAsync({ timeout: 10_000 })).rejects.toThrow(BarrierBrokenError);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(barrier.broken).toBe(true);
    barrier.close();
  });
});
