import { describe, expect, it } from 'vitest';
import { Section } from '../../src/index.js';
import { HEADER_LENGTH } from '../../src/layout/section-header.js';
import { platform } from '../../src/platform/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('futex waits', () => {
  it('a forked child blocked in a sync wait is woken by the parent', async () => {
    const name = uniqueName('futex');
    using section = Section.create(name, { size: 64 });
    const words = new Int32Array(section.buffer);
    const child = startChild('futex-waiter.mjs', [name, '10000']);
    await child.message();
    await new Promise((resolve) => setTimeout(resolve, 200));
    Atomics.store(words, 0, 1);
    platform().wake(section.mapping.address + BigInt(HEADER_LENGTH), 1);
    const reply = await child.message<{ result: string; elapsed: number; value: number }>();
    expect(reply.value).toBe(1);
    expect(reply.result).toBe('ok');
    expect(reply.elapsed).toBeGreaterThanOrEqual(100);
    expect(reply.elapsed).toBeLessThan(5000);
    await child.exit();
  });

  it('sync timeouts return on time', () => {
    const os = platform();
    const mapping = os.mapAnonymous(4096);
    try {
      for (const timeout of [0, 20, 100]) {
        const started = performance.now();
        expect(os.wait(mapping.address, 0, timeout)).toBe('timed-out');
        const elapsed = performance.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(timeout - 1);
        expect(elapsed).toBeLessThan(timeout + 500);
      }
      expect(os.wait(mapping.address, 5, 1000)).toBe('not-equal');
    } finally {
      os.unmap(mapping);
    }
  });

  it('an async wait resolves without blocking the event loop', async () => {
    const os = platform();
    const mapping = os.mapAnonymous(4096);
    const words = new Int32Array(mapping.buffer);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      const started = performance.now();
      const waiting = os.waitAnyAsync([{ address: mapping.address + 4n, expected: 0 }], 10_000);
      setTimeout(() => {
        Atomics.store(words, 1, 1);
        os.wake(mapping.address + 4n, 1);
      }, 150);
      await waiting;
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(ticks).toBeGreaterThanOrEqual(10);
    } finally {
      clearInterval(ticker);
      os.unmap(mapping);
    }
  });

  it('an async wait on several words wakes on any of them, and times out on time', async () => {
    const os = platform();
    const mapping = os.mapAnonymous(4096);
    const words = new Int32Array(mapping.buffer);
    try {
      const watched = [0, 1, 2, 3].map((i) => ({ address: mapping.address + BigInt(i * 4), expected: 0 }));
      const waiting = os.waitAnyAsync(watched, 10_000);
      setTimeout(() => {
        Atomics.store(words, 2, 1);
        os.wake(mapping.address + 8n, 1);
      }, 50);
      await waiting;
      expect(Atomics.load(words, 2)).toBe(1);

      const started = performance.now();
      await os.waitAnyAsync([{ address: mapping.address + 16n, expected: 0 }, { address: mapping.address + 20n, expected: 0 }], 120);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(110);
      expect(elapsed).toBeLessThan(1000);
    } finally {
      os.unmap(mapping);
    }
  });

  it('a process start time tells a live process from a dead or reused pid', async () => {
    const os = platform();
    expect(os.currentProcess.pid).toBe(process.pid);
    expect(os.currentProcess.startTime).toBeGreaterThan(0);
    expect(os.processStartTime(process.pid)).toBe(os.currentProcess.startTime);
    const child = startChild('exit-now.mjs');
    const pid = child.process.pid!;
    await child.exit();
    expect(os.processStartTime(pid)).toBe(0);
    expect(os.processStartTime(2 ** 22 + 12345)).toBe(0);
  });
});
