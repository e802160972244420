/**
 * Mailbox: an MPSC channel that belongs to one process (or thread), found by name. Anyone may
 * send to it; only its owner receives. The owner is recorded in the ring header (an owner
 * word: pid and start-time hash), so a receive from anyone else is a NotOwnerError rather
 * than two receivers silently splitting the messages.
 */
import { NotOwnerError } from '../errors.js';
import { ownerWord } from '../layout/owner.js';
import { RING_KIND_MPSC, RING_OWNER_OFFSET, ringLength } from '../layout/ring.js';
import { Section } from '../section/section.js';
import type { WaitOptionsArg } from '../sync/wait-options.js';
import { validateKnownKeys, validateObject } from '../validate.js';
import { Channel, DEFAULT_CAPACITY, type ChannelOpenOptions } from './channel.js';
import type { CodecOption } from '../codec/index.js';
import { initializeRing, validateCapacity } from './ring-base.js';

const OWNER = RING_OWNER_OFFSET >> 2;

export interface MailboxCreateOptions {
  capacity?: number;
  codec?: CodecOption;
  mode?: number;
}

export class Mailbox<T = unknown> extends Channel<T> {
  /** Creates the mailbox of this process (its owner) under `name`. */
  static override create<T = unknown>(name: string, options: MailboxCreateOptions = {}): Mailbox<T> {
    const parsed = validateObject<MailboxCreateOptions>(options, 'options');
    validateKnownKeys(parsed, ['capacity', 'codec', 'mode'], 'options');
    const capacity = validateCapacity(parsed.capacity ?? DEFAULT_CAPACITY);
    const section = Section.create(name, {
      size: ringLength(capacity),
      kind: 'mailbox',
      ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
      initialize: (buffer) => initializeRing(buffer, 0, capacity, RING_KIND_MPSC),
    });
    const identity = section.waiter.identity;
    Atomics.store(new Int32Array(section.buffer, 0, 8), OWNER, ownerWord(identity.pid, identity.startTime));
    return Mailbox.wrap<T>(section, parsed.codec);
  }

  /** Opens someone's mailbox to send to it (or the owner's own, after a restart of its handle). */
  static override open<T = unknown>(name: string, options: ChannelOpenOptions = {}): Mailbox<T> {
    const parsed = validateObject<ChannelOpenOptions>(options, 'options');
    validateKnownKeys(parsed, ['codec', 'timeout'], 'options');
    const section = Section.open(name, parsed.timeout === undefined ? {} : { timeout: parsed.timeout });
    return Mailbox.wrap<T>(section, parsed.codec);
  }

  private static wrap<T>(section: Section, codec: CodecOption | undefined): Mailbox<T> {
    try {
      return new Mailbox<T>(section.buffer, 0, section.waiter, { codec, section });
    } catch (error) {
      section.close();
      throw error;
    }
  }

  /** Anyone may send to a mailbox at any time: its owner waits, also when no sender is open now. */
  protected override get watchesSenders(): boolean {
    return false;
  }

  /** Whether this process owns the mailbox (and so may receive from it). */
  get isOwner(): boolean {
    const identity = this.section!.waiter.identity;
    return Atomics.load(this.ring.header, OWNER) === ownerWord(identity.pid, identity.startTime);
  }

  private checkOwner(): void {
    if (!this.isOwner) throw new NotOwnerError(`only the owner of mailbox '${this.section!.name}' may receive from it`);
  }

  override tryReceive(): { value: T } | undefined {
    this.checkOwner();
    return super.tryReceive();
  }

  override receive(options?: WaitOptionsArg): Promise<T> {
    this.checkOwner();
    return super.receive(options);
  }

  override receiveSync(options?: WaitOptionsArg): T {
    this.checkOwner();
    return super.receiveSync(options);
  }

  override tryRead(): Uint8Array | undefined {
    this.checkOwner();
    return super.tryRead();
  }

  override read(options?: WaitOptionsArg): Promise<Uint8Array> {
    this.checkOwner();
    return super.read(options);
  }

  override readSync(options?: WaitOptionsArg): Uint8Array {
    this.checkOwner();
    return super.readSync(options);
  }

  override tryReadInto(target: Uint8Array): number {
    this.checkOwner();
    return super.tryReadInto(target);
  }
}
