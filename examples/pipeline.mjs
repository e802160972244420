// A pipeline across processes: this process sends numbered jobs through an MPMC work queue to
// worker processes; each worker doubles what it gets and sends it back through an MPSC
// channel; this process sums the results. Batches (sendMany / receiveMany) keep the cost per
// message low.
//
//   node examples/pipeline.mjs [jobs=1000000] [workers=2] [name]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ChannelEndedError, Namespace } from 'shmkit';

const BATCH = 1024;

if (process.argv[2] === '--worker') {
  const ns = Namespace.open(process.argv[3], { reuse: true }); // the producer made it
  const jobs = ns.channel('jobs');
  const results = ns.channel('results');
  for (;;) {
    let batch;
    try {
      batch = await jobs.receiveMany(BATCH, { timeout: 30_000 });
    } catch (error) {
      if (error instanceof ChannelEndedError) break; // the producer called end() and the queue is drained
      throw error;
    }
    await results.sendMany(batch.map((n) => n * 2), { timeout: 30_000 });
  }
  ns.close(); // lets go of this process's handles; the channels stay for the others
} else {
  const jobCount = Number(process.argv[2] ?? 1_000_000);
  const workerCount = Number(process.argv[3] ?? 2);
  const name = process.argv[4] ?? `pipeline-${process.pid}`;
  const ns = Namespace.open(name); // creates it (16 MiB by default)
  try {
    const jobs = ns.channel('jobs', { kind: 'mpmc' }); // many workers, each job to one of them
    const results = ns.channel('results', { kind: 'mpsc' }); // many workers, one reader
    const started = performance.now();
    const workers = Array.from({ length: workerCount }, () => fork(fileURLToPath(import.meta.url), ['--worker', name]));
    const exits = workers.map((worker) => once(worker, 'exit')); // listen now: a worker may be done before we look

    const sending = (async () => {
      for (let first = 0; first < jobCount; first += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, jobCount - first) }, (_, i) => first + i);
        await jobs.sendMany(batch, { timeout: 30_000 });
      }
      jobs.end(); // workers drain the queue, then their receiveMany throws ChannelEndedError
    })();

    let received = 0;
    let sum = 0;
    while (received < jobCount) {
      const batch = await results.receiveMany(Infinity, { timeout: 30_000 });
      for (const value of batch) sum += value;
      received += batch.length;
    }
    await sending;
    for (const exit of exits) {
      const [code] = await exit;
      if (code !== 0) throw new Error(`a worker exited with code ${code}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const expected = jobCount * (jobCount - 1); // 2 * (0 + 1 + ... + jobCount-1)
    console.log(`${jobCount} jobs through ${workerCount} workers in ${seconds.toFixed(2)} s: ${(jobCount / seconds / 1e6).toFixed(2)} M jobs/s`);
    console.log(sum === expected ? 'ok: every job came back exactly once' : `WRONG: sum ${sum}, expected ${expected}`);
    if (sum !== expected) process.exitCode = 1;
  } finally {
    ns.destroy(); // closes this handle and removes the namespace: everyone is done
  }
}
