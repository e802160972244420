import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Outcome {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

async function start(configs: Array<Record<string, unknown>>, fixture = 'ns-peer.mjs'): Promise<ReturnType<typeof startChild>[]> {
  const children = configs.map((config) => startChild(fixture, [JSON.stringify(config)]));
  await Promise.all(children.map((child) => child.message(20_000)));
  for (const child of children) child.process.send('go');
  return children;
}

async function finish(children: ReturnType<typeof startChild>[], timeoutMs = 120_000): Promise<Outcome[]> {
  const outcomes = await Promise.all(children.map((child) => child.message<Outcome>(timeoutMs)));
  await Promise.all(children.map((child) => child.exit(20_000)));
  for (const outcome of outcomes) expect(outcome.error).toBeUndefined();
  return outcomes;
}

/** Nobody died: no lock was taken from a dead writer, nothing rolled back. */
function expectNothingRecovered(ns: Namespace): void {
  const { counters } = ns.inspect();
  expect(counters.recoveries).toBe(0);
  expect(counters.rollbacks).toBe(0);
  expect(counters.lockRecoveries).toBe(0);
  expect(counters.loadRecoveries).toBe(0);
}

/** Polls `condition` every 5 ms; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('namespace across processes', () => {
  it('model check: 4 processes x 50,000 random operations on 1,000 keys; every key holds its last committed write', async () => {
    const name = uniqueName('model');
    using ns = Namespace.open(name, { size: 8 << 20 });
    const children = await start(
      [1, 2, 3, 4].map((id) => ({ name, role: 'model', id, seed: id * 7919, ops: 50_000, keys: 1000 })),
    );
    const outcomes = await finish(children);
    const last = new Map<string, [number, number]>();
    let updates = 0;
    for (const outcome of outcomes) {
      updates += outcome.updates as number;
      for (const [key, seq, op] of outcome.log as Array<[string, number, number]>) {
        const known = last.get(key);
        if (!known || known[0] < seq) last.set(key, [seq, op]);
      }
    }
    const seqs = new Set<number>();
    for (const outcome of outcomes) for (const [, seq] of outcome.log as Array<[string, number, number]>) seqs.add(seq);
    expect(seqs.size).toBe(outcomes.reduce((sum, outcome) => sum + (outcome.log as unknown[]).length, 0)); // a total order
    for (const [key, [seq, op]] of last) {
      const value = ns.get(key) as { seq: number } | undefined;
      if (op === 0) expect(value, key).toBeUndefined();
      else expect(value?.seq, key).toBe(seq);
    }
    expect(ns.get('counter')).toBe(updates);
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('the tied interface: ns.vars.foo = "hello" in one process, ns.vars.foo in another', async () => {
    const name = uniqueName('vars');
    using ns = Namespace.open(name, { size: 1 << 20 });
    ns.vars.gone = 'soon';
    const [outcome] = await finish(await start([{ name, role: 'vars' }]));
    expect(outcome!.keys).toEqual(['answer', 'foo', 'nested']);
    expect(ns.vars.foo).toBe('hello');
    expect(ns.vars.answer).toBe(42);
    expect(ns.vars.nested).toEqual({ list: [1, 2, 3], when: new Date(1000) });
    expect('gone' in ns.vars).toBe(false);
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('atomic groups: a reader process never sees half of a withLock() group (100,000 checks)', async () => {
    const name = uniqueName('groups');
    using ns = Namespace.open(name, { size: 4 << 20 });
    ns.withLock(() => {
      ns.set('a', -1);
      ns.set('b', -1);
    });
    const writer = await start([{ name, role: 'group-writer' }]);
    let read: Outcome | undefined;
    try {
      const reader = await start([{ name, role: 'group-reader', count: 100_000 }]);
      [read] = await finish(reader);
    } finally {
      writer[0]!.process.send('stop');
    }
    const [written] = await finish(writer);
    expect(read!.halves).toBe(0);
    expect(read!.changes as number).toBeGreaterThan(10); // the reader really saw the writer move
    expect(written!.groups as number).toBeGreaterThan(100);
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('one cache shared by processes', async () => {
    const name = uniqueName('cache');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const cache = ns.cache('shared', { maxEntries: 100 });
    const outcomes = await finish(await start([1, 2].map((id) => ({ name, role: 'cache', cache: 'shared', id }))));
    expect(outcomes.map((outcome) => outcome.hits)).toEqual([50, 50]);
    expect(cache.size).toBe(50);
    expect(cache.stats().hits).toBeGreaterThanOrEqual(100);
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('a namespace channel carries values larger than its ring through the heap, and frees them', async () => {
    const name = uniqueName('large');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const channel = ns.channel('big', { capacity: 4096 });
    const before = ns.inspect().heap.used;
    const children = await start([{ name, role: 'large', channel: 'big', count: 40 }]);
    for (let i = 0; i < 40; i++) {
      const message = (await channel.receive({ timeout: 20_000 })) as { i: number; blob: Uint8Array };
      expect(message.i).toBe(i);
      expect(message.blob.length).toBe(50_000);
      expect(message.blob.every((byte) => byte === (i & 0xff))).toBe(true);
    }
    await finish(children);
    expect(ns.inspect().heap.used).toBe(before);
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('ns.increment: 4 processes x 10,000 increments = 40,000 exactly, every value handed out once', async () => {
    const name = uniqueName('counter');
    using ns = Namespace.open(name, { size: 4 << 20 });
    ns.set('hits', 0);
    const outcomes = await finish(await start([1, 2, 3, 4].map(() => ({ name, role: 'increment', key: 'hits', count: 10_000 })), 'store-peer.mjs'));
    expect(ns.get('hits')).toBe(40_000);
    const seen = outcomes.flatMap((outcome) => outcome['values'] as number[]).sort((a, b) => a - b);
    expect(seen.length).toBe(40_000);
    expect(seen.every((value, i) => value === i + 1)).toBe(true); // each of 1..40,000 once
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('cache.getOrSet: 6 processes (async and sync) miss one key at once; the loader runs once and all get its value', async () => {
    const name = uniqueName('gos');
    using ns = Namespace.open(name, { size: 4 << 20 });
    ns.cache('users', { ttl: 60_000 });
    const configs = [1, 2, 3, 4, 5, 6].map((id) => ({ name, role: 'get-or-set', cache: 'users', key: 'u1', delay: 300, sync: id > 4 }));
    const outcomes = await finish(await start(configs, 'store-peer.mjs'));
    expect(ns.get('loader-calls')).toBe(1);
    const loadedBy = (outcomes[0]!['value'] as { by: number }).by;
    for (const outcome of outcomes) expect(outcome['value']).toEqual({ by: loadedBy });
    expect(ns.cache('users').get('u1')).toEqual({ by: loadedBy });
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });

  it('cache.getOrSet: a loader that throws gives its caller the error; the next caller loads, the rest get that value', async () => {
    const name = uniqueName('gos-throw');
    using ns = Namespace.open(name, { size: 4 << 20 });
    const [thrower] = await start([{ name, role: 'loader-throws', cache: 'c', key: 'k', delay: 300 }], 'store-peer.mjs');
    await until(() => ns.get('loader-calls') === 1); // its loader runs: the key is marked
    const others = await start([1, 2, 3].map(() => ({ name, role: 'get-or-set', cache: 'c', key: 'k', delay: 50 })), 'store-peer.mjs');
    const [thrown] = await finish([thrower!]);
    expect(thrown!['threw']).toBe(true);
    expect(thrown!['message']).toBe(`loader of ${thrower!.process.pid} failed`);
    const outcomes = await finish(others);
    expect(ns.get('loader-calls')).toBe(2);
    const loadedBy = (outcomes[0]!['value'] as { by: number }).by;
    expect(others.map((child) => child.process.pid)).toContain(loadedBy);
    for (const outcome of outcomes) expect(outcome['value']).toEqual({ by: loadedBy });
    ns.verify();
    expectNothingRecovered(ns);
    ns.destroy();
  });
});
