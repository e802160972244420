// A worker that dies mid-task fails only the task it held (WorkerCrashedError) and is
// replaced; every other task completes exactly once.
import { describe, expect, it } from 'vitest';
import { Namespace, WorkerCrashedError } from '../../src/index.js';
import { makePool, outcomes, until, within } from './pool-helpers.js';

/** Runs `count` tasks (each counted in the namespace) and returns how often each ran. */
async function countedRuns(pool: ReturnType<typeof makePool>, keys: string[]): Promise<Array<{ value?: unknown; error?: Error }>> {
  return within(outcomes(keys.map((key) => pool.run({ key, ms: 2 }, { name: 'count' }))), 60_000, 'counted tasks');
}

function runsOf(ns: Namespace, key: string): number {
  return (ns.get(`ran.${key}`) as number | undefined) ?? 0;
}

describe('worker crashes', () => {
  it('a process worker SIGKILLed mid-task: its task fails, the rest complete exactly once', async () => {
    const pool = makePool({ mode: 'process', maxWorkers: 2 });
    const who = await within(pool.run<{ pid: number }>(null, { name: 'whoami' }), 20_000, 'first task');
    const victim = pool.run({ ms: 3_000 }, { name: 'spin' });
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const others = countedRuns(pool, keys);
    // Kill whichever worker runs the spin: the one whose slot holds a task while the other drains.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pids = await workerPids(pool);
    expect(pids.length).toBeGreaterThan(0);
    const spinning = pids.find((p) => p.task === 'spin');
    process.kill(spinning?.pid ?? who.pid, 'SIGKILL');
    const [victimOutcome] = await outcomes([victim]);
    const results = await others;
    if (spinning) expect(victimOutcome!.error).toBeInstanceOf(WorkerCrashedError);
    const failed = results.filter((r) => r.error);
    for (const f of failed) expect(f.error).toBeInstanceOf(WorkerCrashedError);
    // Only tasks the killed worker held can fail: with the spin killed, none of the others.
    if (spinning) expect(failed).toHaveLength(0);
    for (const [i, key] of keys.entries()) {
      if (!results[i]!.error) expect(runsOf(pool.namespace, key)).toBe(1);
      else expect(runsOf(pool.namespace, key)).toBeLessThanOrEqual(1);
    }
    await until(() => pool.stats().workers === 2, 20_000, 'replacement worker');
    expect(await pool.run({ a: 1, b: 2 })).toBe(3);
    expect(pool.stats().crashed).toBe(spinning ? 1 : failed.length + (victimOutcome!.error ? 1 : 0));
  });

  it('a thread that throws outside a task fails only its held task and is replaced', async () => {
    const pool = makePool({ mode: 'thread', maxWorkers: 2 });
    const keys = Array.from({ length: 200 }, (_, i) => `t${i}`);
    const crash = outcomes([pool.run(null, { name: 'throwOutside' })]);
    const results = await countedRuns(pool, keys);
    const [crashed] = await within(crash, 20_000, 'crashed task');
    expect(crashed!.error).toBeInstanceOf(WorkerCrashedError);
    expect(results.every((r) => r.value !== undefined)).toBe(true);
    for (const key of keys) expect(runsOf(pool.namespace, key)).toBe(1);
    await until(() => pool.stats().workers === 2, 20_000, 'replacement worker');
    expect(pool.stats().crashed).toBe(1);
    expect(await pool.run({ a: 2, b: 2 })).toBe(4);
  });

  it('process.exit inside a task fails that task (no hang)', async () => {
    const pool = makePool({ mode: 'thread', maxWorkers: 1 });
    await expect(within(pool.run(null, { name: 'exitNow' }), 20_000, 'exit task')).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(await within(pool.run({ a: 2, b: 5 }), 20_000, 'after exit')).toBe(7);
  });

  it('a thread out of memory (resourceLimits) fails its task with WorkerCrashedError and is replaced', async () => {
    const pool = makePool({ mode: 'thread', maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const error = await within(pool.run(null, { name: 'oom' }).catch((e: unknown) => e as Error), 60_000, 'oom task');
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(String((error as Error).message)).toMatch(/memory/i);
    expect(await within(pool.run({ a: 1, b: 1 }), 20_000, 'after oom')).toBe(2);
  });
});

/** Live workers' pids, marking the one that holds task 2 (the spin: task 1 was whoami), as `shmkit inspect` reads them. */
async function workerPids(pool: ReturnType<typeof makePool>): Promise<Array<{ pid: number; task: string | undefined }>> {
  const { readPool } = await import('../../src/cli/read-pool.js');
  const directory = pool.namespace.objects().find((o) => o.kind === 'pool')!;
  const report = readPool(pool.namespace.section.buffer as ArrayBuffer, directory.offset);
  return report.workers
    .filter((w) => w.owner?.alive)
    .map((w) => ({ pid: w.owner!.pid, task: w.task && w.state === 'busy' && w.task.id === 2 ? 'spin' : undefined }));
}
