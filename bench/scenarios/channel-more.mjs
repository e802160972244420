// Channel scenarios beyond raw throughput:
// - objects through the default codec, next to the codec's own encode + decode alone;
// - round-trip latency through two SPSC channels (spin, default, async), p50 / p99;
// - garbage: GC count and heap growth over many raw messages on each side.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Channel } from '../../dist/index.js';
import { createLineup, lineUp, startChild, waitOptions } from '../lib/processes.mjs';
import { sampleObject } from '../lib/samples.mjs';
import { latencyHistogram, summarize } from '../lib/stats.mjs';

function names(tag) {
  return { lineup: `bench-${tag}-lineup-${process.pid}`, a: `bench-${tag}-a-${process.pid}`, b: `bench-${tag}-b-${process.pid}` };
}

function codecAlone(count) {
  const encoder = new Encoder();
  const decoder = new Decoder();
  const objects = Array.from({ length: 64 }, (_, i) => sampleObject(i));
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const encoded = encoder.encode(objects[i & 63]);
    bytes += encoded.length;
    decoder.decode(encoded);
  }
  const elapsed = performance.now() - started;
  return { opsPerSec: count / (elapsed / 1000), bytesPerMessage: bytes / count };
}

async function objectsThroughChannel(count) {
  const n = names('obj');
  Channel.unlink(n.a);
  const channel = Channel.create(n.a, { capacity: 1 << 20, kind: 'spsc' });
  const lineup = createLineup(n.lineup, 2, 0);
  try {
    const producer = startChild('channel-peer.mjs', ['objects', n.lineup, n.a, '-', count, '-']);
    lineUp(lineup);
    const started = performance.now();
    for (let i = 0; i < count; i++) channel.receiveSync({ timeout: 60_000 });
    const elapsed = performance.now() - started;
    await producer.result();
    await producer.exit();
    return { opsPerSec: count / (elapsed / 1000) };
  } finally {
    channel.close();
    Channel.unlink(n.a);
    lineup.close();
    lineup.unlink();
  }
}

async function roundTrip(mode, rounds, warmup) {
  const n = names(`rt-${mode}`);
  for (const name of [n.a, n.b]) Channel.unlink(name);
  const ping = Channel.create(n.a, { capacity: 1 << 16, kind: 'spsc', codec: 'raw' });
  const pong = Channel.create(n.b, { capacity: 1 << 16, kind: 'spsc', codec: 'raw' });
  const lineup = createLineup(n.lineup, 2, 0);
  try {
    const peer = startChild('channel-peer.mjs', ['echo', n.lineup, n.a, n.b, rounds + warmup, mode]);
    const wait = waitOptions(mode);
    const message = new Uint8Array(64);
    const back = new Uint8Array(64);
    const histogram = latencyHistogram();
    lineUp(lineup);
    for (let i = 0; i < rounds + warmup; i++) {
      const started = process.hrtime.bigint();
      ping.tryWrite(message);
      if (mode.startsWith('async')) await pong.readInto(back, wait);
      else pong.readIntoSync(back, wait);
      if (i >= warmup) histogram.record(Number(process.hrtime.bigint() - started) || 1);
    }
    await peer.result();
    await peer.exit();
    return summarize(histogram);
  } finally {
    for (const channel of [ping, pong]) channel.close();
    for (const name of [n.a, n.b]) Channel.unlink(name);
    lineup.close();
    lineup.unlink();
  }
}

async function garbage(count) {
  const n = names('gc');
  Channel.unlink(n.a);
  const channel = Channel.create(n.a, { capacity: 1 << 20, kind: 'spsc', codec: 'raw' });
  const lineup = createLineup(n.lineup, 3, 0);
  try {
    const options = { execArgv: ['--expose-gc'] };
    const producer = startChild('channel-peer.mjs', ['garbage-producer', n.lineup, n.a, '-', count, '-'], options);
    const consumer = startChild('channel-peer.mjs', ['garbage-consumer', n.lineup, n.a, '-', count, '-'], options);
    lineUp(lineup);
    const [sent, received] = [await producer.result(), await consumer.result()];
    await Promise.all([producer.exit(), consumer.exit()]);
    return { producer: sent, consumer: received };
  } finally {
    channel.close();
    Channel.unlink(n.a);
    lineup.close();
    lineup.unlink();
  }
}

export default async function run({ quick }) {
  const rows = [];
  const objects = quick ? 200_000 : 1_000_000;
  const alone = codecAlone(objects);
  const through = await objectsThroughChannel(objects);
  rows.push({ group: 'objects through the default codec (msgpack)', name: 'shmkit Channel send + receive (2 processes)', kind: 'shmkit', opsPerSec: through.opsPerSec });
  rows.push({ group: 'objects through the default codec (msgpack)', name: `msgpack encode + decode alone (1 process, ${alone.bytesPerMessage.toFixed(0)} B)`, kind: 'peer', opsPerSec: alone.opsPerSec });

  const rounds = quick ? 5_000 : 50_000;
  console.error('  objects done; round trips...');
  for (const [mode, label] of [['spin', 'spinning'], ['default', 'default (spin, then futex)'], ['async', 'async (loop spin, then doorbell)']]) {
    rows.push({ group: 'round trip through two channels, 64 B (2 processes)', name: `shmkit Channel, ${label}`, kind: 'shmkit', ...(await roundTrip(mode, rounds, rounds / 10)) });
  }

  console.error('  round trips done; garbage...');
  const messages = quick ? 2_000_000 : 10_000_000;
  const gc = await garbage(messages);
  for (const side of ['producer', 'consumer']) {
    rows.push({
      group: `garbage on the raw path, ${messages.toLocaleString('en')} x 64 B`,
      name: `shmkit ${side}: ${gc[side].gcs} GCs, heap ${(gc[side].heapGrowth / 1024).toFixed(0)} KiB`,
      kind: 'info',
      opsPerSec: messages / (gc[side].elapsed / 1000),
      gcs: gc[side].gcs,
      heapGrowthBytes: gc[side].heapGrowth,
    });
  }
  return rows;
}
