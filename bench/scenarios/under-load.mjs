// Throughput with every core busy: one CPU hog process per core spins for the whole scenario
// (started once the producers are up, killed at the end whatever happens), and the 64 B and
// 1 MiB throughput rows run under them: shmkit's SPSC channel and every peer, under the same
// hogs, in turns, in this run. This is where a wait strategy that spins is put to the test: a
// process spinning while the peer it waits for has no core only delays that peer.
import os from 'node:os';
import { startHogs } from '../lib/hogs.mjs';
import { sizeLabel, streamRows } from '../lib/stream-rows.mjs';
import { THROUGHPUT_ROWS } from './channel-throughput.mjs';

const SIZES = [64, 1 << 20];
const ROWS = THROUGHPUT_ROWS.filter((row) => row.transport !== 'ipc-advanced');

export const family = 'throughput under load';

export default async function run({ quick, trials }) {
  const timing = quick ? { warmupMs: 50, trialMs: 100 } : { warmupMs: 300, trialMs: 700 };
  const cores = os.availableParallelism();
  const jobs = SIZES.map((size) => ({
    group: `under load: ${sizeLabel(size)} messages, ${cores} CPU hogs (2 processes)`,
    size,
    payload: 'bytes',
    rows: ROWS,
  }));
  let hogs = null;
  try {
    return await streamRows(jobs, { trials, ...timing, onSessions: async () => (hogs = await startHogs(cores)) });
  } finally {
    await hogs?.stop();
  }
}
