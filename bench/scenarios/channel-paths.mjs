// The paths users write, between two processes, each next to process.send (json) moving the
// same payloads, in turns, in this run:
// - objects (the 165-byte sample) with `await send` / `for await`, with trySend / tryReceive
//   (falling back to sendSync / receiveSync when the ring is full or empty), and with the
//   batch calls sendMany / receiveMany;
// - 64-byte raw messages with `await channel.write(bytes)` / `await channel.read()`, and with
//   writeMany / readMany.
// The batch calls are being added to Channel; until a build has them (typeof channel.sendMany
// !== 'function', or writeMany) their rows are skipped with a note.
import { benchName, createChannel, removeChannel } from '../lib/processes.mjs';
import { skippedRow } from '../lib/rows.mjs';
import { BATCH } from '../lib/stream-protocol.mjs';
import { streamRows } from '../lib/stream-rows.mjs';

export const family = 'user paths';

/** Which batch calls this build's Channel has. */
function batchCalls() {
  const name = benchName('probe');
  const channel = createChannel(name, { capacity: 1 << 16, kind: 'spsc' });
  try {
    return { sendMany: typeof channel.sendMany === 'function', writeMany: typeof channel.writeMany === 'function' };
  } finally {
    removeChannel(channel, name);
  }
}

export default async function run({ quick, trials }) {
  const timing = quick ? { warmupMs: 50, trialMs: 100 } : { warmupMs: 200, trialMs: 500 };
  const has = batchCalls();
  const objects = 'objects, 165 B sample (2 processes)';
  const raw = '64 B raw messages, async (2 processes)';
  const skipped = [];
  const objectRows = [
    { transport: 'object-async', name: 'shmkit await send / for await', kind: 'shmkit' },
    { transport: 'object-try', name: 'shmkit trySend / tryReceive (sync fallback)', kind: 'shmkit' },
    { transport: 'object-many', name: `shmkit sendMany / receiveMany (${BATCH} a call)`, kind: 'shmkit' },
    { transport: 'ipc-json', name: 'process.send (json), the same objects', kind: 'peer' },
  ];
  const rawRows = [
    { transport: 'raw-async', name: 'shmkit await write / await read', kind: 'shmkit' },
    { transport: 'raw-many', name: `shmkit writeMany / readMany (${BATCH} a call)`, kind: 'shmkit' },
    { transport: 'ipc-json', name: 'process.send (json), a 64-character string', kind: 'peer' },
  ];
  const drop = (rows, transport, group, call) => {
    const row = rows.find((r) => r.transport === transport);
    skipped.push(skippedRow(group, row.name, `channel.${call} is not in this build (typeof channel.${call} !== 'function')`));
    return rows.filter((r) => r !== row);
  };
  const jobs = [
    { group: objects, size: 165, payload: 'object', rows: has.sendMany ? objectRows : drop(objectRows, 'object-many', objects, 'sendMany') },
    { group: raw, size: 64, payload: 'bytes', rows: has.writeMany ? rawRows : drop(rawRows, 'raw-many', raw, 'writeMany') },
  ];
  const rows = await streamRows(jobs, { trials, ...timing });
  // Each skipped row goes at the end of its group.
  for (const row of skipped) rows.splice(rows.findLastIndex((r) => r.group === row.group) + 1, 0, row);
  return rows;
}
