import { describe, expect, it } from 'vitest';
import { DeadlockError, Namespace } from '../../src/index.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Outcome {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

async function start(config: Record<string, unknown>): Promise<Child> {
  const child = startChild('store-peer.mjs', [JSON.stringify(config)]);
  await child.message(20_000); // ready
  child.process.send('go');
  return child;
}

async function outcome(child: Child): Promise<Outcome> {
  const result = await child.message<Outcome>(40_000);
  await child.exit(20_000);
  expect(result.error).toBeUndefined();
  return result;
}

describe('cache.getOrSet when the loader dies', () => {
  it('a loader SIGKILLed mid-load: a waiting process takes over and loads, nobody hangs', async () => {
    const name = uniqueName('gos-kill');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const victim = await start({ name, role: 'loader-hangs', cache: 'c', key: 'k' });
    expect(await victim.message(20_000)).toBe('loading');
    const waiters = await Promise.all([1, 2, 3].map(() => start({ name, role: 'get-or-set', cache: 'c', key: 'k', delay: 50, timeout: 30_000 })));
    await new Promise((resolve) => setTimeout(resolve, 200)); // let them park on the marker
    expect(ns.get('loader-calls')).toBe(1);
    victim.kill('SIGKILL');
    await victim.exit(20_000);
    const outcomes = await Promise.all(waiters.map(outcome)); // a TimeoutError would be an error here
    expect(ns.get('loader-calls')).toBe(2); // one successor loaded, one at a time
    const loadedBy = (outcomes[0]!['value'] as { by: number }).by;
    expect(waiters.map((child) => child.process.pid)).toContain(loadedBy);
    for (const result of outcomes) expect(result['value']).toEqual({ by: loadedBy });
    expect(ns.inspect().counters.loadRecoveries).toBe(1);
    ns.verify();
    ns.destroy();
  }, 120_000);

  it('a loader killed while nobody waits: the next caller takes the dead marker over at once', async () => {
    const name = uniqueName('gos-kill-late');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const victim = await start({ name, role: 'loader-hangs', cache: 'c', key: 'k' });
    expect(await victim.message(20_000)).toBe('loading');
    const cache = ns.cache('c');
    // While it lives: waiting inside a group would hold the lock its loader needs to store.
    expect(() => ns.withLock(() => cache.getOrSetSync('k', () => 'x', 1_000))).toThrow(DeadlockError);
    victim.kill('SIGKILL');
    await victim.exit(20_000);
    const started = Date.now();
    expect(await cache.getOrSet('k', () => 'mine', { timeout: 10_000 })).toBe('mine');
    expect(Date.now() - started).toBeLessThan(5_000); // not a timeout: the owner is seen dead
    expect(ns.inspect().counters.loadRecoveries).toBe(1);
    ns.verify();
    ns.destroy();
  }, 60_000);
});
