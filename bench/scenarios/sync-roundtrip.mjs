// Round-trip latency between two processes through two shmkit Events (spinning, sync park,
// async park), next to process.send (json, advanced) and worker postMessage round trips,
// all in this run on this machine. Each row: a warm-up, then trials of a fixed number of
// round trips; a trial's figure is its p50.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { Event } from '../../dist/index.js';
import { latencyCaps, LatencyTrials } from '../lib/latency-trials.mjs';
import { benchName, CHILDREN, createLineup, lineUp, LINEUP_BYTES, removeLineup, startChild, waitOptions } from '../lib/processes.mjs';
import { latencyRow } from '../lib/rows.mjs';

export const family = 'round trips';

/**
 * An Event round-trip row made ready: its section (lineup, ping, pong, stop word) and echo
 * process (started now, with the other rows'; each waits at its lineup until its row runs).
 */
function prepareEventRoundTrip(mode) {
  const name = benchName('rt-event');
  const section = createLineup(name, 2, 256);
  Event.initialize(section.buffer, LINEUP_BYTES, { manualReset: false });
  Event.initialize(section.buffer, LINEUP_BYTES + 64, { manualReset: false });
  const child = startChild('event-echo.mjs', [name, mode]);
  return {
    async measure(plan) {
      const ping = new Event(section.buffer, LINEUP_BYTES, section.waiter);
      const pong = new Event(section.buffer, LINEUP_BYTES + 64, section.waiter);
      const stop = new Int32Array(section.buffer, LINEUP_BYTES + 192, 1);
      const trials = new LatencyTrials(plan);
      const wait = waitOptions(mode);
      lineUp(section);
      const isAsync = mode.startsWith('async');
      while (trials.running) {
        const started = process.hrtime.bigint();
        ping.set();
        if (isAsync) await pong.waitAsync(wait);
        else pong.wait(wait);
        trials.record(Number(process.hrtime.bigint() - started));
      }
      Atomics.store(stop, 0, 1);
      ping.set();
      await child.result();
      await child.exit();
      return trials.summary();
    },
    async dispose() {
      child.kill();
      await child.exit();
      removeLineup(section);
    },
  };
}

async function ipcRoundTrip(serialization, plan) {
  const { child, exit } = startChild('ipc-echo.mjs', [], { serialization, collect: false });
  await new Promise((resolve) => child.once('message', resolve));
  const trials = new LatencyTrials(plan);
  const message = { seq: 0 };
  for (let i = 0; trials.running; i++) {
    const started = process.hrtime.bigint();
    message.seq = i;
    child.send(message);
    await new Promise((resolve) => child.once('message', resolve));
    trials.record(Number(process.hrtime.bigint() - started));
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
    for (let i = 0; trials.running; i++) {
      const started = process.hrtime.bigint();
      message.seq = i;
      worker.postMessage(message);
      await new Promise((resolve) => worker.once('message', resolve));
      trials.record(Number(process.hrtime.bigint() - started));
    }
    return trials.summary();
  } finally {
    await worker.terminate();
  }
}

export default async function run({ quick, trials }) {
  // Parked and peer round trips take 15-50 µs each: fewer of them per trial.
  const fast = { warmup: quick ? 500 : 5_000, rounds: quick ? 1_000 : 10_000, trials, ...latencyCaps(quick) };
  const slow = { warmup: quick ? 200 : 2_000, rounds: quick ? 500 : 4_000, trials, ...latencyCaps(quick) };
  const rows = [];
  const group = 'round trip through two Events (2 processes)';
  const add = (name, kind, { samples, ...figures }) => rows.push(latencyRow(group, name, kind, samples, figures));
  const events = [
    ['spin', 'shmkit Event, sync, spinning', fast],
    ['default', 'shmkit Event, sync, default (spin, then futex)', fast],
    ['park', 'shmkit Event, sync, park at once (futex)', slow],
    ['async', 'shmkit Event, async, default (loop spin, then doorbell)', fast],
    ['async-park', 'shmkit Event, async, park at once (doorbell)', slow],
  ];
  const prepared = events.map(([mode]) => prepareEventRoundTrip(mode));
  try {
    for (const [i, [, name, plan]] of events.entries()) add(name, 'shmkit', await prepared[i].measure(plan));
  } finally {
    await Promise.all(prepared.map((row) => row.dispose()));
  }
  add('process.send (json)', 'peer', await ipcRoundTrip('json', slow));
  add('process.send (advanced)', 'peer', await ipcRoundTrip('advanced', slow));
  add('worker postMessage (thread)', 'peer', await workerRoundTrip(slow));
  return rows;
}
