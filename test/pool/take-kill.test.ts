// The take protocol under SIGKILL at each of its steps (src/pool/take.ts): a worker killed
// between taking a task from the queue and recording it, or after, never loses a task and
// never gets one run twice. Each step is hit deterministically through its pause point.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerCrashedError } from '../../src/index.js';
import { FIXTURES, makePool, outcomes, until, within } from './pool-helpers.js';

const markers: string[] = [];
afterEach(() => {
  for (const marker of markers.splice(0)) fs.rmSync(marker, { force: true });
});

/** What the killed step should leave: whether the killed worker's task fails. */
const STEPS = [
  // Recorded as taking, head not moved: the record is still queued; a reader takes it over.
  { point: 'pool.take.recorded', crashed: 0, takeovers: 1 },
  // Head moved, not yet held: the supervisor sees the head past it and fails it.
  { point: 'pool.take.released', crashed: 1, takeovers: 0 },
  // Result sent, not let go: the result wins; the late failure is ignored by the submitter.
  { point: 'pool.result.sent', crashed: 0, takeovers: 0 },
] as const;

describe.each(STEPS)('a worker SIGKILLed at $point', ({ point, crashed, takeovers }) => {
  it('loses no task and runs none twice', async () => {
    const marker = path.join(os.tmpdir(), `shmkit-pool-die-${process.pid}-${point}-${Date.now()}`);
    markers.push(marker);
    const pool = makePool({
      mode: 'process',
      maxWorkers: 2,
      execArgv: ['--import', pathToFileURL(path.join(FIXTURES, 'pool-die-at.mjs')).href],
      env: { SHMKIT_POOL_DIE_AT: point, SHMKIT_POOL_DIE_NTH: '20', SHMKIT_POOL_DIE_MARKER: marker },
    });
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const results = await within(outcomes(keys.map((key) => pool.run({ key }, { name: 'count' }))), 90_000, 'tasks');
    expect(fs.existsSync(marker)).toBe(true); // a worker did die there
    const failures = results.filter((r) => r.error);
    for (const failure of failures) expect(failure.error).toBeInstanceOf(WorkerCrashedError);
    expect(failures).toHaveLength(crashed);
    for (const [i, key] of keys.entries()) {
      const runs = (pool.namespace.get(`ran.${key}`) as number | undefined) ?? 0;
      if (results[i]!.error) expect(runs).toBe(0); // failed before it ran
      else {
        expect(results[i]!.value).toBe(key);
        expect(runs).toBe(1);
      }
    }
    const { readPool } = await import('../../src/cli/read-pool.js');
    const entry = pool.namespace.objects().find((o) => o.kind === 'pool')!;
    expect(readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset).takeovers).toBe(takeovers);
  });
});

describe('no death, no recovery', () => {
  it('a pool that ran thousands of tasks took nothing over and failed nothing', async () => {
    const pool = makePool({ mode: 'thread', maxWorkers: 2 });
    const results = await within(Promise.all(Array.from({ length: 5_000 }, (_, i) => pool.run({ a: i, b: 1 }))), 60_000, 'tasks');
    expect(results[4_999]).toBe(5_000);
    await until(() => pool.stats().running === 0, 5_000, 'running back to 0'); // let go just after the last result
    const { readPool } = await import('../../src/cli/read-pool.js');
    const entry = pool.namespace.objects().find((o) => o.kind === 'pool')!;
    const report = readPool(pool.namespace.section.buffer as ArrayBuffer, entry.offset);
    expect(report).toMatchObject({ takeovers: 0, crashed: 0, failed: 0, skipped: 0, completed: 5_000, queued: 0, running: 0 });
  });
});
