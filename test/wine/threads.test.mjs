// Worker threads of one Wine process park and wake each other through the same named events
// as processes do (each thread has its own events and its own view of the parking table).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Section } from '../../dist/index.js';
import { closeAfter, onCleanup, test, uniqueName } from './harness.mjs';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'thread-waiter.mjs');

test('4 worker threads (2 sync, 2 async) x 3000 Mutex lock/unlock keep a plain counter exact', async () => {
  const name = uniqueName('threads');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  const workers = [false, false, true, true].map((async) => new Worker(FIXTURE, { workerData: { name, iterations: 3000, async } }));
  for (const worker of workers) onCleanup(() => worker.terminate());
  const results = await Promise.all(workers.map((worker) => once(worker, 'message').then(([message]) => message)));
  assert.deepEqual(results.map((r) => r.done), [3000, 3000, 3000, 3000]);
  assert.equal(new Int32Array(section.buffer, 64, 1)[0], 12_000);
}, 120_000);
