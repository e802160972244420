// Contended Mutex: lock, note a hand-off if the previous holder was another process, unlock;
// for `seconds`, in `rounds` rounds each started on the lineup barrier (the first is the
// warm-up). Hand-off latency = from the previous holder's unlock to this lock.
import { Mutex, Section } from '../../dist/index.js';
import { latencyHistogram, summarize } from '../lib/stats.mjs';
import { joinLineup, LINEUP_BYTES } from '../lib/processes.mjs';

const [name, idText, roundsText, ...secondsList] = process.argv.slice(2);
const id = BigInt(idText);
const section = Section.open(name);
const lineup = joinLineup(section);
const mutex = new Mutex(section.buffer, LINEUP_BYTES, section.waiter);
const shared = new BigInt64Array(section.buffer, LINEUP_BYTES + 64, 2); // [last holder, unlock time ns]
const results = [];
for (let round = 0; round < Number(roundsText); round++) {
  const histogram = latencyHistogram();
  let locks = 0;
  lineup.wait();
  const seconds = Number(secondsList[round]);
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    mutex.lock({ timeout: 30_000 });
    const now = process.hrtime.bigint();
    if (shared[0] !== id && shared[1] !== 0n) histogram.record(Number(now - shared[1]) || 1);
    shared[0] = id;
    locks++;
    const done = now >= end;
    shared[1] = process.hrtime.bigint();
    mutex.unlock();
    if (done) break;
  }
  results.push({ locks, seconds: Number(process.hrtime.bigint() - started) / 1e9, handoff: summarize(histogram) });
}
lineup.close();
section.close();
process.send(results, () => process.disconnect());
