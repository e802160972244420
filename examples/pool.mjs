// A worker pool: tasks and results go through shared memory, not postMessage.
//
//   node examples/pool.mjs [mode=thread|process] [name]
import { Pool, TaskTimeoutError } from 'shmkit';

const mode = process.argv[2] ?? 'thread';
const name = process.argv[3]; // optional: the pool's namespace name (Pool.connect(name) finds it)

// In TypeScript (or Node 24+): `await using pool = new Pool(...)` closes it at the end of the block.
const pool = new Pool({
  filename: new URL('./pool-worker.mjs', import.meta.url),
  mode,
  maxWorkers: 2,
  ...(name ? { name } : {}),
});

try {
  console.log('1 + 2 =', await pool.run({ a: 1, b: 2 }));

  // Many tasks at once: results are matched to their promises by task id.
  const sums = await Promise.all(Array.from({ length: 10_000 }, (_, i) => pool.run({ a: i, b: i })));
  console.log('10,000 sums, the last:', sums.at(-1));

  // A named export, results in input order with at most 8 in flight.
  const squares = [];
  for await (const square of pool.map([1, 2, 3, 4, 5], { name: 'slowSquare', concurrency: 8 })) squares.push(square);
  console.log('squares:', squares.join(' '), '(counted in the namespace:', pool.namespace.get('squares'), ')');

  // A timeout: the handler sees ctx.signal abort; the promise rejects with TaskTimeoutError.
try {
    await pool.run(6, { name: 'slowSquare', timeout: 10 });
  } catch (error) {
    console.log('timed out:', error instanceof TaskTimeoutError);
  }

  const { completed, failed, crashed, workers, runTime } = pool.stats();
  console.log(`stats: ${completed} completed, ${failed} failed, ${crashed} crashed, ${workers} workers, run time p50 ${runTime.p50} ms`);
  console.log(`ok: pool example (${mode})`);
} finally {
  await pool.close(); // finishes queued tasks, stops the workers, removes the namespace
}
