// Throughput between two processes by message size: shmkit's SPSC channel (raw bytes) next to
// process.send (json, advanced), worker postMessage, MessageChannel and a Unix domain socket,
// each moving the same messages for the same time, in turns, in this run. This process receives.
import { sizeLabel, streamRows } from '../lib/stream-rows.mjs';

const SIZES = [16, 64, 1024, 4096, 65536, 1 << 20];

/** The transports of the throughput rows (under-load uses them too). */
export const THROUGHPUT_ROWS = [
  { transport: 'spsc-raw', name: 'shmkit Channel (SPSC, raw bytes)', kind: 'shmkit' },
  { transport: 'spsc-batch', name: 'shmkit SPSC batched (writeMany / poll)', kind: 'shmkit' },
  { transport: 'ipc-json', name: 'process.send (json)', kind: 'peer' },
  { transport: 'ipc-advanced', name: 'process.send (advanced)', kind: 'peer' },
  { transport: 'worker', name: 'worker postMessage (thread)', kind: 'peer' },
  { transport: 'message-channel', name: 'MessageChannel (thread)', kind: 'peer' },
  { transport: 'socket', name: 'Unix domain socket', kind: 'peer' },
];

export const family = 'throughput';

export default async function run({ quick, trials }) {
  const timing = quick ? { warmupMs: 40, trialMs: 80 } : { warmupMs: 200, trialMs: 500 };
  const jobs = SIZES.map((size) => ({
    group: `throughput, ${sizeLabel(size)} messages (2 processes)`,
    size,
    payload: 'bytes',
    rows: THROUGHPUT_ROWS,
  }));
  return streamRows(jobs, { trials, ...timing });
}
