// Standalone channels, mailboxes and broadcasts: create / open / openOrCreate / open with
// wait, and errors that name the class the user called.
import { describe, expect, it } from 'vitest';
import { Broadcast, Channel, InvalidArgValueError, Mailbox, OptionsMismatchError, OutOfRangeError, SectionExistsError, SectionNotFoundError } from '../../src/index.js';
import { startChild } from '../helpers/child.js';
import { uniqueName } from '../helpers/names.js';

describe('standalone objects', () => {
  it('errors name the class that was called', () => {
    const name = uniqueName('named-errors');
    expect(() => Channel.open(name)).toThrow(/channel '.*' does not exist; create it with Channel\.create/);
    expect(() => Broadcast.open(name)).toThrow(/broadcast '.*' does not exist; create it with Broadcast\.create/);
    expect(() => Mailbox.open(name)).toThrow(/mailbox '.*' does not exist; create it with Mailbox\.create/);
    expect(() => Channel.open(name)).toThrow(SectionNotFoundError);
    using channel = Channel.create(name);
    expect(() => Channel.create(name)).toThrow(SectionExistsError);
    expect(() => Channel.create(name)).toThrow(/channel '.*' already exists; open it with Channel\.open, or use Channel\.openOrCreate/);
    expect(channel.created).toBe(true);
  });

  it("a name left by a process that died says so, and how to remove it; a live creator's does not", async () => {
    const name = uniqueName('stale-create');
    const child = startChild('create-channel-and-idle.mjs', [name]);
    expect(await child.message(10_000)).toBe('created');
    expect(() => Channel.create(name)).toThrow(/already exists; open it with Channel\.open/);
    child.kill('SIGKILL');
    await child.exit(10_000);
    expect(() => Channel.create(name)).toThrow(SectionExistsError);
    expect(() => Channel.create(name)).toThrow(new RegExp(`already exists; it is stale \\(process ${child.process.pid} died\\): remove it with Channel\\.unlink\\('${name}'\\) or \`npx shmkit gc\``));
    expect(Channel.unlink(name)).toBe(true);
    using fresh = Channel.create(name);
    expect(fresh.created).toBe(true);
  });

  it('openOrCreate: the first call creates, the others open; other options than the existing ones are refused', () => {
    const name = uniqueName('open-or-create');
    using first = Channel.openOrCreate<number>(name, { kind: 'spsc', capacity: 4096 });
    using second = Channel.openOrCreate<number>(name);
    expect([first.created, second.created]).toEqual([true, false]);
    expect(second.options).toEqual({ kind: 'spsc', capacity: 4096 });
    expect(() => Channel.openOrCreate(name, { kind: 'mpmc' })).toThrow(OptionsMismatchError);
    expect(() => Channel.openOrCreate(name, { capacity: 8192 })).toThrow(OptionsMismatchError);
    first.trySend(1);
    expect(second.tryReceive()).toEqual({ value: 1 });

    const broadcastName = uniqueName('bcast-open-or-create');
    using writer = Broadcast.openOrCreate<number>(broadcastName, { capacity: 4096 });
    using reader = Broadcast.openOrCreate<number>(broadcastName);
    expect([writer.created, reader.created]).toEqual([true, false]);
    expect(() => Broadcast.openOrCreate(broadcastName, { capacity: 1024 })).toThrow(OptionsMismatchError);
    writer.publish(7);
    expect(reader.tryReceive()?.value).toBe(7);
    expect(() => Mailbox.openOrCreate()).toThrow(InvalidArgValueError);
  });

  it('a channel opened as a broadcast (and back) is refused, and nothing stays attached', () => {
    const name = uniqueName('wrong-kind');
    using channel = Channel.create(name);
    expect(() => Broadcast.open(name)).toThrow(/holds a channel, not a broadcast/);
    expect(() => Mailbox.open(name)).toThrow(/holds a channel, not a mailbox/);
    expect(Channel.unlink(name)).toBe(true);
    void channel;
  });

  it('open({ wait }) waits for another process to create the name; gives up with the time it waited', async () => {
    const name = uniqueName('open-wait');
    const started = performance.now();
    expect(() => Channel.open(name, { wait: 50 })).toThrow(/does not exist \(waited 50 ms\)/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(() => Channel.open(name, { wait: -1 })).toThrow(OutOfRangeError);
    // A child creates it 200 ms from now; this thread waits for it (open blocks, so the child does the creating).
    const child = startChild('create-channel-later.mjs', [name, '200']);
    try {
      using channel = Channel.open<string>(name, { wait: 20_000 });
      expect(await channel.receive({ timeout: 20_000 })).toBe('hello');
      expect(await child.message()).toBe('done');
    } finally {
      await child.exit(20_000);
    }
  });
});
