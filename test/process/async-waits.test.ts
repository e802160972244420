import { describe, expect, it } from 'vitest';
import { Event, Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('1,000 pending async waits in one process', () => {
  it('idle at ~0% CPU with few threads and punctual timers; all resolve when woken; the process exits by itself', async () => {
    const count = 1000;
    const name = uniqueName('asyncwaits');
    using section = Section.create(name, { size: count * 16 });
    for (let i = 0; i < count; i++) Event.initialize(section.buffer, i * 16, { manualReset: false });
    const child = startChild('many-async-waits.mjs', [name, String(count)]);
    const idle = await child.message<{
      cpuMs: number; elapsedMs: number; ticks: number; maxLateness: number; threads: number; pending: number;
    }>(20_000);
    expect(idle.pending).toBe(count);
    expect(idle.cpuMs / idle.elapsedMs).toBeLessThan(0.05); // well under 5% of one core
    expect(idle.ticks).toBeGreaterThanOrEqual(40); // a 20 ms timer over ~1 s
    expect(idle.maxLateness).toBeLessThan(100);
    expect(idle.threads).toBeLessThan(20);
    for (let i = 0; i < count; i++) new Event(section.buffer, i * 16, section.waiter).set();
    const woken = await child.message<{ resolved: number; pending: number }>(20_000);
    expect(woken).toEqual({ phase: 'woken', resolved: count, pending: 0 });
    const exit = await child.exit(10_000);
    expect(exit.code).toBe(0);
  });
});
