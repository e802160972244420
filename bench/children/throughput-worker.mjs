// Worker-thread producer for the postMessage and MessageChannel peers: posts copies of a
// `size`-byte message for `seconds`, with a window of 256 unacknowledged messages so the
// queue stays bounded, then posts 'end'.
import { parentPort, workerData } from 'node:worker_threads';

const { size, seconds, port } = workerData;
const out = port ?? parentPort;
const payload = new Uint8Array(size).fill(7);
let acked = 0;
let resume;
out.on('message', (message) => {
  acked = message;
  if (resume) {
    const r = resume;
    resume = undefined;
    r();
  }
});
out.postMessage('ready');
await new Promise((resolve) => out.once('message', resolve)); // 'go'
const end = performance.now() + seconds * 1000;
let sent = 0;
while (performance.now() < end) {
  out.postMessage(payload);
  sent++;
  if (sent - acked >= 256) await new Promise((resolve) => (resume = resolve));
}
out.postMessage('end');
out.close?.();
