// The far side of the worker postMessage round trip: echo every message.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (message) => {
  if (message === 'stop') parentPort.close();
  else parentPort.postMessage(message);
});
