// The Windows waits themselves: parked on named events, not polling; no system call for a
// wake when nobody is parked; a wake reaches a waiter in another process at once.
import assert from 'node:assert/strict';
import { Event, Mutex, Section } from '../../dist/index.js';
import { platform } from '../../dist/platform/index.js';
import { kernel32 } from '../../dist/platform/windows-kernel32.js';
import { closeAfter, sleep, startChild, test, uniqueName } from './harness.mjs';

/** Counts every kernel32 call made through the backend's bindings while `fn` runs. */
async function countCalls(fn) {
  const k = kernel32();
  const counts = {};
  const saved = {};
  for (const [key, value] of Object.entries(k)) {
    if (typeof value !== 'function') continue;
    saved[key] = value;
    const counted = (...args) => {
      counts[key] = (counts[key] ?? 0) + 1;
      return value(...args);
    };
    counted.async = value.async;
    k[key] = counted;
  }
  try {
    await fn();
  } finally {
    Object.assign(k, saved);
  }
  return counts;
}

test('wake, Event.set and Mutex unlock with nobody parked make no system call', async () => {
  const name = uniqueName('nosyscall');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  Event.initialize(section.buffer, 0, { manualReset: false });
  const event = new Event(section.buffer, 0, section.waiter);
  const mutex = new Mutex(section.buffer, 64, section.waiter);
  const os = platform();
  const counts = await countCalls(() => {
    for (let i = 0; i < 10_000; i++) {
      section.waiter.notify(128, 1);
      os.wake(section.mapping.address + 256n, 0x7fffffff);
      event.set();
      event.reset();
      mutex.lock({ timeout: 1000 });
      mutex.unlock();
    }
  });
  assert.deepEqual(counts, {});
  // The counter does see calls: with a waiter parked, the wake sets its event.
  const parked = section.waiter.waitAsync(128, 0, 5000);
  await sleep(50);
  const woken = await countCalls(() => {
    Atomics.store(new Int32Array(section.buffer), 32, 1);
    section.waiter.notify(128, 1);
  });
  assert.equal(await parked, 'ok');
  assert.ok(woken.setEvent >= 1, JSON.stringify(woken));
});

test('a waiter in another process sleeps on its event (no CPU) and wakes at once', async () => {
  for (const async of [false, true]) {
    const name = uniqueName('park');
    const section = closeAfter(Section.create(name, { size: 4096 }));
    const words = new Int32Array(section.buffer);
    const child = startChild('wine/fixtures/section-peer.mjs', [
      JSON.stringify({ role: 'wait', name, offset: 16, expected: 0, timeout: 20_000, async }),
    ]);
    assert.equal((await child.message(30_000)).parking, true);
    await sleep(1500); // parked for 1.5 s: a poller would burn CPU all along
    const woke = performance.now();
    Atomics.store(words, 4, 1);
    section.waiter.notify(16, 1);
    const reply = await child.message(20_000);
    const latency = performance.now() - woke;
    assert.equal(reply.ok, true, reply.error);
    assert.equal(reply.result, 'ok');
    assert.equal(reply.value, 1);
    assert.ok(reply.ms >= 1000 && reply.ms < 15_000, `waited ${reply.ms} ms`);
    assert.ok(reply.cpuMs < 300, `${async ? 'async' : 'sync'} waiter used ${reply.cpuMs} ms of CPU in ${reply.ms} ms`);
    assert.ok(latency < 5000, `woken after ${latency} ms`);
    await child.exit();
  }
}, 90_000);

test('a wake for one word does not wake a waiter on another; count is honoured', async () => {
  const name = uniqueName('count');
  const section = closeAfter(Section.create(name, { size: 4096 }));
  const os = platform();
  const base = section.mapping.address + 4096n * 0n;
  const words = new Int32Array(section.buffer);
  // Two async waits of this thread on different words of one section, via the doorbell hub.
  const a = section.waiter.waitAsync(0, 0, 5000);
  const b = section.waiter.waitAsync(4, 0, 300);
  Atomics.store(words, 0, 1);
  section.waiter.notify(0, 1);
  assert.equal(await a, 'ok');
  assert.equal(await b, 'timed-out');
  // Sync: nobody parked on an unrelated word, so waking it wakes nobody.
  assert.equal(os.wake(base + 1024n, 10), 0);
  // A sync wait that times out says so, and one on a changed word returns at once.
  const started = performance.now();
  assert.equal(section.waiter.wait(8, 0, 50), 'timed-out');
  assert.ok(performance.now() - started >= 40);
  assert.equal(section.waiter.wait(0, 0, 5000), 'not-equal');
});

test('200 async waits on 40 sections resolve through one OS wait as their words change', async () => {
  const sections = [];
  for (let i = 0; i < 40; i++) sections.push(closeAfter(Section.create(uniqueName('many'), { size: 4096 })));
  const waits = [];
  for (const section of sections) for (let w = 0; w < 5; w++) waits.push(section.waiter.waitAsync(w * 4, 0, 20_000));
  await sleep(50);
  for (const section of sections) {
    const words = new Int32Array(section.buffer);
    for (let w = 0; w < 5; w++) {
      Atomics.store(words, w, 1);
      section.waiter.notify(w * 4, 1);
    }
  }
  const results = await Promise.all(waits);
  assert.equal(results.filter((r) => r === 'ok').length, 200);
}, 60_000);
