// CPU hogs: one child process per core, each spinning, for the under-load scenario. They are
// killed by stop(), and at exit whatever ended the run (cleanup.mjs); each also ends itself
// when this process goes away (children/cpu-hog.mjs).
import os from 'node:os';
import { startChild } from './processes.mjs';

/** Starts `count` hogs (default: one per core) and resolves once every one is spinning. */
export async function startHogs(count = os.availableParallelism(), maxSeconds = 900) {
  const hogs = [];
  const stop = async () => {
    for (const hog of hogs) hog.kill();
    await Promise.all(hogs.map((hog) => hog.exit(5_000)));
  };
  try {
    for (let i = 0; i < count; i++) hogs.push(startChild('cpu-hog.mjs', [maxSeconds]));
    await Promise.all(hogs.map((hog) => hog.result(30_000))); // 'spinning'
  } catch (error) {
    await stop();
    throw error;
  }
  return { count, pids: hogs.map((hog) => hog.child.pid), stop };
}
