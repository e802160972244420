// Round-trip latency between two processes through two shmkit Events (spinning, sync park,
// async park), next to process.send (json, advanced) and worker postMessage round trips,
// all in this run on this machine. Each row: a warm-up, then trials of a fixed number of
// round trips; a trial's figure is its p50.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { Event } from '../../dist/index.js';
import { LatencyTrials } from '../lib/latency-trials.mjs';
import { benchName, CHILDREN, createLineup, lineUp, LINEUP_BYTES, removeLineup, startChild, waitOptions } from '../lib/processes.mjs';
import { latencyRow } from '../lib/rows.mjs';

export const family = 'round trips';

async function eventRoundTrip(mode, plan) {
  const name = benchName('rt-event');
  const section = createLineup(name, 2, 256);
  const trials = new LatencyTrials(plan);
  try {
    Event.initialize(section.buffer, LINEUP_BYTES, { manualReset: false });
    Event.initialize(section.buffer, LINEUP_BYTES + 64, { manualReset: false });
    const ping = new Event(section.buffer, LINEUP_BYTES, section.waiter);
    const pong = new Event(section.buffer, LINEUP_BYTES + 64, section.waiter);
    const child = startChild('event-echo.mjs', [name, mode, trials.total]);
    const wait = waitOptions(mode);
    lineUp(section);
    const isAsync = mode.startsWith('async');
    for (let i = 0; i < trials.total; i++) {
      const started = process.hrtime.bigint();
      ping.set();
      if (isAsync) await pong.waitAsync(wait);
      else pong.wait(wait);
      trials.record(i, Number(process.hrtime.bigint() - started));
    }
    await child.result();
    await child.exit();
    return trials.summary();
  } finally {
    removeLineup(section);
  }
}

async function ipcRoundTrip(serialization, plan) {
  const { child, exit } = startChild('ipc-echo.mjs', [], { serialization, collect: false });
  await new Promise((resolve) => child.once('message', resolve));
  const trials = new LatencyTrials(plan);
  const message = { seq: 0 };
  for (let i = 0; i < trials.total; i++) {
    const started = process.hrtime.bigint();
    message.seq = i;
    child.send(message);
    await new Promise((resolve) => child.once('message', resolve));
    trials.record(i, Number(process.hrtime.bigint() - started));
  }
  child.send('stop');
  await exit();
  return trials.summary();
}

async function workerRoundTrip(plan) {
  const worker = new Worker(path.join(CHILDREN, 'worker-echo.mjs'));
  const trials = new LatencyTrials(plan);
  const message = { seq: 0 };
  try {
    for (let i = 0; i < trials.total; i++) {
      const started = process.hrtime.bigint();
      message.seq = i;
      worker.postMessage(message);
      await new Promise((resolve) => worker.once('message', resolve));
      trials.record(i, Number(process.hrtime.bigint() - started));
    }
    return trials.summary();
  } finally {
    await worker.terminate();
  }
}

export default async function run({ quick, trials }) {
  // Parked and peer round trips take 15-50 µs each: fewer of them per trial.
  const fast = { warmup: quick ? 500 : 5_000, rounds: quick ? 1_000 : 10_000, trials };
  const slow = { warmup: quick ? 200 : 2_000, rounds: quick ? 500 : 4_000, trials };
  const rows = [];
  const group = 'round trip through two Events (2 processes)';
  const add = (name, kind, { samples, ...figures }) => rows.push(latencyRow(group, name, kind, samples, figures));
  add('shmkit Event, sync, spinning', 'shmkit', await eventRoundTrip('spin', fast));
  add('shmkit Event, sync, default (spin, then futex)', 'shmkit', await eventRoundTrip('default', fast));
  add('shmkit Event, sync, park at once (futex)', 'shmkit', await eventRoundTrip('park', slow));
  add('shmkit Event, async, default (loop spin, then doorbell)', 'shmkit', await eventRoundTrip('async', fast));
  add('shmkit Event, async, park at once (doorbell)', 'shmkit', await eventRoundTrip('async-park', slow));
  add('process.send (json)', 'peer', await ipcRoundTrip('json', slow));
  add('process.send (advanced)', 'peer', await ipcRoundTrip('advanced', slow));
  add('worker postMessage (thread)', 'peer', await workerRoundTrip(slow));
  return rows;
}
