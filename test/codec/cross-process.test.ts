/**
 * Shared record structures across processes (issue 11): two processes add structures to one
 * region at the same time while sending records through one channel, and a third reads every
 * message; a writer killed holding the lock in the middle of an append leaves the published
 * structures as they were.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/index.js';
import { Channel, Section } from '../../src/index.js';
import { SharedStructureStore } from '../../src/store/structures.js';
import { startChild, type Child } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';
// @ts-expect-error: a plain .mjs module shared with the child processes
import { peerValue, RING_CAPACITY, RING_OFFSET, SHAPES, STORE_LENGTH } from './fixtures/structures-values.mjs';

const PEER = '../codec/fixtures/structures-peer.mjs';
const open: Section[] = [];
afterEach(() => {
  for (const section of open.splice(0)) section.close();
});

function makeSection(): { name: string; section: Section; store: SharedStructureStore } {
  const name = uniqueName('structures');
  const section = Section.create(name, { size: STORE_LENGTH + Channel.byteLength(RING_CAPACITY) });
  open.push(section);
  SharedStructureStore.initialize(section.buffer, 0, STORE_LENGTH);
  Channel.initialize(section.buffer, RING_OFFSET, { capacity: RING_CAPACITY, kind: 'mpsc' });
  return { name, section, store: new SharedStructureStore(section.buffer, 0, STORE_LENGTH, section.waiter) };
}

describe('shared structures across processes', () => {
  it('two processes add structures at once; every message of both reads back in a third', async () => {
    const { name, section, store } = makeSection();
    const channel = new Channel(section.buffer, RING_OFFSET, section.waiter, { codec: msgpackCodec({ structures: store }) });
    const count = 400;
    const peers: Child[] = [0, 1].map((peer) => startChild(PEER, ['encode', name, String(peer), String(count)]));
    try {
      await Promise.all(peers.map((peer) => peer.message(20_000)));
      for (const peer of peers) peer.process.send('go');
      const next = [0, 0];
      for (let received = 0; received < 2 * count; received++) {
        const value = (await channel.receive({ timeout: 20_000 })) as { nested: { peer: number; i: number } };
        const { peer, i } = value.nested;
        expect(i, `peer ${peer} in order`).toBe(next[peer]);
        expect(value).toEqual(peerValue(peer, i));
        next[peer]!++;
      }
      const results = await Promise.all(peers.map((peer) => peer.message<{ ok: boolean; error?: string }>(20_000)));
      expect(results.map((result) => result.error ?? 'ok')).toEqual(['ok', 'ok']);
    } finally {
      await Promise.all(peers.map((peer) => peer.exit()));
      channel.close();
    }
    const names = store.load().structures.map((keys) => keys.join());
    expect(new Set(names).size, 'no structure saved twice').toBe(names.length);
    // Both peers' top-level shapes (4 common, 6 each of their own) and the nested one are shared.
    expect(names.filter((keys) => keys.startsWith('common'))).toHaveLength(4);
    for (const peer of [0, 1]) expect(names.filter((keys) => keys.startsWith(`peer${peer}`))).toHaveLength(SHAPES - 4);
    expect(names).toContain('peer,i,tags');
  });

  it('a writer killed holding the lock mid-append: the published structures stand, the next save recovers the lock', async () => {
    const { name, section, store } = makeSection();
    expect(store.save([['before']], 0)).toBe(true);
    const victim = startChild(PEER, ['victim', name]);
    expect(await victim.message(20_000)).toBe('locked');
    victim.kill('SIGKILL');
    await victim.exit();
    expect(new SharedStructureStore(section.buffer, 0, STORE_LENGTH, section.waiter).load()).toEqual({ version: 1, structures: [['before']] });
    expect(store.save([['before'], ['after']], 1)).toBe(true); // waits out a park slice, finds the owner dead
    expect(new SharedStructureStore(section.buffer, 0, STORE_LENGTH, section.waiter).load()).toEqual({ version: 2, structures: [['before'], ['after']] });
  });
});
