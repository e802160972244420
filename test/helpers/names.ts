/**
 * Unique section names per test, and a cleanup list so every test unlinks what it made.
 */
import { afterEach } from 'vitest';
import { Section } from '../../src/index.js';

let counter = 0;
const made: Array<{ name: string; file?: string }> = [];

/** A name no other test (or concurrent test file) uses: test-<tag>-<pid>-<n>. */
export function uniqueName(tag: string): string {
  const name = `test-${tag}-${process.pid}-${++counter}`;
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
      Section.unlink(entry.name, entry.file ? { file: entry.file } : undefined);
    } catch {
      // already gone or never made
    }
  }
});
