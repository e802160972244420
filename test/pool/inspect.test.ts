// `shmkit inspect` and `watch` show a pool's counters and workers (src/cli/read-pool.ts).
import { describe, expect, it } from 'vitest';
import { shmkit, shmkitJson } from '../cli/run-cli.js';
import { makePool, within } from './pool-helpers.js';

describe('shmkit inspect on a pool', () => {
  it('shows state, counters and each worker', async () => {
    const pool = makePool({ maxWorkers: 2 });
    await within(Promise.all(Array.from({ length: 100 }, (_, i) => pool.run({ a: i, b: 1 }))), 30_000, 'tasks');
    const text = await shmkit(['inspect', pool.name]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/open, workers 2, submitters 1/);
    expect(text.stdout).toMatch(/completed 100/);
    expect(text.stdout).toMatch(/worker 0: (idle|busy)/);
    const json = await shmkitJson<{ namespace: { objects: Array<{ kind: string; details: Record<string, unknown> }> } }>(['inspect', pool.name]);
    const details = json.namespace.objects.find((o) => o.kind === 'pool')!.details;
    expect(details).toMatchObject({ state: 'open', completed: 100, failed: 0, crashed: 0, queued: 0, running: 0, liveWorkers: 2, submitters: 1 });
    expect((details['workers'] as unknown[]).length).toBe(2);
  });
});
