/**
 * Issue 9, items 6 and 12 under SIGKILL: a writer killed while tables split buckets,
 * allocate segments, grow their directory, unlink under churn, or sweep expired cache
 * entries leaves a namespace that verify() accepts, with every key old or new.
 * The child (inline, importing dist/: run `npm run build` first) churns until killed.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';
import { seededRandom } from '../helpers/random.js';

const DIST = new URL('../../dist/index.js', import.meta.url).href;

const CHILD = `
import { Namespace } from ${JSON.stringify(DIST)};
const [name, seedText] = process.argv.slice(1);
const seed = Number(seedText);
const ns = Namespace.open(name, { create: false });
const cache = ns.cache('c', { ttl: 3 });
let state = seed;
const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
process.stdout.write('writing\\n');
for (let n = 0; n < 5e6; n++) {
  const r = next() % 10;
  if (r < 4) ns.set('t' + (next() % 6000), seed + ':' + n);
  else if (r < 6) ns.delete('t' + (next() % 6000));
  else if (r < 9) cache.set('c' + (next() % 3000), seed + ':' + n);
  else if (n % 7 === 0) cache.purgeStale();
  else ns.withLock(() => { ns.set('pairA', seed + ':' + n); ns.set('t' + (next() % 6000), seed + ':' + n); ns.set('pairB', seed + ':' + n); });
}
`;

function runChild(name: string, seed: number): { ready: Promise<void>; kill: () => Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, name, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child not ready in 20 s')), 20_000);
    child.stdout.on('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before writing: ${stderr}`));
    });
  });
  return {
    ready,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('tables under SIGKILL', () => {
  it('30 seeded kills during splits, segment growth, unlinks and expiry sweeps', async () => {
    const name = uniqueName('tkill');
    const ns = Namespace.open(name, { size: 1 << 20 });
    try {
      ns.cache('c', { ttl: 3 });
      const next = seededRandom(99);
      const seeds = new Set<number>();
      let rollbacks = 0;
      for (let trial = 0; trial < 30; trial++) {
        const seed = 500 + trial;
        seeds.add(seed);
        const child = runChild(name, seed);
        await child.ready;
        await new Promise((resolve) => setTimeout(resolve, 5 + (next() % 60)));
        await child.kill();
        ns.verify(); // recovers the lock, rolls back, then checks every table and value
        rollbacks = ns.inspect().counters.rollbacks;
        const [a, b] = ns.getMany(['pairA', 'pairB']);
        expect(a).toBe(b);
        for (const key of ns.keys()) {
          const value = String(ns.get(key));
          expect(seeds.has(Number(value.split(':')[0])), `${key}: ${value}`).toBe(true);
        }
        const cache = ns.cache('c');
        expect(cache.size).toBeLessThanOrEqual(3000); // 3,000 keys at most, expired ones not counted
      }
      console.log(`[table-kill] 30 kills, ${rollbacks} rolled back, ${ns.size} keys, heap ${JSON.stringify(ns.inspect().heap)}`);
      expect(rollbacks).toBeGreaterThan(0);
    } finally {
      ns.destroy();
    }
  }, 600_000);
});
