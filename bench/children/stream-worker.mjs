// The sending side of the worker postMessage and MessageChannel rows, in a worker thread:
// on each command { size, ms } it posts copies of a `size`-byte message for `ms`, with at
// most 256 not yet acknowledged (the parent acknowledges every 64), then END, then
// { bench: 'sent', sent }. 'stop' ends it.
import { parentPort, workerData } from 'node:worker_threads';
import { END, payloadBytes } from '../lib/stream-protocol.mjs';

const out = workerData.port ?? parentPort;
let acked = 0;
let resume;
let commands = [];
let nextCommand;

out.on('message', (message) => {
  if (typeof message === 'number') {
    acked = message;
    if (resume) {
      const go = resume;
      resume = undefined;
      go();
    }
  } else if (nextCommand) {
    const take = nextCommand;
    nextCommand = undefined;
    take(message);
  } else commands.push(message);
});

const command = () => (commands.length > 0 ? Promise.resolve(commands.shift()) : new Promise((resolve) => (nextCommand = resolve)));

out.postMessage({ bench: 'ready' });
for (;;) {
  const round = await command();
  if (round === 'stop') break;
  const payload = payloadBytes(round.size);
  acked = 0;
  let sent = 0;
  const end = performance.now() + round.ms;
  while (performance.now() < end) {
    out.postMessage(payload);
    sent++;
    if (sent - acked >= 256) await new Promise((resolve) => (resume = resolve));
  }
  out.postMessage(END);
  out.postMessage({ bench: 'sent', sent });
}
out.close?.();
