/**
 * The port through which Channel, Mailbox and Broadcast put a ring on a section of their own
 * (`Channel.create(name)` and friends) without channel/ importing section/: SPEC.md's layer
 * table keeps channel/ to layout, errors, codec and sync. The implementation lives above
 * (src/named/section-provider.ts) and is installed by the package entry point (src/index.ts).
 */
import type { Waiter } from '../sync/waiter.js';

/** A named section as a standalone channel sees it. */
export interface OwnSection {
  readonly name: string;
  readonly buffer: ArrayBuffer;
  readonly waiter: Waiter;
  /** The layout kind in the section header: 'channel', 'mailbox', 'broadcast', ... */
  readonly kind: string;
  /** True if this call created it (openOrCreate). */
  readonly created: boolean;
  close(): void;
}

/** What a standalone object asks for when it creates its section. */
export interface OwnSectionRequest {
  size: number;
  kind: 'channel' | 'mailbox' | 'broadcast';
  mode?: number;
  /** Lays out the empty object; runs once, in the creating process, before anyone sees it. */
  initialize(buffer: ArrayBuffer): void;
}

export interface OwnSectionOpenOptions {
  /** Ms to wait for a creator that is still initialising the section (default 5000). */
  timeout?: number;
  /** Ms to wait for a section that nobody has created yet (default 0: not found at once). */
  wait?: number;
}

/** Options of Channel.unlink, Mailbox.unlink and Broadcast.unlink. */
export interface OwnSectionUnlinkOptions {
  /**
   * Remove it even while live processes other than this one have it open (they keep their
   * mapping; later opens no longer find the name). Default false: SectionInUseError.
   */
  force?: boolean;
}

/**
 * Creates, opens and removes the sections of standalone objects. `what` is the class the user
 * called ('Channel', 'Mailbox', 'Broadcast'): errors name it ("create it with Channel.create").
 * A name that holds another kind of section than the class handles (a Channel opens and
 * removes a mailbox too) is KindMismatchError, and nothing is opened, created or removed.
 */
export interface SectionProvider {
  create(name: string, request: OwnSectionRequest, what: string): OwnSection;
  open(name: string, options: OwnSectionOpenOptions, what: string): OwnSection;
  openOrCreate(name: string, request: OwnSectionRequest & { timeout?: number }, what: string): OwnSection;
  unlink(name: string, what: string, options?: OwnSectionUnlinkOptions): boolean;
}

let provider: SectionProvider | undefined;

export function installSectionProvider(implementation: SectionProvider): void {
  provider = implementation;
}

export function ownSections(): SectionProvider {
  if (!provider) throw new Error("shmkit: no section provider installed; import Channel, Mailbox and Broadcast from 'shmkit'");
  return provider;
}
