import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Channel, CorruptChannelError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

/** Checks one message: [producer u32][seq u32][checksum i32][bytes (seq + j) & 0xff]. */
function verify(message: Uint8Array): { producer: number; seq: number } {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const producer = view.getUint32(0, true);
  const seq = view.getUint32(4, true);
  let sum = 0;
  for (let j = 12; j < message.length; j++) {
    if (message[j] !== ((seq + j) & 0xff)) throw new CorruptChannelError(`torn message ${producer}#${seq} at byte ${j}`);
    sum = (sum + message[j]!) | 0;
  }
  if (sum !== view.getInt32(8, true)) throw new CorruptChannelError(`torn message ${producer}#${seq}: bad checksum`);
  return { producer, seq };
}

describe('a producer killed mid-stream', () => {
  it('50 trials: the consumer gets every committed message, never a torn one, and the channel keeps working', async () => {
    const name = uniqueName('victim');
    using channel = Channel.create(name, { capacity: 1 << 16, kind: 'mpsc', codec: 'raw' });
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkit-victim-'));
    let unblocked = 0;
    let stuckTrials = 0;
    for (let trial = 0; trial < 50; trial++) {
      const producer = 100 + trial;
      // Every third trial kills at a random moment; the others kill a producer stopped inside
      // a claim (claimed, or payload written and about to commit), so unblock() must run.
      const stopAt = ['', 'ring.claim.done', 'ring.commit'][trial % 3]!;
      const killAfter = 20 + ((trial * 37) % 200);
      const stuckFile = path.join(scratch, `stuck-${trial}`);
      const victim = startChild('channel-victim.mjs', [name, String(producer), stopAt, String(killAfter), stuckFile]);
      await victim.message(20_000);
      let next = 0;
      // Let it fill the ring a few times over, then kill it mid-stream.
      while (next < killAfter) {
        const message = await channel.read({ timeout: 20_000 });
        const { producer: from, seq } = verify(message);
        expect(from).toBe(producer);
        expect(seq).toBe(next++);
      }
      if (stopAt) {
        const deadline = Date.now() + 20_000;
        while (!fs.existsSync(stuckFile)) {
          if (Date.now() > deadline) throw new Error(`the victim never stopped at ${stopAt}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        stuckTrials++;
      }
      victim.kill('SIGKILL');
      await victim.exit();
      // A live producer (this process) writes a probe behind whatever the victim left: its
      // committed messages, and maybe an open claim that must be unblocked for us to pass.
      const probe = new Uint8Array(64);
      new DataView(probe.buffer).setUint32(4, trial, true);
      let sum = 0;
      for (let j = 12; j < 64; j++) {
        probe[j] = (trial + j) & 0xff;
        sum = (sum + probe[j]!) | 0;
      }
      new DataView(probe.buffer).setInt32(8, sum, true);
      await channel.write(probe, { timeout: 5000 });
      for (;;) {
        const { producer: from, seq } = verify(await channel.read({ timeout: 5000 }));
        if (from === 0) {
          expect(seq).toBe(trial); // the probe: the channel works, nothing torn came before it
          break;
        }
        expect(from).toBe(producer);
        expect(seq).toBe(next++); // no gap: every committed message arrived, in order
      }
      if (next > killAfter) unblocked++;
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    expect(unblocked).toBeGreaterThan(0); // the victim did commit past the kill point sometimes
    // Every kill inside a claim was unblocked once; random kills add at most one each.
    expect(stuckTrials).toBe(33);
    expect(channel.ring.unblocked).toBeGreaterThanOrEqual(stuckTrials);
    expect(channel.ring.unblocked).toBeLessThanOrEqual(50);
  }, 300_000);
});
