/**
 * Mailbox: an MPSC channel that belongs to one process (or thread), found by name. Anyone may
 * send to it; only its owner receives. The owner is recorded in the ring header (an owner
 * word: pid and start-time hash), so a receive from anyone else is a NotOwnerError rather
 * than two receivers silently splitting the messages.
 */
import { InvalidArgValueError } from '../errors.js';
import { ownerWord } from '../layout/owner.js';
import { RING_KIND_MPSC, RING_OWNER_OFFSET } from '../layout/ring.js';
import { validateKnownKeys, validateObject } from '../validate.js';
import { Channel, type ChannelOpenOptions } from './channel.js';
import type { CodecOption } from '../codec/index.js';
import { ownSections, type OwnSection, type OwnSectionUnlinkOptions } from './own-section.js';

const OWNER = RING_OWNER_OFFSET >> 2;

/** Options of Mailbox.create. */
export interface MailboxCreateOptions {
  /** Ring bytes, a power of two from 1 KiB to 1 GiB (default 1 MiB). Largest message: half. */
  capacity?: number;
  /** How this handle encodes and decodes values: 'msgpack' (default), 'raw' or your own. */
  codec?: CodecOption;
  /** Permission bits of the section, 0o600 by default. */
  mode?: number;
}

/**
 * An MPSC channel that belongs to the process (on Linux, the thread) that created it, found
 * by name: anyone may send to it, only its owner receives (others get NotOwnerError). Unlike
 * a Channel, its receiver waits also while no sender has it open.
 */
export class Mailbox<T = unknown> extends Channel<T> {
  /** Creates the mailbox of this process (its owner) under `name`. */
  static override create<T = unknown>(name: string, options: MailboxCreateOptions = {}): Mailbox<T> {
    const { request, codec } = Channel.parseCreate(options, 'mailbox', [], RING_KIND_MPSC);
    const section = ownSections().create(name, request, 'Mailbox');
    const identity = section.waiter.identity;
    Atomics.store(new Int32Array(section.buffer, 0, 8), OWNER, ownerWord(identity.pid, identity.startTime));
    return Mailbox.wrap<T>(section, codec);
  }

  /** Opens someone's mailbox to send to it (or the owner's own, after a restart of its handle). */
  static override open<T = unknown>(name: string, options: ChannelOpenOptions = {}): Mailbox<T> {
    const parsed = validateObject<ChannelOpenOptions>(options, 'options');
    validateKnownKeys(parsed, ['codec', 'timeout', 'wait'], 'options');
    const section = ownSections().open(name, { timeout: parsed.timeout, wait: parsed.wait }, 'Mailbox'); // another kind: KindMismatchError
    return Mailbox.wrap<T>(section, parsed.codec);
  }

  /**
   * A mailbox has one owner, its creator: openOrCreate would make whoever comes first the
   * owner. Create it in the owner, and open it (with { wait }) everywhere else.
   */
  static override openOrCreate(): never {
    throw new InvalidArgValueError('Mailbox.openOrCreate: a mailbox belongs to the process that creates it; call Mailbox.create in the owner and Mailbox.open(name, { wait: ms }) in senders');
  }

  /**
   * Removes a mailbox's name; false if there was none. While live processes other than this
   * one have it open: SectionInUseError, unless `force: true` (they keep their mapping;
   * later opens do not find it). A name that holds another kind (a channel too) is
   * KindMismatchError and stays.
   */
  static override unlink(name: string, options: OwnSectionUnlinkOptions = {}): boolean {
    return ownSections().unlink(name, 'Mailbox', options);
  }

  private static wrap<T>(section: OwnSection, codec: CodecOption | undefined): Mailbox<T> {
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

  /**
   * Whether this process (thread, on Linux) owns the mailbox and so may receive from it; any
   * receive by another is NotOwnerError.
   */
  get isOwner(): boolean {
    const identity = this.section!.waiter.identity;
    return Atomics.load(this.ring.header, OWNER) === ownerWord(identity.pid, identity.startTime);
  }
}
