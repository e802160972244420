/**
 * The suite must leave /dev/shm as it found it, and must never touch anybody else's objects:
 * setup picks a prefix unique to this run and puts it in SHMKIT_TEST_RUN_PREFIX, which test
 * workers and the children they fork inherit; test/helpers/names.ts builds every name from
 * it. Teardown removes the objects with that prefix that are still there and fails the run
 * naming them. Objects without the prefix (other programs', another test run's) are left
 * alone, even ones created while the suite ran.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

const SHM = '/dev/shm';

/** The environment variable that carries the run prefix to workers and fixtures. */
export const RUN_PREFIX_ENV = 'SHMKIT_TEST_RUN_PREFIX';

/** `test-<10 base-36 chars>-`: still matched by filters that look for `shmkit.test-`. */
export function newRunPrefix(): string {
  return `test-${crypto.randomBytes(8).readBigUInt64LE().toString(36).slice(0, 10).padStart(10, '0')}-`;
}

/** Removes the /dev/shm objects whose section name starts with `prefix`; returns their OS names. */
export function removeRunObjects(prefix: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(SHM);
  } catch {
    return [];
  }
  const ours = entries.filter((entry) => entry.startsWith(`shmkit.${prefix}`)).sort();
  for (const entry of ours) fs.rmSync(`${SHM}/${entry}`, { force: true });
  return ours;
}

export default function setup(): () => void {
  const prefix = newRunPrefix();
  process.env[RUN_PREFIX_ENV] = prefix;
  return () => {
    const leaked = removeRunObjects(prefix);
    if (leaked.length > 0) {
      throw new Error(`the test suite left ${leaked.length} object(s) in /dev/shm: ${leaked.join(', ')}`);
    }
  };
}
