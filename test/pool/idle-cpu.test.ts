// Idle workers park on the queue: an idle pool costs about no CPU.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makePool, until, within } from './pool-helpers.js';

/** CPU ms (user + system) of process `pid` so far, from /proc. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at 100 ticks/s
}

describe.skipIf(process.platform !== 'linux')('idle CPU', () => {
  it('two idle process workers park: under 2% of a core over two seconds (a polling one uses 100%)', async () => {
    const pool = makePool({ mode: 'process', maxWorkers: 2, minWorkers: 2 });
    await within(Promise.all(Array.from({ length: 200 }, (_, i) => pool.run({ a: i, b: 1 }))), 20_000, 'warm up');
    const { readPool } = await import('../../src/cli/read-pool.js');
    const entry = pool.namespace.objects().find((o) => o.kind === 'pool')!;
    const livePids = (): number[] => readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset).workers.flatMap((w) => (w.owner?.alive ? [w.owner.pid] : []));
    await until(() => livePids().length === 2, 20_000, 'both workers registered');
    const pids = new Set(livePids());
    expect(pids.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the async spin, into the park
    const before = [...pids].map(cpuMs);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = [...pids].map(cpuMs);
    const used = after.map((ms, i) => ms - before[i]!);
    // 2 s at 100 ticks/s: a polling worker shows ~2,000 ms; a parked one does not wake at all
    // (the pool's channels park without time slices on a drained ring) and shows 0-10 ms.
    for (const ms of used) expect(ms).toBeLessThan(40);
  });

  it('an idle thread pool adds about nothing to this process', async () => {
    const pool = makePool({ mode: 'thread', maxWorkers: 2 });
    await within(pool.run({ a: 1, b: 1 }), 20_000, 'warm up');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const used = process.cpuUsage(before);
    // This process (the test runner too) and both threads, in 2 s: polling threads would use ~4,000 ms.
    expect((used.user + used.system) / 1000).toBeLessThan(200);
  });
});
