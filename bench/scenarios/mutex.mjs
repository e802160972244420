// Mutex: uncontended lock+unlock in one process (benchmark package), next to async-mutex
// and a bare CAS pair as the floor; contended hand-off latency between two processes.
import Benchmark from 'benchmark';
import { Mutex as AsyncMutex } from 'async-mutex';
import { Mutex, Section, SharedArrayBufferWaiter } from '../../dist/index.js';
import { createLineup, LINEUP_BYTES, startChild } from '../lib/processes.mjs';

function micro(cases, quick) {
  return new Promise((resolve) => {
    const suite = new Benchmark.Suite();
    for (const [name, fn, options] of cases) suite.add(name, fn, { minSamples: quick ? 5 : 20, maxTime: quick ? 0.5 : 2, ...options });
    const results = [];
    suite.on('cycle', (event) => {
      const target = event.target;
      results.push({ name: target.name, opsPerSec: target.hz, rme: target.stats.rme });
    });
    suite.on('complete', () => resolve(results));
    suite.run({ async: false });
  });
}

export default async function run({ quick }) {
  const rows = [];
  const name = `bench-mutex-${process.pid}`;
  Section.unlink(name);
  const section = Section.create(name, { size: 4096 });
  const sab = new SharedArrayBuffer(4096);
  try {
    const mapped = new Mutex(section.buffer, 0, section.waiter);
    const threads = new Mutex(sab, 0, new SharedArrayBufferWaiter(sab));
    const words = new Int32Array(sab, 64, 1);
    const asyncMutex = new AsyncMutex();
    const results = await micro(
      [
        ['shmkit Mutex lock+unlock (section)', () => { mapped.lock(); mapped.unlock(); }],
        ['shmkit Mutex lock+unlock (SharedArrayBuffer)', () => { threads.lock(); threads.unlock(); }],
        ['bare Atomics CAS pair (floor)', () => { Atomics.compareExchange(words, 0, 0, 1); Atomics.store(words, 0, 0); }],
        ['async-mutex acquire+release (in-process only)', {
          defer: true,
          fn: (deferred) => { asyncMutex.acquire().then((release) => { release(); deferred.resolve(); }); },
        }],
      ].map((entry) => (typeof entry[1] === 'function' ? entry : [entry[0], entry[1].fn, { defer: true }])),
      quick,
    );
    for (const result of results) {
      rows.push({
        group: 'mutex, uncontended (1 process)',
        name: result.name,
        kind: result.name.startsWith('shmkit') ? 'shmkit' : 'peer',
        opsPerSec: result.opsPerSec,
        rme: result.rme,
      });
    }
  } finally {
    section.close();
    section.unlink();
  }

  const lineup = `bench-mutex-contended-${process.pid}`;
  const shared = createLineup(lineup, 2, 256);
  try {
    const seconds = quick ? 1 : 3;
    const children = [0, 1].map((id) => startChild('mutex-contender.mjs', [lineup, id, seconds]));
    const outcomes = await Promise.all(children.map((child) => child.result()));
    await Promise.all(children.map((child) => child.exit()));
    const locks = outcomes.reduce((sum, outcome) => sum + outcome.locks, 0);
    const handoffs = outcomes.reduce((sum, outcome) => sum + outcome.handoff.count, 0);
    const weighted = (key) => outcomes.reduce((sum, o) => sum + o.handoff[key] * o.handoff.count, 0) / Math.max(1, handoffs);
    rows.push({
      group: 'mutex, contended (2 processes)',
      name: 'shmkit Mutex hand-off',
      kind: 'shmkit',
      opsPerSec: locks / seconds,
      count: handoffs,
      p50us: weighted('p50us'),
      p99us: weighted('p99us'),
    });
  } finally {
    shared.close();
    shared.unlink();
  }
  return rows;
}
