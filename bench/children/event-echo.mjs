// The far side of the Event round trip: wait for ping, set pong, until the parent sets the
// stop word (then it sets ping once more, without waiting for a pong).
import { Event, Section } from '../../dist/index.js';
import { lineUp, LINEUP_BYTES, waitOptions } from '../lib/processes.mjs';

const [name, mode] = process.argv.slice(2);
const section = Section.open(name);
const ping = new Event(section.buffer, LINEUP_BYTES, section.waiter);
const pong = new Event(section.buffer, LINEUP_BYTES + 64, section.waiter);
const stop = new Int32Array(section.buffer, LINEUP_BYTES + 192, 1);
const wait = waitOptions(mode);
lineUp(section, 600_000); // started with the other rows' echoes; waits for its turn
if (mode.startsWith('async')) {
  for (;;) {
    await ping.waitAsync(wait);
    if (Atomics.load(stop, 0) !== 0) break;
    pong.set();
  }
} else {
  for (;;) {
    ping.wait(wait);
    if (Atomics.load(stop, 0) !== 0) break;
    pong.set();
  }
}
section.close();
process.send('done', () => process.disconnect());
