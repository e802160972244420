// Contended Mutex: lock, note a hand-off if the previous holder was another process, unlock;
// for `seconds`. Hand-off latency = from the previous holder's unlock to this lock.
import { Mutex, Section } from '../../dist/index.js';
import { latencyHistogram, summarize } from '../lib/stats.mjs';
import { lineUp, LINEUP_BYTES } from '../lib/processes.mjs';

const [name, idText, secondsText] = process.argv.slice(2);
const id = Number(idText);
const section = Section.open(name);
const mutex = new Mutex(section.buffer, LINEUP_BYTES, section.waiter);
const shared = new BigInt64Array(section.buffer, LINEUP_BYTES + 64, 2); // [last holder, unlock time ns]
const histogram = latencyHistogram();
let locks = 0;
lineUp(section);
const end = process.hrtime.bigint() + BigInt(Number(secondsText) * 1e9);
for (;;) {
  mutex.lock({ timeout: 30_000 });
  const now = process.hrtime.bigint();
  if (shared[0] !== BigInt(id) && shared[1] !== 0n) histogram.record(Number(now - shared[1]) || 1);
  shared[0] = BigInt(id);
  locks++;
  const done = now >= end;
  shared[1] = process.hrtime.bigint();
  mutex.unlock();
  if (done) break;
}
section.close();
process.send({ locks, handoff: summarize(histogram) }, () => process.disconnect());
