// node bench/compare-builds.mjs <dist A> <dist B> [runs=3] [seconds=1]
//
// The raw 64-byte channel throughput of two builds of shmkit, SPSC and MPSC (one producer),
// measured alternately A, B, A, B... in one run, so that a change to the ring protocol can be
// judged against the code before it on the same machine at the same time. Prints each run
// and the median with its spread (min..max) per build and kind, and the ratio of medians.
import { fork } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SIZE = 64;
const [, , distA, distB, runsText = '3', secondsText = '1'] = process.argv;

if (process.argv[2] === '--producer') {
  const [, , , dist, name, seconds] = process.argv;
  const { Channel } = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const channel = Channel.open(name, { codec: 'raw' });
  const message = new Uint8Array(SIZE).fill(7);
  process.send('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const until = performance.now() + Number(seconds) * 1000;
  let sent = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 1024; i++) {
      if (!channel.tryWrite(message)) channel.writeSync(message, { timeout: 30_000 });
    }
    sent += 1024;
  }
  channel.writeSync(new Uint8Array(1), { timeout: 30_000 }); // end marker
  process.send({ sent });
  channel.close();
  process.disconnect();
} else {
  if (!distA || !distB) {
    console.error('usage: node bench/compare-builds.mjs <dist A> <dist B> [runs] [seconds]');
    process.exit(2);
  }
  const runs = Number(runsText);
  const results = {};
  for (let run = 0; run < runs; run++) {
    for (const dist of [distA, distB]) {
      for (const kind of ['spsc', 'mpsc']) {
        const rate = await measure(path.resolve(dist), kind, Number(secondsText));
        (results[`${kind} ${dist}`] ??= []).push(rate);
        console.log(`run ${run + 1}: ${kind} ${dist}: ${(rate / 1e6).toFixed(2)} M msg/s`);
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log('\nmedians of', runs, 'runs (min..max), 64-byte raw messages:');
  for (const kind of ['spsc', 'mpsc']) {
    const a = results[`${kind} ${distA}`];
    const b = results[`${kind} ${distB}`];
    const show = (values) => `${(median(values) / 1e6).toFixed(2)} M/s (${(Math.min(...values) / 1e6).toFixed(2)}..${(Math.max(...values) / 1e6).toFixed(2)})`;
    console.log(`${kind}: A ${show(a)}  B ${show(b)}  B/A ${(median(b) / median(a)).toFixed(2)}x`);
  }
}

async function measure(dist, kind, seconds) {
  const { Channel } = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const name = `bench-compare-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const channel = Channel.create(name, { capacity: 1 << 21, kind, codec: 'raw' });
  const child = fork(new URL(import.meta.url).pathname, ['--producer', dist, name, String(seconds)], { stdio: 'inherit' });
  try {
    await new Promise((resolve) => child.once('message', resolve));
    child.send('go');
    const target = new Uint8Array(SIZE);
    let received = 0;
    let started = 0;
    for (;;) {
      const length = channel.readIntoSync(target, { timeout: 30_000 });
      if (received === 0) started = performance.now();
      if (length === 1) break;
      received++;
    }
    const elapsed = (performance.now() - started) / 1000;
    await new Promise((resolve) => child.once('exit', resolve));
    return received / elapsed;
  } finally {
    child.kill('SIGKILL');
    channel.close();
    Channel.unlink(name);
  }
}
