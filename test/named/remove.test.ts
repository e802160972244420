/**
 * Removing by name: each remover removes only its own kind (KindMismatchError, nothing
 * removed, for another), and each takes { force: true } for a section live processes use,
 * as its SectionInUseError says.
 */
import { describe, expect, it } from 'vitest';
import { Broadcast, Channel, KindMismatchError, Mailbox, Namespace, Section, SectionInUseError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

function exists(name: string): boolean {
  return Section.list().some((section) => section.name === name);
}

function refusal(call: () => unknown): KindMismatchError {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KindMismatchError);
  expect((caught as KindMismatchError).code).toBe('ERR_SHMKIT_KIND_MISMATCH');
  return caught as KindMismatchError;
}

describe('removing a name that holds another kind', () => {
  it('Namespace.destroy of a channel, Channel.unlink of a namespace: refused, nothing removed', () => {
    const channelName = uniqueName('rm-ch');
    const nsName = uniqueName('rm-ns');
    Channel.create(channelName).close();
    Namespace.open(nsName, { size: 1 << 20 }).close();
    expect(refusal(() => Namespace.destroy(channelName)).message).toBe(`'${channelName}' holds a channel, not a namespace: remove it with Channel.unlink`);
    expect(refusal(() => Channel.unlink(nsName)).message).toBe(`'${nsName}' holds a namespace, not a channel: remove it with Namespace.destroy`);
    expect(refusal(() => Mailbox.unlink(nsName)).message).toBe(`'${nsName}' holds a namespace, not a mailbox: remove it with Namespace.destroy`);
    expect(refusal(() => Broadcast.unlink(channelName)).message).toBe(`'${channelName}' holds a channel, not a broadcast: remove it with Channel.unlink`);
    expect(refusal(() => Mailbox.unlink(channelName)).message).toBe(`'${channelName}' holds a channel, not a mailbox: remove it with Channel.unlink`);
    expect(exists(channelName) && exists(nsName)).toBe(true);
    expect(Channel.unlink(channelName)).toBe(true);
    expect(Namespace.destroy(nsName)).toBe(true);
    expect(Namespace.destroy(nsName)).toBe(false); // gone: false, as before
    expect(Channel.unlink(channelName)).toBe(false);
  });

  it('each remover removes its own kind; Channel.unlink takes a mailbox (a Mailbox is a Channel)', () => {
    const broadcastName = uniqueName('rm-bc');
    const mailboxName = uniqueName('rm-mb');
    const otherMailbox = uniqueName('rm-mb2');
    Broadcast.create(broadcastName).close();
    Mailbox.create(mailboxName).close();
    Mailbox.create(otherMailbox).close();
    expect(refusal(() => Namespace.destroy(broadcastName)).message).toContain('remove it with Broadcast.unlink');
    expect(refusal(() => Broadcast.unlink(mailboxName)).message).toContain('remove it with Mailbox.unlink');
    expect(Broadcast.unlink(broadcastName)).toBe(true);
    expect(Mailbox.unlink(mailboxName)).toBe(true);
    expect(Channel.unlink(otherMailbox)).toBe(true);
    expect(exists(broadcastName) || exists(mailboxName) || exists(otherMailbox)).toBe(false);
  });
});

describe('removing by name while another process has it open', () => {
  const removers: Array<[string, (name: string) => void, (name: string, force: boolean) => boolean]> = [
    ['Namespace.destroy', (name) => Namespace.open(name, { size: 1 << 20 }).close(), (name, force) => Namespace.destroy(name, { force })],
    ['Channel.unlink', (name) => Channel.create(name).close(), (name, force) => Channel.unlink(name, { force })],
    ['Mailbox.unlink', (name) => Mailbox.create(name).close(), (name, force) => Mailbox.unlink(name, { force })],
    ['Broadcast.unlink', (name) => Broadcast.create(name).close(), (name, force) => Broadcast.unlink(name, { force })],
  ];
  for (const [remover, make, remove] of removers) {
    it(`${remover} refuses, naming { force: true } and ${remover}; with force it removes`, async () => {
      const name = uniqueName('rm-inuse');
      make(name);
      const child = startChild('attach-and-idle.mjs', [name]);
      try {
        await child.message(10_000);
        let caught: unknown;
        try {
          remove(name, false);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(SectionInUseError);
        expect(caught).toMatchObject({ code: 'ERR_SHMKIT_SECTION_IN_USE', pids: [child.process.pid] });
        expect((caught as Error).message).toContain(`pass { force: true } to ${remover}`);
        expect(exists(name)).toBe(true);
        expect(remove(name, true)).toBe(true);
        expect(exists(name)).toBe(false);
      } finally {
        child.kill('SIGKILL');
        await child.exit(10_000).catch(() => undefined);
      }
    });
  }

  it('ns.destroy() removes it while others have it open (the handle holder decides), as documented', async () => {
    const name = uniqueName('rm-handle');
    const ns = Namespace.open(name, { size: 1 << 20 });
    const child = startChild('attach-and-idle.mjs', [name]);
    try {
      await child.message(10_000);
      ns.destroy();
      expect(exists(name)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await child.exit(10_000).catch(() => undefined);
    }
  });

  it('a bad option is a typed error before anything is removed', () => {
    const name = uniqueName('rm-args');
    Channel.create(name).close();
    expect(() => Channel.unlink(name, { force: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_INVALID_ARG_TYPE' }));
    expect(() => Channel.unlink(name, { forse: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_INVALID_ARG_VALUE' }));
    expect(exists(name)).toBe(true);
    expect(Channel.unlink(name)).toBe(true);
  });
});
