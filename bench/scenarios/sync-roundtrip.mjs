// Round-trip latency between two processes through two shmkit Events (spinning, sync park,
// async park), next to process.send (json, advanced) and worker postMessage round trips,
// all in this run on this machine.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { Event } from '../../dist/index.js';
import { CHILDREN, createLineup, lineUp, LINEUP_BYTES, startChild, waitOptions } from '../lib/processes.mjs';
import { latencyHistogram, summarize } from '../lib/stats.mjs';

async function eventRoundTrip(mode, rounds, warmup) {
  const name = `bench-rt-${process.pid}`;
  const section = createLineup(name, 2, 256);
  try {
    Event.initialize(section.buffer, LINEUP_BYTES, { manualReset: false });
    Event.initialize(section.buffer, LINEUP_BYTES + 64, { manualReset: false });
    const ping = new Event(section.buffer, LINEUP_BYTES, section.waiter);
    const pong = new Event(section.buffer, LINEUP_BYTES + 64, section.waiter);
    const child = startChild('event-echo.mjs', [name, mode, rounds + warmup]);
    const wait = waitOptions(mode);
    lineUp(section);
    const histogram = latencyHistogram();
    for (let i = 0; i < rounds + warmup; i++) {
      const started = process.hrtime.bigint();
      ping.set();
      if (mode.startsWith('async')) await pong.waitAsync(wait);
      else pong.wait(wait);
      if (i >= warmup) histogram.record(Number(process.hrtime.bigint() - started) || 1);
    }
    await child.result();
    await child.exit();
    return summarize(histogram);
  } finally {
    section.close();
    section.unlink();
  }
}

async function ipcRoundTrip(serialization, rounds, warmup) {
  const { child, exit } = startChild('ipc-echo.mjs', [], { serialization, collect: false });
  await new Promise((resolve) => child.once('message', resolve));
  const histogram = latencyHistogram();
  const message = { seq: 0 };
  for (let i = 0; i < rounds + warmup; i++) {
    const started = process.hrtime.bigint();
    message.seq = i;
    child.send(message);
    await new Promise((resolve) => child.once('message', resolve));
    if (i >= warmup) histogram.record(Number(process.hrtime.bigint() - started) || 1);
  }
  child.send('stop');
  await exit();
  return summarize(histogram);
}

async function workerRoundTrip(rounds, warmup) {
  const worker = new Worker(path.join(CHILDREN, 'worker-echo.mjs'));
  const histogram = latencyHistogram();
  const message = { seq: 0 };
  for (let i = 0; i < rounds + warmup; i++) {
    const started = process.hrtime.bigint();
    message.seq = i;
    worker.postMessage(message);
    await new Promise((resolve) => worker.once('message', resolve));
    if (i >= warmup) histogram.record(Number(process.hrtime.bigint() - started) || 1);
  }
  await worker.terminate();
  return summarize(histogram);
}

export default async function run({ quick }) {
  const rounds = quick ? 5_000 : 50_000;
  const warmup = quick ? 500 : 5_000;
  const rows = [];
  const add = (name, kind, summary) => rows.push({ group: 'round trip (2 processes)', name, kind, ...summary });
  const parked = Math.min(rounds, 20_000);
  add('shmkit Event, sync, spinning', 'shmkit', await eventRoundTrip('spin', rounds, warmup));
  add('shmkit Event, sync, default (spin, then futex)', 'shmkit', await eventRoundTrip('default', rounds, warmup));
  add('shmkit Event, sync, park at once (futex)', 'shmkit', await eventRoundTrip('park', parked, warmup));
  add('shmkit Event, async, default (loop spin, then doorbell)', 'shmkit', await eventRoundTrip('async', rounds, warmup));
  add('shmkit Event, async, park at once (doorbell)', 'shmkit', await eventRoundTrip('async-park', parked, warmup));
  add('process.send (json)', 'peer', await ipcRoundTrip('json', Math.min(rounds, 20_000), warmup));
  add('process.send (advanced)', 'peer', await ipcRoundTrip('advanced', Math.min(rounds, 20_000), warmup));
  add('worker postMessage (thread)', 'peer', await workerRoundTrip(Math.min(rounds, 20_000), warmup));
  return rows;
}
