#!/usr/bin/env node
/**
 * The `shmkit` executable (package.json "bin"): runs one command line and exits with its
 * code. Output goes through process.stdout / stderr without process.exit(), so a pipe gets
 * everything written before the process ends.
 */
import { DEFAULT_WIDTH } from './format.js';
import { run } from './run.js';

// A reader that goes away (`shmkit ls | head -1`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());

process.exitCode = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  columns: process.stdout.isTTY === true ? Math.max(DEFAULT_WIDTH, process.stdout.columns ?? DEFAULT_WIDTH) : DEFAULT_WIDTH,
  signal: interrupted.signal,
});
