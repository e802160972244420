/**
 * Unique section names per test, and a cleanup list so every test unlinks what it made.
 * Every name starts with the run prefix that global setup puts in SHMKIT_TEST_RUN_PREFIX, so
 * the run's teardown can find what a test leaked without touching anybody else's sections.
 */
import { afterEach } from 'vitest';
import { Section } from '../../src/index.js';
import { newRunPrefix, RUN_PREFIX_ENV } from './global-setup.js';

let counter = 0;
// Without global setup (a file run on its own by another runner) this process makes its own.
process.env[RUN_PREFIX_ENV] ??= newRunPrefix();

/** The prefix of every name this run makes (read at call time: a test may nest a run). */
export function runPrefix(): string {
  return process.env[RUN_PREFIX_ENV]!;
}
const made: Array<{ name: string; file?: string }> = [];

/** A name no other test, test file or test run uses: <run prefix><tag>-<pid>-<n>. */
export function uniqueName(tag: string): string {
  const name = `${runPrefix()}${tag}-${process.pid}-${++counter}`;
  made.push({ name });
  return name;
}

/** Registers a file-backed section for removal after the test. */
export function removeAfter(name: string, file: string): void {
  made.push({ name, file });
}

afterEach(() => {
  for (const entry of made.splice(0)) {
    try {
      // force: a child a test failed to stop may still be attached; the name goes anyway.
      Section.unlink(entry.name, entry.file ? { file: entry.file, force: true } : { force: true });
    } catch {
      // already gone or never made
    }
  }
});
