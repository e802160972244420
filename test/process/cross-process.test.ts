import { describe, expect, it } from 'vitest';
import { Section } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('sections across processes', () => {
  it('a forked child opens a section by name, sees the parent bytes and writes back', async () => {
    const name = uniqueName('echo');
    using section = Section.create(name, { size: 4096 });
    new Uint8Array(section.buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const child = startChild('section-echo.mjs', [name]);
    const reply = await child.message<{ seen: number[]; size: number; slot: number }>();
    expect(reply.seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(reply.size).toBe(4096);
    expect(reply.slot).toBe(1);
    expect((await child.exit()).code).toBe(0);
    expect([...new Uint8Array(section.buffer, 8, 4)]).toEqual([9, 8, 7, 6]);
    expect(Section.list().find((info) => info.name === name)!.attachedPids).toEqual([process.pid]);
  });

  it('two children doing 2,000,000 Atomics.add each end at exactly 4,000,000', async () => {
    const name = uniqueName('adders');
    using section = Section.create(name, { size: 64 });
    const children = [0, 1].map(() => startChild('atomic-adder.mjs', [name, '2000000']));
    await Promise.all(children.map((child) => child.message()));
    for (const child of children) child.process.send('go');
    await Promise.all(children.map((child) => child.message(60_000)));
    await Promise.all(children.map((child) => child.exit()));
    expect(Atomics.load(new Int32Array(section.buffer), 0)).toBe(4_000_000);
  });

  it('openOrCreate from many processes at once: one creates, all share', async () => {
    const name = uniqueName('race');
    const children = [0, 1, 2, 3].map(() => startChild('open-or-create.mjs', [name]));
    const replies = await Promise.all(children.map((child) => child.message<{ created: boolean; first: number }>()));
    await Promise.all(children.map((child) => child.exit()));
    expect(replies.filter((reply) => reply.created)).toHaveLength(1);
    using section = Section.open(name);
    expect(Atomics.load(new Int32Array(section.buffer), 0)).toBe(4);
  });
});
