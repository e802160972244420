// Channels across Wine processes: SPSC, MPSC and MPMC with checksummed messages (none lost,
// duplicated or torn), and a producer terminated mid-stream, after which the channel works.
import assert from 'node:assert/strict';
import { Channel, CorruptChannelError } from '../../dist/index.js';
import { closeAfter, scratchDir, startChild, test, uniqueName, until } from './harness.mjs';

function expectedChecksum(producers, count) {
  let checksum = 0;
  for (let p = 0; p < producers; p++) for (let i = 0; i < count; i++) checksum = (checksum + p * 1_000_003 + i) % 2 ** 31;
  return checksum;
}

const peer = (config) => startChild('fixtures/channel-peer.mjs', [JSON.stringify(config)]);

async function outcome(child, timeoutMs = 120_000) {
  const result = await child.message(timeoutMs);
  assert.equal(result.ok, true, result.error);
  await child.exit();
  return result;
}

const SHAPES = [
  { kind: 'spsc', producers: 1, consumers: 1, perProducer: 40_000 },
  { kind: 'mpsc', producers: 3, consumers: 1, perProducer: 15_000 },
  { kind: 'mpmc', producers: 2, consumers: 2, perProducer: 20_000 },
];
for (const { kind, producers, consumers, perProducer } of SHAPES) {
  const total = producers * perProducer;
  test(`${kind}: ${producers} producer(s) -> ${consumers} consumer(s), ${total} messages, each exactly once`, async () => {
    const name = uniqueName(kind);
    // A small ring, so producers and consumers park on each other often.
    const channel = closeAfter(Channel.create(name, { capacity: 1 << 12, kind, codec: 'raw' }));
    const senders = Array.from({ length: producers }, (_, producer) => peer({ name, role: 'producer', producer, count: perProducer, maxLength: 96 }));
    const receivers = Array.from({ length: consumers }, () => peer({ name, role: 'consumer', ...(consumers === 1 ? { expect: total } : {}) }));
    const all = [...senders, ...receivers];
    for (const child of all) assert.equal(await child.message(30_000), 'ready');
    for (const child of all) child.process.send('go');
    for (const child of senders) assert.equal((await outcome(child)).sent, perProducer);
    if (consumers > 1) channel.end(); // MPMC consumers drain, then stop
    const results = [];
    for (const child of receivers) results.push(await outcome(child));
    const received = results.reduce((sum, r) => sum + r.received, 0);
    const checksum = results.reduce((sum, r) => (sum + r.checksum) % 2 ** 31, 0);
    assert.equal(received, total);
    assert.equal(checksum, expectedChecksum(producers, perProducer));
    for (const r of results) assert.equal(r.lockRecoveries + r.revoked + r.unblocked, 0);
  }, 180_000);
}

/** [producer u32][seq u32][checksum i32][bytes (seq + j) & 0xff], as channel-victim writes. */
function verify(message) {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const producer = view.getUint32(0, true);
  const seq = view.getUint32(4, true);
  let sum = 0;
  for (let j = 12; j < message.length; j++) {
    if (message[j] !== ((seq + j) & 0xff)) throw new CorruptChannelError(`torn message ${producer}#${seq} at byte ${j}`);
    sum = (sum + message[j]) | 0;
  }
  if (sum !== view.getInt32(8, true)) throw new CorruptChannelError(`torn message ${producer}#${seq}: bad checksum`);
  return { producer, seq };
}

test('mpsc: a producer terminated mid-stream (inside a claim, or anywhere), 4 trials: no torn message, no gap, the channel works', async () => {
  const name = uniqueName('victim');
  const channel = closeAfter(Channel.create(name, { capacity: 1 << 16, kind: 'mpsc', codec: 'raw' }));
  const scratch = scratchDir();
  let stuck = 0;
  for (let trial = 0; trial < 4; trial++) {
    const producer = 100 + trial;
    const stopAt = ['', 'ring.claim.done', 'ring.commit', 'ring.claim.done'][trial];
    const killAfter = 20 + trial * 37;
    const stuckFile = `${scratch}/stuck-${trial}`;
    const victim = startChild('fixtures/channel-victim.mjs', [name, String(producer), stopAt, String(killAfter), stuckFile]);
    assert.equal(await victim.message(30_000), 'streaming');
    let next = 0;
    while (next < killAfter) {
      const { producer: from, seq } = verify(await channel.read({ timeout: 20_000 }));
      assert.equal(from, producer);
      assert.equal(seq, next++);
    }
    if (stopAt) {
      const fs = await import('node:fs');
      await until(() => fs.existsSync(stuckFile), 20_000, `the victim to stop at ${stopAt}`);
      stuck++;
    }
    victim.kill(); // TerminateProcess
    await victim.exit();
    const probe = new Uint8Array(64);
    const view = new DataView(probe.buffer);
    view.setUint32(4, trial, true);
    let sum = 0;
    for (let j = 12; j < 64; j++) {
      probe[j] = (trial + j) & 0xff;
      sum = (sum + probe[j]) | 0;
    }
    view.setInt32(8, sum, true);
    await channel.write(probe, { timeout: 10_000 });
    for (;;) {
      const { producer: from, seq } = verify(await channel.read({ timeout: 10_000 }));
      if (from === 0) {
        assert.equal(seq, trial); // the probe: nothing torn before it, and the channel works
        break;
      }
      assert.equal(from, producer);
      assert.equal(seq, next++); // no gap
    }
  }
  assert.equal(stuck, 3);
  assert.ok(channel.ring.unblocked >= stuck, `unblocked ${channel.ring.unblocked}`);
}, 180_000);
