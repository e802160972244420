/**
 * Issue 9, item 16: the suite names everything with a prefix unique to the run and cleans up
 * only that prefix, so a test run never removes another program's sections (nor those of a
 * second test run on the same machine).
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Section } from '../../src/index.js';
import setup, { RUN_PREFIX_ENV } from '../helpers/global-setup.js';
import { uniqueName } from '../helpers/names.js';
import { startChild } from '../helpers/child.js';

const SHM = '/dev/shm';

describe('run-unique test names', () => {
  const saved = process.env[RUN_PREFIX_ENV];
  afterEach(() => {
    process.env[RUN_PREFIX_ENV] = saved;
  });

  it('global setup hands every test worker a run prefix, and uniqueName uses it', () => {
    const prefix = process.env[RUN_PREFIX_ENV];
    expect(prefix, `${RUN_PREFIX_ENV} is set by test/helpers/global-setup.ts`).toMatch(/^test-[0-9a-z]{6,}-$/);
    expect(uniqueName('prefix')).toMatch(new RegExp(`^${prefix}prefix-${process.pid}-\\d+$`));
  });

  it('forked children inherit the run prefix', async () => {
    const child = startChild('report-env.mjs', [RUN_PREFIX_ENV]);
    expect(await child.message(10_000)).toEqual({ value: process.env[RUN_PREFIX_ENV] });
    expect((await child.exit(10_000)).code).toBe(0);
  });

  it("teardown removes and reports only its own run's objects, never another program's", () => {
    // A nested "run": its own prefix, so this test never touches the real run's objects.
    const teardown = setup();
    const nested = process.env[RUN_PREFIX_ENV]!;
    expect(nested).not.toBe(saved);
    const ours = `${nested}leak-${process.pid}`;
    const foreign = `other-program-${process.pid}-${Date.now()}`;
    Section.create(ours, { size: 64 }).close();
    Section.create(foreign, { size: 64 }).close();
    try {
      expect(() => teardown()).toThrow(new RegExp(`left 1 object\\(s\\) in /dev/shm: shmkit\\.${ours}$`));
      expect(fs.existsSync(`${SHM}/shmkit.${ours}`)).toBe(false);
      expect(fs.existsSync(`${SHM}/shmkit.${foreign}`)).toBe(true);
    } finally {
      Section.unlink(ours);
      Section.unlink(foreign);
    }
  });
});
