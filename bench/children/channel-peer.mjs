// Far side of the channel scenarios:
// - echo MODE: receive on `in`, send back on `out` (round-trip latency), until a 1-byte
//   message says stop;
// - garbage: receive `count` raw 64-byte messages with readInto, counting GCs and heap growth.
import { PerformanceObserver } from 'node:perf_hooks';
import { Channel, Section } from '../../dist/index.js';
import { lineUp, waitOptions } from '../lib/processes.mjs';

const [role, lineupName, a, b, countText, mode] = process.argv.slice(2);
const count = Number(countText);
const lineup = Section.open(lineupName);
const WAIT = { timeout: 60_000 };

async function main() {
  if (role === 'echo') {
    const input = Channel.open(a, { codec: 'raw' });
    const output = Channel.open(b, { codec: 'raw' });
    const wait = waitOptions(mode);
    const buffer = new Uint8Array(64);
    lineUp(lineup, 600_000); // started with the other rows' echoes; waits for its turn
    for (;;) {
      const length = mode.startsWith('async') ? await input.readInto(buffer, wait) : input.readIntoSync(buffer, wait);
      if (length === 1) break; // stop
      if (!output.tryWrite(buffer)) output.writeSync(buffer, WAIT);
    }
    input.close();
    output.close();
    return {};
  }
  if (role === 'garbage-producer' || role === 'garbage-consumer') {
    const channel = Channel.open(a, { codec: 'raw' });
    const buffer = new Uint8Array(64).fill(1);
    let gcs = 0;
    const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    observer.observe({ entryTypes: ['gc'] });
    // Warm up the JIT before measuring, so compilation garbage is not counted.
    lineUp(lineup);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    if (role === 'garbage-producer') {
      for (let i = 0; i < count; i++) if (!channel.tryWrite(buffer)) channel.writeSync(buffer, WAIT);
    } else {
      for (let i = 0; i < count; i++) channel.readIntoSync(buffer, WAIT);
    }
    const elapsed = performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve)); // let the observer deliver
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    observer.disconnect();
    channel.close();
    return { gcs, heapGrowth, elapsed };
  }
  throw new Error(`unknown role ${role}`);
}

main().then(
  (result) => {
    lineup.close();
    process.send(result, () => process.disconnect());
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
