import { describe, expect, it } from 'vitest';
import { Channel, ShmkitError, SharedArrayBufferWaiter } from '../../src/index.js';
import {
  RING_FREE_HEAD_OFFSET,
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_TAIL_OFFSET,
} from '../../src/layout/ring.js';
import { seededRandom } from '../helpers/random.js';

const random = seededRandom;

const KINDS = ['spsc', 'mpsc', 'mpmc'] as const;
const CAPACITY = 1024;

describe('fuzz: random bytes over ring positions and record headers', () => {
  // 4,000 trials: each may wait 2 ms timeouts several times, and on a loaded 2-core machine
  // 10,000 of them ran past two minutes.
  it('4,000 seeded trials: every operation returns or throws a typed error within 1 s', async () => {
    const next = random(Number(process.env.SHMKIT_FUZZ_SEED ?? 20261121));
    const outcomes = new Map<string, number>();
    let slowest = 0;
    for (let trial = 0; trial < 4_000; trial++) {
      const kind = KINDS[trial % 3]!;
      const sab = new SharedArrayBuffer(Channel.byteLength(CAPACITY) + 64);
      Channel.initialize(sab, 0, { capacity: CAPACITY, kind });
      const waiter = new SharedArrayBufferWaiter(sab);
      const codec = trial % 2 === 0 ? 'raw' : undefined;
      const tx = new Channel(sab, 0, waiter, { codec });
      const rx = new Channel(sab, 0, waiter, { codec });
      // Some honest traffic first, so there are real records to damage.
      const messages = next() % 40;
      for (let i = 0; i < messages; i++) {
        const payload = new Uint8Array(next() % 100);
        payload.fill(i);
        if (!tx.trySend(codec ? payload : { i, payload })) break;
        if (next() % 3 === 0) rx.tryReceive();
      }
      // Damage: 1 to 4 random 32-bit words over head, tail, free head or record headers.
      const words = new Int32Array(sab);
      for (let hits = 1 + (next() % 4); hits > 0; hits--) {
        const target = next() % 4;
        const value = next() % 5 === 0 ? (next() % 2048) - 1024 : next() | 0;
        if (target === 0) words[RING_TAIL_OFFSET >> 2] = value;
        else if (target === 1) words[RING_HEAD_OFFSET >> 2] = value;
        else if (target === 2) words[RING_FREE_HEAD_OFFSET >> 2] = value;
        else words[(RING_HEADER_LENGTH >> 2) + ((next() % (CAPACITY >> 3)) << 1) + (next() % 2)] = value;
      }
      for (let op = 0; op < 6; op++) {
        const started = performance.now();
        let outcome = 'ok';
        try {
          switch (next() % 5) {
            case 0: rx.tryReceive(); break;
            case 1: tx.trySend(codec ? new Uint8Array(next() % 300) : { op }); break;
            case 2: await rx.receive({ timeout: 2 }); break;
            case 3: await tx.send(codec ? new Uint8Array(next() % 300) : { op }, { timeout: 2 }); break;
            default: rx.tryReadInto(new Uint8Array(CAPACITY)); break;
          }
        } catch (error) {
          if (!(error instanceof ShmkitError)) {
            throw new Error(`trial ${trial} (${kind}) op ${op}: untyped ${(error as Error).name}: ${(error as Error).message}\n${(error as Error).stack}`);
          }
          outcome = error.code;
        }
        const elapsed = performance.now() - started;
        slowest = Math.max(slowest, elapsed);
        expect(elapsed, `trial ${trial} op ${op}`).toBeLessThan(1000);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      // The guard words past the ring were never written.
      expect(new Int32Array(sab, Channel.byteLength(CAPACITY), 16).every((word) => word === 0)).toBe(true);
    }
    expect(outcomes.get('ERR_SHMKIT_CORRUPT_CHANNEL')).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(1000);
  }, 300_000);
});
