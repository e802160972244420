// Channel.ignoreSenders(): a receiver whose owner watches liveness itself (the pool) never gets
// SendersGoneError, parks on a drained ring without time slices (an idle one costs no CPU),
// and still gets past a dead producer's claim once a later message wakes it.
import { describe, expect, it } from 'vitest';
import { Channel, TimeoutError } from '../../src/index.js';
import { World } from '../helpers/controlled-waiter.js';

function onSab(kind: 'mpsc' | 'mpmc'): { world: World; open: (pid: number) => Channel<number>; parks: () => number[] } {
  const sab = new SharedArrayBuffer(Channel.byteLength(4096));
  Channel.initialize(sab, 0, { capacity: 4096, kind });
  const world = new World(sab);
  const parks: number[] = []; // the timeout each park asked for
  const open = (pid: number): Channel<number> => {
    const waiter = world.process(pid);
    const waitAsync = waiter.waitAsync.bind(waiter);
    waiter.waitAsync = (...args: Parameters<typeof waitAsync>) => {
      parks.push(args[2] ?? Infinity);
      return waitAsync(...args);
    };
    return new Channel<number>(sab, 0, waiter);
  };
  return { world, open, parks: () => parks };
}

describe.each(['mpsc', 'mpmc'] as const)('ignoreSenders (%s)', (kind) => {
  it('the last sender dies: the receiver drains, then only times out', async () => {
    const { world, open } = onSab(kind);
    const [rx, tx] = [open(100).ignoreSenders(), open(200)];
    tx.trySendMany([1, 2]);
    world.kill(200);
    expect(rx.tryReceiveMany()).toEqual([1, 2]);
    await expect(rx.receive({ timeout: 100 })).rejects.toThrow(TimeoutError);
  });

  it('parked on a drained ring, it waits in one park, not in slices', async () => {
    const { open, parks } = onSab(kind);
    const [rx, tx] = [open(100).ignoreSenders(), open(200)];
    tx.trySend(1);
    expect(rx.tryReceive()).toEqual({ value: 1 });
    await expect(rx.receive({ timeout: 400 })).rejects.toThrow(TimeoutError);
    // A watching receiver parks in slices of 5, 10, 20, ... ms. This one asks for the whole
    // wait at once (a timer that fires a hair early on a busy machine may add a short re-park
    // for the rest, which is not a slice).
    expect(parks().length).toBeGreaterThan(0);
    expect(parks()[0]).toBeGreaterThan(300);
    const late = rx.receive({ timeout: 5000 });
    setTimeout(() => tx.trySend(2), 50);
    expect(await late).toBe(2);
  });

  it("a dead producer's open claim is skipped once a later message wakes the receiver", async () => {
    const { world, open } = onSab(kind);
    const [rx, dead, live] = [open(100).ignoreSenders(), open(200), open(300)];
    const pending = rx.receive({ timeout: 5000 });
    expect(dead.claim(8)).toBeDefined();
    world.kill(200);
    setTimeout(() => live.trySend(7), 50);
    expect(await pending).toBe(7);
  });
});
