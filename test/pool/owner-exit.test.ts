// An owner that exits without closing its pool (process.exit(), an uncaught exception, an
// unhandled rejection): the process exits (it hung in 2 of 3 runs when threads were parked)
// with its own exit code (not SIGABRT from a thread terminated mid-start), and the pool's
// section is gone (it leaked on every crash).
import { describe, expect, it } from 'vitest';
import { Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe.each(['thread', 'process'] as const)('an owner that exits without closing its pool (%s mode)', (mode) => {
  it.each(['exit', 'throw', 'reject'])('%s: exits with code 1 and leaves no section', async (how) => {
    for (let trial = 0; trial < 2; trial++) {
      const name = uniqueName(`pool-exit-${how}`);
      const child = startChild('pool-owner-exits.mjs', [name, mode, how]);
      try {
        expect(await child.message(30_000)).toEqual({ ready: true });
        expect(await child.exit(15_000)).toEqual({ code: 1, signal: null });
        expect(Section.list().filter((info) => info.name === name)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
        if (Section.list().some((info) => info.name === name)) Section.unlink(name, { force: true });
      }
    }
  });
});
