import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
import { seededRandom } from '../helpers/random.js';

/**
 * Values replaced in place (a small value by one of the same size, counters) journal their
 * old words and are overwritten in their block: a writer killed in the middle must leave the
 * old bytes or the new ones, never a mix.
 */
describe('a writer killed while it rewrites values in place', () => {
  it('40 seeded trials: values whole, counters of one group equal, no load left hanging, verify() passes', async () => {
    const name = uniqueName('rewrite-kill');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const next = seededRandom(777);
    let rollbacks = 0;
    for (let trial = 0; trial < 40; trial++) {
      const child = startChild('store-peer.mjs', [JSON.stringify({ name, role: 'rewrite-writer' })]);
      await child.message(20_000); // ready
      child.process.send('go');
      await child.message(20_000); // writing
      await new Promise((resolve) => setTimeout(resolve, 5 + (next() % 60)));
      child.kill('SIGKILL');
      await child.exit();
      ns.verify(); // locks: recovers the dead writer's lock and rolls its journal back
      rollbacks = ns.inspect().counters.rollbacks;
      const [left, right] = ns.getMany(['left', 'right']);
      expect(left).toBe(right);
      for (const key of ns.keys()) {
        if (!key.startsWith('v')) continue;
        const [a, b] = String(ns.get(key)).split('|');
        expect(a, key).toMatch(/^\d{6}$/);
        expect(b, key).toBe(a);
      }
      // A marker the dead writer left is taken over at once, not waited out.
      const cache = ns.cache('loaded');
      for (let g = 0; g < 20; g++) {
        const value = cache.getOrSetSync(`g${g}`, () => '000000|000000', { timeout: 5_000 });
        const [a, b] = String(value).split('|');
        expect(b, `g${g}`).toBe(a);
      }
    }
    expect(rollbacks).toBeGreaterThan(0); // some kills landed inside a write
    ns.destroy();
  }, process.env['SHMKIT_STRESS'] ? 600_000 : 180_000);
});
