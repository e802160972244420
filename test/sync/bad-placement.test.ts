/**
 * Bad buffers, offsets and option objects given to the primitives' and rings' initialize and
 * constructors: a typed ShmkitError naming what was wrong, never a RangeError or TypeError
 * from a typed-array view (issue 9, item 9).
 */
import { describe, expect, it } from 'vitest';
import { Barrier, Broadcast, Channel, Event, Mutex, Semaphore, SharedArrayBufferWaiter, ShmkitError } from '../../src/index.js';

const sab = new SharedArrayBuffer(1 << 16);
const waiter = new SharedArrayBufferWaiter(sab);
const any = (value: unknown) => value as never;

const CASES: Array<[string, () => unknown]> = [
  ['Channel.initialize(sab, 0, null)', () => Channel.initialize(sab, 0, any(null))],
  ['Channel.initialize(sab, 0, { bogus })', () => Channel.initialize(sab, 0, any({ capacity: 1024, bogus: 1 }))],
  ['Channel.initialize(sab, -128)', () => Channel.initialize(sab, -128, { capacity: 1024 })],
  ['Channel.initialize(sab, 1.5)', () => Channel.initialize(sab, 1.5, { capacity: 1024 })],
  ['Channel.initialize(sab, 2^20)', () => Channel.initialize(sab, 1 << 20, { capacity: 1024 })],
  ['Channel.initialize(null, 0)', () => Channel.initialize(any(null), 0, { capacity: 1024 })],
  ['new Channel(sab, -128, w)', () => new Channel(sab, -128, waiter)],
  ['new Channel(sab, 1.5, w)', () => new Channel(sab, 1.5, waiter)],
  ['new Channel(sab, "x", w)', () => new Channel(sab, any('x'), waiter)],
  ['new Channel(null, 0, w)', () => new Channel(any(null), 0, waiter)],
  ['new Channel(sab, 2^20, w)', () => new Channel(sab, 1 << 20, waiter)],
  ['Mutex.initialize(sab, -4)', () => Mutex.initialize(sab, -4)],
  ['Mutex.initialize(sab, 3)', () => Mutex.initialize(sab, 3)],
  ['Mutex.initialize(sab, 1e9)', () => Mutex.initialize(sab, 1e9)],
  ['Mutex.initialize(sab, NaN)', () => Mutex.initialize(sab, Number.NaN)],
  ['new Mutex(sab, -4, w)', () => new Mutex(sab, -4, waiter)],
  ['Event.initialize(sab, -4)', () => Event.initialize(sab, -4)],
  ['Event.initialize(sab, 0, null)', () => Event.initialize(sab, 0, any(null))],
  ['Event.initialize(sab, 0, { bogus })', () => Event.initialize(sab, 0, any({ bogus: true }))],
  ['new Event(sab, 2, w)', () => new Event(sab, 2, waiter)],
  ['Semaphore.initialize(sab, 1.5, 0)', () => Semaphore.initialize(sab, 1.5, 0)],
  ['Semaphore.initialize(sab, 0, -1)', () => Semaphore.initialize(sab, 0, -1)],
  ['Barrier.initialize(sab, -8, 2)', () => Barrier.initialize(sab, -8, 2)],
  ['Barrier.initialize(sab, 0, 0)', () => Barrier.initialize(sab, 0, 0)],
  ['Broadcast.initialize(sab, -128)', () => Broadcast.initialize(sab, -128, 1024)],
  ['Broadcast.initialize(sab, 64)', () => Broadcast.initialize(sab, 64, 1024)],
  ['new Broadcast(sab, 1.5, w)', () => new Broadcast(sab, 1.5, waiter)],
];

describe(`bad placements and option objects (${CASES.length} cases)`, () => {
  for (const [what, call] of CASES) {
    it(`${what} is a typed error`, () => {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught, what).toBeInstanceOf(ShmkitError);
      expect((caught as ShmkitError).code).toMatch(/^ERR_SHMKIT_/);
    });
  }
});
