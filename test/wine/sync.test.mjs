// Mutex, Event, Semaphore and Barrier across Wine processes (sync and async waits), and a
// lock holder or barrier party terminated (TerminateProcess: Windows' SIGKILL) and recovered.
import assert from 'node:assert/strict';
import { Barrier, BarrierBrokenError, Event, Mutex, Section, Semaphore } from '../../dist/index.js';
import { SYNC_MEMORY_SIZE, SYNC_OFFSETS } from '../fixtures/sync-offsets.mjs';
import { closeAfter, startChild, test, uniqueName } from './harness.mjs';

/** Forks one sync-participant per entry, starts them together, returns their results. */
async function runScenario(participants, parties = participants.length) {
  const name = uniqueName('sync');
  const section = closeAfter(Section.create(name, { size: SYNC_MEMORY_SIZE }));
  Semaphore.initialize(section.buffer, SYNC_OFFSETS.semaphore, 0);
  Event.initialize(section.buffer, SYNC_OFFSETS.ping, { manualReset: false });
  Event.initialize(section.buffer, SYNC_OFFSETS.pong, { manualReset: false });
  Barrier.initialize(section.buffer, SYNC_OFFSETS.barrier, parties);
  const children = participants.map((p) =>
    startChild('fixtures/sync-participant.mjs', [JSON.stringify({ backend: 'processes', name, ...p })]),
  );
  for (const child of children) assert.equal(await child.message(30_000), 'ready');
  for (const child of children) child.process.send('go');
  const results = [];
  for (const child of children) {
    const outcome = await child.message(60_000);
    assert.equal(outcome.ok, true, outcome.error);
    results.push(outcome.result);
  }
  for (const child of children) await child.exit();
  return { section, results };
}

for (const async of [false, true]) {
  const how = async ? 'async' : 'sync';
  test(`Mutex: 3 processes x 2000 ${how} lock/unlock keep a plain counter exact`, async () => {
    const { section, results } = await runScenario([0, 1, 2].map(() => ({ scenario: 'mutex-counter', params: { iterations: 2000, async } })));
    assert.deepEqual(results.map((r) => r.done), [2000, 2000, 2000]);
    assert.equal(new Int32Array(section.buffer, SYNC_OFFSETS.plain, 1)[0], 6000);
  }, 120_000);

  test(`Event: 300 ${how} ping-pong rounds between two processes`, async () => {
    const { results } = await runScenario([
      { scenario: 'ping', params: { rounds: 300, async } },
      { scenario: 'pong', params: { rounds: 300, async } },
    ]);
    assert.deepEqual(results.map((r) => r.rounds), [300, 300]);
  }, 120_000);

  test(`Semaphore: 2 producers release 500 permits each, 2 ${how} consumers take them all`, async () => {
    const { section, results } = await runScenario([
      { scenario: 'consume', params: { permits: 500, async } },
      { scenario: 'consume', params: { permits: 500, async } },
      { scenario: 'produce', params: { permits: 500 } },
      { scenario: 'produce', params: { permits: 500 } },
    ]);
    assert.deepEqual(results.map((r) => r.acquired ?? r.released), [500, 500, 500, 500]);
    const semaphore = new Semaphore(section.buffer, SYNC_OFFSETS.semaphore, section.waiter);
    assert.equal(semaphore.tryAcquire(), false); // none left over, none lost
  }, 120_000);

  test(`Barrier: 3 processes pass 100 ${how} generations in step`, async () => {
    const { results } = await runScenario([0, 1, 2].map((index) => ({ scenario: 'barrier', params: { generations: 100, index, async } })));
    assert.deepEqual(results.map((r) => r.behind), [0, 0, 0]);
  }, 120_000);
}

test('Mutex: the holder is terminated, 5 trials: the next locker gets it, recovered', async () => {
  const name = uniqueName('robust');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  let repairs = 0;
  const mutex = new Mutex(section.buffer, 0, section.waiter, { onRecover: () => repairs++ });
  const half = new Int32Array(section.buffer, 64, 1);
  for (let trial = 0; trial < 5; trial++) {
    const child = startChild('fixtures/mutex-holder.mjs', [name]);
    assert.equal(await child.message(30_000), 'locked');
    assert.equal(mutex.tryLock(), false);
    // A waiter parked on the lock before the kill: it must wake and recover it.
    const waiting = trial % 2 === 0 ? mutex.lockAsync({ timeout: 10_000 }) : null;
    child.kill();
    await child.exit();
    const grant = waiting ? await waiting : mutex.lock({ timeout: 10_000 });
    assert.equal(grant.recovered, true);
    assert.equal(half[0], child.pid); // the dead holder's state, for the repair
    half[0] = 0;
    mutex.unlock();
  }
  assert.equal(repairs, 5);
  assert.equal(mutex.recoveries, 5);
}, 120_000);

test('Barrier: a party that is terminated breaks the barrier for the waiter', async () => {
  const name = uniqueName('party');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  Barrier.initialize(section.buffer, 0, 2);
  const barrier = new Barrier(section.buffer, 0, section.waiter);
  const child = startChild('fixtures/barrier-party.mjs', [name]);
  assert.ok(barrier.wait({ timeout: 30_000 }) >= 0);
  assert.equal(await child.message(), 'passed');
  child.kill();
  await child.exit();
  await assert.rejects(barrier.waitAsync({ timeout: 10_000 }), BarrierBrokenError);
  assert.equal(barrier.broken, true);
  barrier.close();
}, 60_000);
