/**
 * Every intermediate state of an MPSC / MPMC claim and commit against the consumer's
 * unblock(), deterministically, on a SharedArrayBuffer: one thread plays every process, pause
 * hooks (src/sync/pause-points.ts) stop a party between two of its steps and run the other
 * party right there, and the test decides who is alive, dead, or has had its pid reused.
 *
 * A producer that "dies" at a step throws out of the hook and is never touched again. (Its
 * unwinding releases the producer lock, which a real death would leave for the next producer
 * to recover; the ring's bytes are what a death leaves, which is what these tests are about.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Channel, ClaimRevokedError } from '../../src/index.js';
import type { LargeMessageStore } from '../../src/channel/channel.js';
import { RECORD_HEAP, RECORD_MESSAGE, ringLength } from '../../src/layout/ring.js';
import { MpmcQueue } from '../../src/channel/mpmc-queue.js';
import { MpscRing } from '../../src/channel/mpsc-ring.js';
import { initializeRing } from '../../src/channel/ring-base.js';
import { setPauseHook, type PausePoint } from '../../src/sync/pause-points.js';
import { World } from '../helpers/controlled-waiter.js';

const CAPACITY = 4096;
const DIED = new Error('this producer died here');
const KINDS = [
  { name: 'mpsc', code: 2, open: (sab: SharedArrayBuffer, world: World, pid: number) => new MpscRing(sab, 0, world.process(pid)) },
  { name: 'mpmc', code: 3, open: (sab: SharedArrayBuffer, world: World, pid: number) => new MpmcQueue(sab, 0, world.process(pid)) },
] as const;
const PRODUCER_STEPS: PausePoint[] = ['ring.claim.header', 'ring.claim.done', 'ring.commit'];
const TYPES = [RECORD_MESSAGE, RECORD_HEAP];

afterEach(() => setPauseHook(undefined));

/** Runs `action` at the first time `point` is reached, then lets everything run on. */
function at(point: PausePoint, action: () => void): void {
  let armed = true;
  setPauseHook((reached) => {
    if (armed && reached === point) {
      armed = false;
      action();
    }
  });
}

function message(tag: number): Uint8Array {
  return Uint8Array.from({ length: 8 }, (_, i) => (tag * 16 + i) & 0xff);
}

type Ring = MpscRing;

/** Everything the consumer can read now, as [first byte, type] pairs. */
function drain(ring: Ring): Array<[number, number]> {
  const got: Array<[number, number]> = [];
  for (let i = 0; i < 100; i++) {
    const length = ring.tryRead();
    if (length < 0) break;
    const bytes = ring.bytes.subarray(ring.readOffset, ring.readOffset + length);
    expect(bytes).toEqual(Buffer.from(message(bytes[0]! >> 4)));
    got.push([bytes[0]! >> 4, ring.readType]);
    ring.release();
  }
  return got;
}

for (const kind of KINDS) {
  describe(`${kind.name}: claim and commit against unblock()`, () => {
    function setup() {
      const sab = new SharedArrayBuffer(ringLength(CAPACITY));
      initializeRing(sab, 0, CAPACITY, kind.code);
      const world = new World(sab);
      const consumer = kind.open(sab, world, 100);
      const producer = kind.open(sab, world, 200);
      const successor = kind.open(sab, world, 300);
      return { world, consumer, producer, successor };
    }

    for (const type of TYPES) {
      for (const step of PRODUCER_STEPS) {
        for (const fate of ['dead', 'pid reused', 'alive but stuck'] as const) {
          it(`type ${type}: a producer stopped at ${step}, ${fate}`, () => {
            const { world, consumer, producer, successor } = setup();
            expect(producer.tryWrite(message(1), type)).toBe(true); // a whole record before it
            at(step, () => {
              throw DIED;
            });
            expect(() => producer.tryWrite(message(2), type)).toThrow(DIED);
            setPauseHook(undefined);
            if (fate === 'dead') world.kill(200);
            if (fate === 'pid reused') world.reuse(200);

            expect(drain(consumer)).toEqual([[1, type]]);
            const unblocked = consumer.unblock();
            // A claim whose tail never moved is not in [head, tail): the next producer writes over it.
            const inRing = step !== 'ring.claim.header';
            expect(unblocked).toBe(fate !== 'alive but stuck' && inRing);
            expect(consumer.unblocked).toBe(unblocked ? 1 : 0);
            expect(successor.tryWrite(message(3), type)).toBe(true);
            if (fate === 'alive but stuck' && inRing) {
              expect(drain(consumer)).toEqual([]); // held up behind a live claim, never skipped
            } else {
              expect(drain(consumer)).toEqual([[3, type]]);
            }
            expect(producer.revoked + successor.revoked).toBe(0);
          });
        }

        it(`type ${type}: a live producer paused at ${step} while the consumer looks: nothing unblocked, nothing lost`, () => {
          const { world, consumer, producer } = setup();
          const before = world.questions;
          at(step, () => {
            expect(drain(consumer)).toEqual([]);
            expect(consumer.unblock()).toBe(false);
          });
          expect(producer.tryWrite(message(4), type)).toBe(true);
          expect(drain(consumer)).toEqual([[4, type]]);
          expect(consumer.unblocked).toBe(0);
          expect(producer.revoked).toBe(0);
          if (step !== 'ring.claim.header') expect(world.questions).toBeGreaterThan(before); // it did ask
        });
      }

      it(`type ${type}: a live producer revoked by a wrong liveness answer claims again; delivered once`, () => {
        const { world, consumer, producer } = setup();
        at('ring.commit', () => {
          world.kill(200); // wrong: the producer still runs
          expect(consumer.unblock()).toBe(true);
          world.revive(200);
        });
        expect(producer.tryWrite(message(5), type)).toBe(true);
        expect(producer.revoked).toBe(1);
        expect(consumer.unblocked).toBe(1);
        expect(drain(consumer)).toEqual([[5, type]]);
      });

      for (const look of ['ring.unblock.look', 'ring.unblock'] as const) {
        it(`type ${type}: a commit that lands while unblock() is at ${look} wins; the record is delivered`, () => {
          const { world, consumer, producer } = setup();
          let resume: (() => void) | undefined;
          // Stop the producer just before its commit CAS, and remember how to finish it.
          at('ring.commit', () => {
            throw DIED;
          });
          expect(() => producer.tryWrite(message(6), type)).toThrow(DIED);
          // The producer is "dead" at its commit; re-publish its record by hand the way its
          // CAS would, from inside the consumer's unblock, as a late commit.
          const ring = producer as unknown as { lanes: BigInt64Array };
          const lane = Atomics.load(ring.lanes, 0);
          resume = () => {
            Atomics.compareExchange(ring.lanes, 0, lane, (BigInt(type) << 32n) | 16n);
          };
          world.kill(200);
          at(look, () => resume!());
          expect(consumer.unblock()).toBe(false);
          expect(consumer.unblocked).toBe(0);
          expect(drain(consumer)).toEqual([[6, type]]);
        });
      }
    }

    it('nobody died: 2,000 messages from two producers with the consumer looking at every step, nothing unblocked', () => {
      const { world, consumer, producer, successor } = setup();
      const got: number[] = [];
      setPauseHook((point) => {
        if (point.startsWith('ring.claim') || point === 'ring.commit') {
          for (const [tag] of drain(consumer)) got.push(tag);
          consumer.unblock();
        }
      });
      let sent = 0;
      for (let i = 0; i < 1000; i++) {
        for (const ring of [producer, successor]) {
          // The consumer drains at every step, so the ring never fills.
          expect(ring.tryWrite(message(i & 15), RECORD_MESSAGE)).toBe(true);
          sent++;
        }
      }
      setPauseHook(undefined);
      for (const [tag] of drain(consumer)) got.push(tag);
      expect(got.length).toBe(sent);
      expect(consumer.unblocked).toBe(0);
      expect(producer.revoked + successor.revoked).toBe(0);
      expect(world.questions).toBeGreaterThan(0);
    });
  });
}

describe('Channel over a ring: revoked claims', () => {
  function setup(largeMessages?: LargeMessageStore) {
    const sab = new SharedArrayBuffer(ringLength(CAPACITY));
    Channel.initialize(sab, 0, { capacity: CAPACITY, kind: 'mpsc' });
    const world = new World(sab);
    const options = largeMessages ? { codec: 'raw' as const, largeMessages } : { codec: 'raw' as const };
    const consumer = new Channel<Uint8Array>(sab, 0, world.process(100), options);
    const producer = new Channel<Uint8Array>(sab, 0, world.process(200), options);
    return { world, consumer, producer };
  }

  it('a zero-copy commit() of a revoked claim throws ClaimRevokedError; nothing is delivered; the channel goes on', () => {
    const { world, consumer, producer } = setup();
    const bytes = producer.claim(8)!;
    bytes.set(message(7));
    world.kill(200);
    expect(consumer.ring.unblock()).toBe(true);
    world.revive(200);
    expect(() => producer.commit()).toThrow(ClaimRevokedError);
    expect(consumer.tryRead()).toBeUndefined();
    expect(producer.trySend(message(8))).toBe(true);
    expect(consumer.tryRead()).toEqual(message(8));
  });

  it('a heap-held message whose claim is revoked is sent once and its block freed once', () => {
    const blocks = new Map<number, Uint8Array>();
    let next = 0;
    let frees = 0;
    const store: LargeMessageStore = {
      store: (bytes) => {
        blocks.set(++next, bytes.slice());
        return next;
      },
      view: (offset) => blocks.get(offset)!,
      free: (offset) => {
        frees++;
        blocks.delete(offset);
      },
      limit: 1 << 20,
    };
    const { world, consumer, producer } = setup(store);
    const big = new Uint8Array(3000).fill(9);
    at('ring.commit', () => {
      world.kill(200);
      expect(consumer.ring.unblock()).toBe(true);
      world.revive(200);
    });
    expect(producer.trySend(big)).toBe(true);
    expect(producer.ring.revoked).toBe(1);
    expect(consumer.tryRead()).toEqual(big);
    expect(consumer.tryRead()).toBeUndefined();
    expect(frees).toBe(1);
    expect(blocks.size).toBe(0);
  });
});
