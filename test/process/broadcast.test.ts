import { describe, expect, it } from 'vitest';
import { Broadcast } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

interface Result {
  ok: boolean;
  error?: string;
  sent?: number;
  received?: number;
  lost?: number;
  last?: number;
}

describe('broadcast across processes', () => {
  it('one writer laps a slow reader: every message whole and in order, and received + lost = sent, for each reader', async () => {
    const name = uniqueName('broadcast');
    const count = 200_000;
    const broadcast = Broadcast.create(name, { capacity: 16_384 });
    const readers = [false, true].map((slow) => startChild('broadcast-peer.mjs', [JSON.stringify({ name, role: 'reader', slow })]));
    const writer = startChild('broadcast-peer.mjs', [JSON.stringify({ name, role: 'writer', count, maxLength: 200 })]);
    const all = [...readers, writer];
    try {
      await Promise.all(all.map((child) => child.message(20_000)));
      for (const child of readers) child.process.send('go');
      writer.process.send('go');
      const outcomes = await Promise.allSettled(all.map((child) => child.message<Result>(180_000)));
      const errors = outcomes.map((outcome, i) => (outcome.status === 'rejected' ? `peer ${i}: ${String(outcome.reason)}` : outcome.value.error && `peer ${i}: ${outcome.value.error}`)).filter(Boolean);
      expect(errors).toEqual([]);
      const [fast, slow, sent] = outcomes.map((outcome) => (outcome as PromiseFulfilledResult<Result>).value);
      expect(sent!.sent).toBe(count);
      for (const reader of [fast!, slow!]) {
        expect(reader.last).toBe(count - 1);
        expect(reader.received! + reader.lost!).toBe(count);
      }
      expect(slow!.lost).toBeGreaterThan(0); // it was lapped, and told
    } finally {
      for (const child of all) child.kill('SIGKILL');
      broadcast.close();
    }
  });
});
