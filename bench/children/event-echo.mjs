// The far side of the Event round trip: wait for ping, set pong, `rounds` times.
import { Event, Section } from '../../dist/index.js';
import { lineUp, LINEUP_BYTES, waitOptions } from '../lib/processes.mjs';

const [name, mode, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const section = Section.open(name);
const ping = new Event(section.buffer, LINEUP_BYTES, section.waiter);
const pong = new Event(section.buffer, LINEUP_BYTES + 64, section.waiter);
const wait = waitOptions(mode);
lineUp(section);
if (mode.startsWith('async')) {
  for (let i = 0; i < rounds; i++) {
    await ping.waitAsync(wait);
    pong.set();
  }
} else {
  for (let i = 0; i < rounds; i++) {
    ping.wait(wait);
    pong.set();
  }
}
section.close();
process.send('done', () => process.disconnect());
