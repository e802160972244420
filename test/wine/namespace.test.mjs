// Namespace and cache across Wine processes: a model run of three writers (every write seen,
// in one total order), the tied interface, a shared cache, and a writer terminated mid-write
// after which the namespace verifies and keeps working.
import assert from 'node:assert/strict';
import { Namespace } from '../../dist/index.js';
import { closeAfter, sleep, startChild, test, uniqueName } from './harness.mjs';

const peer = (config) => startChild('fixtures/ns-peer.mjs', [JSON.stringify(config)]);

async function run(configs) {
  const children = configs.map(peer);
  for (const child of children) assert.equal(await child.message(30_000), 'ready');
  for (const child of children) child.process.send('go');
  const outcomes = [];
  for (const child of children) {
    const outcome = await child.message(120_000);
    assert.equal(outcome.ok, true, outcome.error);
    outcomes.push(outcome);
    await child.exit();
  }
  return outcomes;
}

test('3 processes x 5000 random operations under withLock: one total order, the last write wins', async () => {
  const name = uniqueName('model');
  const ns = closeAfter(Namespace.open(name, { size: 8 << 20 }));
  const outcomes = await run([1, 2, 3].map((id) => ({ name, role: 'model', id, seed: id * 7919, ops: 5000, keys: 300 })));
  const last = new Map();
  let updates = 0;
  const seqs = new Set();
  let entries = 0;
  for (const outcome of outcomes) {
    updates += outcome.updates;
    for (const [key, seq, op] of outcome.log) {
      seqs.add(seq);
      entries++;
      const known = last.get(key);
      if (!known || known[0] < seq) last.set(key, [seq, op]);
    }
  }
  assert.equal(seqs.size, entries); // a total order
  for (const [key, [seq, op]] of last) {
    const value = ns.get(key);
    if (op === 0) assert.equal(value, undefined, key);
    else assert.equal(value?.seq, seq, key);
  }
  assert.equal(ns.get('counter'), updates);
  ns.verify();
}, 180_000);

test('the tied interface and a cache, written in one process and read in another', async () => {
  const name = uniqueName('vars');
  const ns = closeAfter(Namespace.open(name, { size: 1 << 20 }));
  ns.vars.gone = 'soon';
  const [vars] = await run([{ name, role: 'vars' }]);
  assert.deepEqual(vars.keys, ['answer', 'foo', 'nested']);
  assert.equal(ns.vars.foo, 'hello');
  assert.deepEqual(ns.vars.nested, { list: [1, 2, 3], when: new Date(1000) });
  const cacheName = 'shared-cache';
  const outcomes = await run([1, 2].map((id) => ({ name, role: 'cache', id, cache: cacheName })));
  for (const outcome of outcomes) assert.equal(outcome.hits, 50);
  const cache = ns.cache(cacheName, { maxEntries: 100 });
  const entry = cache.get('c7');
  assert.equal(entry.i, 7);
  assert.ok([1, 2].includes(entry.from));
  ns.verify();
}, 120_000);

test('a writer terminated mid-write, 4 trials: verify() passes, groups are whole, writes go on', async () => {
  const name = uniqueName('crash');
  const ns = closeAfter(Namespace.open(name, { size: 8 << 20 }));
  const seeds = new Set();
  for (let trial = 0; trial < 4; trial++) {
    const seed = 1000 + trial;
    seeds.add(seed);
    const child = peer({ name, role: 'crash-writer', seed, size: 8 << 20 });
    assert.equal(await child.message(30_000), 'ready');
    child.process.send('go');
    assert.equal(await child.message(30_000), 'writing');
    await sleep(20 + trial * 37);
    child.kill(); // TerminateProcess, wherever it is
    await child.exit();
    ns.verify(); // locks: recovers a lock the writer died holding, and rolls its write back
    const [a, b] = ns.getMany(['pairA', 'pairB']);
    assert.equal(a, b);
    for (const key of ns.keys()) {
      const value = ns.get(key);
      if (key === 'count') continue;
      const [from] = String(value).split(':');
      assert.ok(seeds.has(Number(from)) || key === 'alive', `${key}: ${String(value).slice(0, 40)}`);
    }
    ns.set('alive', `${seed}:0`);
    assert.equal(ns.get('alive'), `${seed}:0`);
  }
}, 180_000);
