// Mutex: uncontended lock+unlock in one process (timed loops, lib/micro.mjs), next to
// async-mutex and a bare CAS pair as the floor; contended hand-off latency between two
// processes, in rounds (a warm-up, then the trials).
import { Mutex as AsyncMutex } from 'async-mutex';
import { Mutex, SharedArrayBufferWaiter } from '../../dist/index.js';
import { microTrials } from '../lib/micro.mjs';
import { benchName, createLineup, removeLineup, startChild } from '../lib/processes.mjs';
import { latencyRow, rateRow } from '../lib/rows.mjs';
import { median } from '../lib/stats.mjs';

export const family = 'mutex';

async function uncontended({ quick, trials }) {
  const name = benchName('mutex');
  const section = createLineup(name, 1, 4096); // only its memory is used here
  const sab = new SharedArrayBuffer(4096);
  try {
    const mapped = new Mutex(section.buffer, 4096, section.waiter);
    const threads = new Mutex(sab, 0, new SharedArrayBufferWaiter(sab));
    const words = new Int32Array(sab, 64, 1);
    const asyncMutex = new AsyncMutex();
    const cases = [
      { name: 'shmkit Mutex lock+unlock (section)', kind: 'shmkit', operation: () => { mapped.lock(); mapped.unlock(); } },
      { name: 'shmkit Mutex lock+unlock (SharedArrayBuffer)', kind: 'shmkit', operation: () => { threads.lock(); threads.unlock(); } },
      { name: 'bare Atomics CAS pair (the floor)', kind: 'peer', operation: () => { Atomics.compareExchange(words, 0, 0, 1); Atomics.store(words, 0, 0); } },
      { name: 'async-mutex acquire+release (in-process only)', kind: 'peer', async: true, operation: () => asyncMutex.acquire().then((release) => release()) },
    ];
    const timing = quick ? { warmupMs: 100, trialMs: 100 } : { warmupMs: 300, trialMs: 1000 };
    const measured = await microTrials(cases, { trials, ...timing });
    return cases.map((c, i) => rateRow('mutex, uncontended (1 process)', c.name, c.kind, measured[i].samples, { unit: 'ops/s' }));
  } finally {
    removeLineup(section);
  }
}

async function contended({ quick, trials }) {
  const name = benchName('mutex-contended');
  const section = createLineup(name, 2, 256);
  try {
    const seconds = [quick ? 0.1 : 0.5, ...Array(trials).fill(quick ? 0.2 : 1)];
    const children = [0, 1].map((id) => startChild('mutex-contender.mjs', [name, id, seconds.length, ...seconds]));
    const outcomes = await Promise.all(children.map((child) => child.result()));
    await Promise.all(children.map((child) => child.exit()));
    const samples = [];
    const p99s = [];
    const rates = [];
    for (let round = 1; round < seconds.length; round++) {
      const both = outcomes.map((rounds) => rounds[round]);
      const handoffs = both.reduce((sum, o) => sum + o.handoff.count, 0);
      const weighted = (key) => both.reduce((sum, o) => sum + o.handoff[key] * o.handoff.count, 0) / Math.max(1, handoffs);
      samples.push(weighted('p50us'));
      p99s.push(weighted('p99us'));
      rates.push(both.reduce((sum, o) => sum + o.locks / o.seconds, 0));
    }
    return [
      latencyRow('mutex, contended hand-off (2 processes)', 'shmkit Mutex hand-off, lock to lock', 'shmkit', samples, {
        p99us: median(p99s),
        p99Samples: p99s,
        locksPerSec: median(rates),
      }),
    ];
  } finally {
    removeLineup(section);
  }
}

export default async function run(options) {
  return [...(await uncontended(options)), ...(await contended(options))];
}
