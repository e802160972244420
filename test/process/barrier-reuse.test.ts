/**
 * A harness reuses its namespace run after run: parties that exited normally must have left
 * the barrier, or the next run sees a "dead party" and breaks (issue 9, item 11).
 */
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('a barrier reused across runs', () => {
  it('five runs of two party processes that exit without closing: no run breaks', async () => {
    const name = uniqueName('harness');
    const ns = Namespace.open(name, { size: 1 << 20 });
    try {
      ns.barrier('start', 2);
      for (let run = 0; run < 5; run++) {
        // The first party waits alone for a while: long enough for its park slices to look
        // for dead parties, which is where the last run's leftovers would break it.
        const first = startChild('ns-barrier-party.mjs', [name]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const second = startChild('ns-barrier-party.mjs', [name]);
        for (const child of [first, second]) expect(await child.message(30_000), `run ${run}`).toBe('passed');
        for (const child of [first, second]) expect((await child.exit(20_000)).code).toBe(0);
      }
      expect(ns.barrier('start', 2).broken).toBe(false);
    } finally {
      ns.destroy();
    }
  });

  it('Namespace.close() takes its barrier parties out of the table; a reopened namespace lines up again', async () => {
    const name = uniqueName('harness-close');
    let ns = Namespace.open(name, { size: 1 << 20 });
    try {
      const child = startChild('ns-barrier-party.mjs', [name]);
      await ns.barrier('start', 2).waitAsync({ timeout: 20_000 });
      expect(await child.message(20_000)).toBe('passed');
      await child.exit(20_000);
      ns.close();
      ns = Namespace.open(name, { reuse: true });
      const again = startChild('ns-barrier-party.mjs', [name]);
      await expect(ns.barrier('start', 2).waitAsync({ timeout: 20_000 })).resolves.toBeGreaterThanOrEqual(0);
      await again.exit(20_000);
    } finally {
      ns.destroy();
    }
  });
});
