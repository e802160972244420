/**
 * A name that holds another kind of object than the call is for: one typed error,
 * KindMismatchError, with one message shape ("'x' holds a channel, not a namespace: open it
 * with Channel.open") from every class, and nothing opened, created or changed.
 */
import { describe, expect, it } from 'vitest';
import { Broadcast, Channel, KindMismatchError, Mailbox, Namespace, Section, SectionNotFoundError } from '../../src/index.js';
import { uniqueName } from '../helpers/names.js';

function refusal(call: () => unknown): KindMismatchError {
  let caught: unknown;
  try {
    const opened = call() as { close?: () => void } | undefined;
    opened?.close?.();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KindMismatchError);
  expect((caught as KindMismatchError).code).toBe('ERR_SHMKIT_KIND_MISMATCH');
  return caught as KindMismatchError;
}

/** The live processes attached to `name`: a refused open must not stay attached. */
function attached(name: string): number[] {
  return Section.list().find((section) => section.name === name)?.attachedPids ?? [];
}

describe('opening a name that holds another kind', () => {
  it('a channel opened as a namespace, mailbox or broadcast', () => {
    const name = uniqueName('kind-ch');
    using channel = Channel.create<number>(name);
    const cases: Array<[() => unknown, string]> = [
      [() => Namespace.open(name), 'namespace'],
      [() => Namespace.open(name, { reuse: true }), 'namespace'],
      [() => Mailbox.open(name), 'mailbox'],
      [() => Broadcast.open(name), 'broadcast'],
      [() => Broadcast.openOrCreate(name), 'broadcast'],
      [() => Mailbox.create(name), 'mailbox'],
      [() => Broadcast.create(name), 'broadcast'],
    ];
    for (const [call, wanted] of cases) {
      const error = refusal(call);
      expect(error.message).toBe(`'${name}' holds a channel, not a ${wanted}: open it with Channel.open`);
      expect([error.found, error.wanted]).toEqual(['channel', wanted]);
    }
    expect(attached(name)).toEqual([process.pid]); // only the channel's own handle
    channel.trySend(1);
    expect(channel.tryReceive()).toEqual({ value: 1 });
  });

  it('a namespace opened as a channel, mailbox or broadcast, created over, or opened-or-created over', () => {
    const name = uniqueName('kind-ns');
    using ns = Namespace.open(name, { size: 1 << 20 });
    ns.set('k', 1);
    const calls = [
      () => Channel.open(name),
      () => Channel.create(name),
      () => Channel.openOrCreate(name),
      () => Mailbox.open(name),
      () => Mailbox.create(name),
      () => Broadcast.open(name),
      () => Broadcast.create(name),
      () => Broadcast.openOrCreate(name),
    ];
    for (const call of calls) expect(refusal(call).message).toMatch(new RegExp(`^'${name}' holds a namespace, not an? (channel|mailbox|broadcast): open it with Namespace.open$`));
    expect(attached(name)).toEqual([process.pid]);
    expect(ns.get('k')).toBe(1);
  });

  it('a mailbox is a channel (Channel.open takes it) but not a broadcast; a channel is not a mailbox', () => {
    const name = uniqueName('kind-mb');
    using mailbox = Mailbox.create<number>(name);
    using asChannel = Channel.open<number>(name);
    asChannel.trySend(5);
    expect(mailbox.tryReceive()).toEqual({ value: 5 });
    expect(refusal(() => Channel.openOrCreate(name)).message).toBe(`'${name}' holds a mailbox, not a channel: open it with Mailbox.open`);
    expect(refusal(() => Channel.create(name)).message).toBe(`'${name}' holds a mailbox, not a channel: open it with Mailbox.open`);
    expect(refusal(() => Broadcast.open(name)).message).toBe(`'${name}' holds a mailbox, not a broadcast: open it with Mailbox.open`);
  });

  it("a plain section opened as a namespace names Section.open", () => {
    const name = uniqueName('kind-raw');
    using section = Section.create(name, { size: 4096 });
    void section;
    expect(refusal(() => Namespace.open(name)).message).toBe(`'${name}' holds a plain section, not a namespace: open it with Section.open`);
  });

  it('Namespace.open of a missing name with reuse or create: false names Namespace, and creates nothing', () => {
    const name = uniqueName('kind-missing');
    for (const options of [{ reuse: true }, { create: false }]) {
      let caught: unknown;
      try {
        Namespace.open(name, options).close();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SectionNotFoundError);
      expect((caught as Error).message).toMatch(new RegExp(`^namespace '${name}' does not exist; .*Namespace\\.open\\('${name}'\\)`));
      expect((caught as Error).message).not.toContain('Section.create');
    }
    expect(Namespace.exists(name)).toBe(false);
  });

  it('inside a namespace: an object asked for as another kind says what it holds, in the same shape', () => {
    using ns = Namespace.open(uniqueName('kind-dir'), { size: 1 << 20 });
    ns.cache('x');
    ns.event('e');
    expect(refusal(() => ns.mutex('x')).message).toBe(`'x' in this namespace holds a cache, not a mutex: open it with ns.cache('x')`);
    expect(refusal(() => ns.channel('e')).message).toBe(`'e' in this namespace holds an event, not a channel: open it with ns.event('e')`);
  });
});
