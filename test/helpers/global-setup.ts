/**
 * The suite must leave /dev/shm as it found it: record the shmkit objects present before the
 * run and fail the run if any new one is left at the end.
 */
import fs from 'node:fs';

const SHM = '/dev/shm';

function shmkitObjects(): Set<string> {
  try {
    return new Set(fs.readdirSync(SHM).filter((entry) => entry.startsWith('shmkit.')));
  } catch {
    return new Set();
  }
}

export default function setup(): () => void {
  const before = shmkitObjects();
  return () => {
    const leaked = [...shmkitObjects()].filter((entry) => !before.has(entry));
    for (const entry of leaked) fs.rmSync(`${SHM}/${entry}`, { force: true });
    if (leaked.length > 0) {
      throw new Error(`the test suite left ${leaked.length} object(s) in /dev/shm: ${leaked.join(', ')}`);
    }
  };
}
