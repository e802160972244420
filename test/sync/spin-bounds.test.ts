/**
 * Spinning is bounded by the timeout, and an async wait never holds the event loop: a huge
 * `spin` with a short timeout times out on time (it took 41 s in 0.1), and while an async
 * wait spins, the event loop keeps turning.
 */
import { describe, expect, it } from 'vitest';
import { Broadcast, Channel, Event, Mutex, Semaphore, TimeoutError } from '../../src/index.js';
import { World } from '../helpers/controlled-waiter.js';

const HUGE = { timeout: 20, spin: 2 ** 31 - 1 };
/** Async waits get longer: the loop must turn during the wait even if this process is descheduled for a while. */
const HUGE_ASYNC = { timeout: 200, spin: 2 ** 31 - 1 };
/** Generous: the point is "near the timeout", not "in 41 s"; a busy machine stays well under it. */
const LIMIT_MS = 2_000;

function setup() {
  const sab = new SharedArrayBuffer(1 << 16);
  const world = new World(sab);
  const mine = world.process(1);
  const theirs = world.process(2);
  Mutex.initialize(sab, 0);
  new Mutex(sab, 0, theirs).lock(); // held by a live other process
  Event.initialize(sab, 64, { manualReset: false });
  Semaphore.initialize(sab, 128, 0);
  Channel.initialize(sab, 1024, { capacity: 4096, kind: 'mpsc' });
  Broadcast.initialize(sab, 8192, 4096);
  return {
    mutex: new Mutex(sab, 0, mine),
    event: new Event(sab, 64, mine),
    semaphore: new Semaphore(sab, 128, mine),
    channel: new Channel(sab, 1024, mine, { codec: 'raw' }),
    broadcast: new Broadcast(sab, 8192, mine),
  };
}

/** Turns of the event loop while `promise` is pending. */
async function turnsDuring(promise: Promise<unknown>): Promise<{ turns: number; error: unknown }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  done = true;
  return { turns, error };
}

describe('spin is bounded by the timeout', () => {
  const sync: Array<[string, (s: ReturnType<typeof setup>) => unknown]> = [
    ['Mutex.lock', (s) => s.mutex.lock(HUGE)],
    ['Event.wait', (s) => s.event.wait(HUGE)],
    ['Semaphore.acquire', (s) => s.semaphore.acquire(HUGE)],
    ['Channel.receiveSync', (s) => s.channel.receiveSync(HUGE)],
    ['Channel.readSync', (s) => s.channel.readSync(HUGE)],
    ['Broadcast.receiveSync', (s) => s.broadcast.receiveSync(HUGE)],
  ];
  for (const [what, call] of sync) {
    it(`${what}({ timeout: 20, spin: 2**31-1 }) times out near 20 ms`, () => {
      const s = setup();
      const started = performance.now();
      expect(() => call(s)).toThrow(TimeoutError);
      expect(performance.now() - started).toBeLessThan(LIMIT_MS);
    });
  }

  const async: Array<[string, (s: ReturnType<typeof setup>) => Promise<unknown>]> = [
    ['Mutex.lockAsync', (s) => s.mutex.lockAsync(HUGE_ASYNC)],
    ['Event.waitAsync', (s) => s.event.waitAsync(HUGE_ASYNC)],
    ['Semaphore.acquireAsync', (s) => s.semaphore.acquireAsync(HUGE_ASYNC)],
    ['Channel.receive', (s) => s.channel.receive(HUGE_ASYNC)],
    ['Channel.read', (s) => s.channel.read(HUGE_ASYNC)],
    ['Broadcast.receive', (s) => s.broadcast.receive(HUGE_ASYNC)],
  ];
  for (const [what, call] of async) {
    it(`${what}({ timeout: 200, spin: 2**31-1 }) times out near 200 ms and lets the event loop turn meanwhile`, async () => {
      const s = setup();
      const started = performance.now();
      const { turns, error } = await turnsDuring(call(s));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(performance.now() - started).toBeLessThan(LIMIT_MS);
      expect(turns).toBeGreaterThan(3); // a synchronous spin would have allowed none
    });
  }

  it('a full channel: writeSync / write with a huge spin time out on time, write lets the loop turn', async () => {
    const s = setup();
    while (s.channel.tryWrite(new Uint8Array(100)));
    let started = performance.now();
    expect(() => s.channel.writeSync(new Uint8Array(100), HUGE)).toThrow(TimeoutError);
    expect(performance.now() - started).toBeLessThan(LIMIT_MS);
    started = performance.now();
    const { turns, error } = await turnsDuring(s.channel.write(new Uint8Array(100), HUGE_ASYNC));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(LIMIT_MS);
    expect(turns).toBeGreaterThan(3);
  });
});
