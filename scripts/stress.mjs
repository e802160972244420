#!/usr/bin/env node
// npm run stress [-- --repeat N] [-- vitest filters...]
//
// Runs the cross-process, fault and fuzz tests the way users run shmkit: with a CPU hog on
// every core, and with pauses injected between the steps of every racy protocol
// (SHMKIT_TEST_PAUSES, src/sync/pause-points.ts), in the test processes and every child they
// fork. A race that needs a process descheduled mid-commit happens here in every run.
//
// --repeat N   run the suite N times (stops at the first failure) and print a tally
// --hogs N     hogs to start (default: one per core)
// --pauses P:M pause probability and max ms (default 0.0005:5)
// Anything else is passed to vitest (files or -t filters); the default set is below.
import { spawn } from 'node:child_process';
import os from 'node:os';

const DEFAULT_FILES = ['test/process', 'test/fault', 'test/pool', 'test/sync/conformance.test.ts', 'test/channel/cross-process.test.ts', 'test/channel/interleavings.test.ts', 'test/channel/senders-gone.test.ts', 'test/channel/batch.test.ts'];
/** Hogs stop by themselves after this long, whatever happens to this script. */
const HOG_LIFETIME_MS = 60 * 60 * 1000;

const args = process.argv.slice(2);
let repeat = 1;
let hogCount = os.availableParallelism?.() ?? os.cpus().length;
let pauses = '0.0005:5';
const vitestArgs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i]);
  else if (args[i] === '--hogs') hogCount = Number(args[++i]);
  else if (args[i] === '--pauses') pauses = args[++i];
  else vitestArgs.push(args[i]);
}
if (!(Number.isInteger(repeat) && repeat >= 1)) throw new Error('--repeat must be a positive integer');
if (!(Number.isInteger(hogCount) && hogCount >= 0)) throw new Error('--hogs must be a non-negative integer');
if (!vitestArgs.some((arg) => !arg.startsWith('-'))) vitestArgs.unshift(...DEFAULT_FILES);

// A hog: a busy loop in its own process that exits when its lifetime ends or its parent goes.
const HOG = `
const end = Date.now() + ${HOG_LIFETIME_MS};
const parent = process.ppid;
let x = 0;
for (;;) {
  for (let i = 0; i < 1e7; i++) x = (x * 31 + i) | 0;
  if (Date.now() > end || process.ppid !== parent) process.exit(0);
}`;
const hogs = Array.from({ length: hogCount }, () => spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' }));
const stopHogs = () => {
  for (const hog of hogs) hog.kill('SIGKILL');
};
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopHogs();
    process.exit(130);
  });
}

console.log(`== stress: ${hogCount} CPU hog(s), SHMKIT_TEST_PAUSES=${pauses}, ${repeat} run(s) of vitest ${vitestArgs.join(' ')}`);
const env = { ...process.env, SHMKIT_TEST_PAUSES: pauses, SHMKIT_STRESS: '1' };
let passed = 0;
let failed = 0;
for (let run = 1; run <= repeat; run++) {
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...vitestArgs], { stdio: 'inherit', env });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  if (code === 0) passed++;
  else failed++;
  console.log(`== stress run ${run}/${repeat}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) break;
}
stopHogs();
console.log(`stress: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
