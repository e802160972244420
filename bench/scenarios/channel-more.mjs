// Channel scenarios beyond throughput:
// - round-trip latency through two SPSC channels (spin, default, async), p50 / p99;
// - garbage: GC count and heap growth over many raw messages on each side (notes, one run).
import { benchName, createChannel, createLineup, lineUp, removeChannel, removeLineup, startChild, waitOptions } from '../lib/processes.mjs';
import { latencyCaps, LatencyTrials } from '../lib/latency-trials.mjs';
import { latencyRow } from '../lib/rows.mjs';

export const family = 'round trips';

const STOP = new Uint8Array(1); // tells the echo process to end

/**
 * A round-trip row made ready: its channels, lineup and echo process (started now, so that
 * the rows' processes start together; each waits at its lineup until its row runs).
 */
function prepareRoundTrip(mode) {
  const names = { lineup: benchName(`rt-${mode}-lineup`), ping: benchName(`rt-${mode}-ping`), pong: benchName(`rt-${mode}-pong`) };
  const ping = createChannel(names.ping, { capacity: 1 << 16, kind: 'spsc', codec: 'raw' });
  const pong = createChannel(names.pong, { capacity: 1 << 16, kind: 'spsc', codec: 'raw' });
  const lineup = createLineup(names.lineup, 2, 0);
  const peer = startChild('channel-peer.mjs', ['echo', names.lineup, names.ping, names.pong, '-', mode]);
  return {
    async measure(plan) {
      const trials = new LatencyTrials(plan);
      const wait = waitOptions(mode);
      const message = new Uint8Array(64);
      const back = new Uint8Array(64);
      lineUp(lineup);
      const isAsync = mode.startsWith('async');
      while (trials.running) {
        const started = process.hrtime.bigint();
        ping.tryWrite(message);
        if (isAsync) await pong.readInto(back, wait);
        else pong.readIntoSync(back, wait);
        trials.record(Number(process.hrtime.bigint() - started));
      }
      ping.writeSync(STOP, { timeout: 10_000 });
      await peer.result();
      await peer.exit();
      return trials.summary();
    },
    async dispose() {
      peer.kill();
      await peer.exit();
      removeChannel(ping, names.ping);
      removeChannel(pong, names.pong);
      removeLineup(lineup);
    },
  };
}

async function garbage(count) {
  const names = { lineup: benchName('gc-lineup'), channel: benchName('gc') };
  const channel = createChannel(names.channel, { capacity: 1 << 20, kind: 'spsc', codec: 'raw' });
  const lineup = createLineup(names.lineup, 3, 0);
  try {
    const options = { execArgv: ['--expose-gc'] };
    const producer = startChild('channel-peer.mjs', ['garbage-producer', names.lineup, names.channel, '-', count, '-'], options);
    const consumer = startChild('channel-peer.mjs', ['garbage-consumer', names.lineup, names.channel, '-', count, '-'], options);
    lineUp(lineup);
    const [sent, received] = [await producer.result(), await consumer.result()];
    await Promise.all([producer.exit(), consumer.exit()]);
    return { producer: sent, consumer: received };
  } finally {
    removeChannel(channel, names.channel);
    removeLineup(lineup);
  }
}

export default async function run({ quick, trials }) {
  const rows = [];
  const plan = { warmup: quick ? 500 : 5_000, rounds: quick ? 1_000 : 10_000, trials, ...latencyCaps(quick) };
  const group = 'round trip through two channels, 64 B (2 processes)';
  const modes = [['spin', 'spinning'], ['default', 'default (spin, then futex)'], ['async', 'async (loop spin, then doorbell)']];
  const prepared = modes.map(([mode]) => prepareRoundTrip(mode));
  try {
    for (const [i, [, label]] of modes.entries()) {
      const { samples, ...figures } = await prepared[i].measure(plan);
      rows.push(latencyRow(group, `shmkit Channel, ${label}`, 'shmkit', samples, figures));
    }
  } finally {
    await Promise.all(prepared.map((row) => row.dispose()));
  }

  console.error('  round trips done; garbage...');
  const messages = quick ? 300_000 : 10_000_000;
  const gc = await garbage(messages);
  for (const side of ['producer', 'consumer']) {
    const { gcs, heapGrowth, elapsed } = gc[side];
    rows.push({
      group: `garbage on the raw path: ${messages.toLocaleString('en')} x 64 B, one run (2 processes)`,
      name: `shmkit ${side}: ${gcs} GCs, heap ${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / 1024).toFixed(0)} KiB in ${(elapsed / 1000).toFixed(2)} s`,
      kind: 'info',
      family: 'garbage',
      gcs,
      heapGrowthBytes: heapGrowth,
      elapsedMs: elapsed,
    });
  }
  return rows;
}
