/**
 * What a name holds, said one way by every class that opens, creates or removes sections by
 * name (Namespace, Channel, Mailbox, Broadcast): "'x' holds a channel, not a namespace: open
 * it with Channel.open". The remedy names the class that does handle what the name holds.
 */
import { KindMismatchError } from '../errors.js';
import { platform } from '../platform/index.js';
import { describeSection } from '../section/list.js';

/** The call that opens each kind of section. */
const OPENER: Readonly<Record<string, string>> = {
  namespace: 'Namespace.open',
  channel: 'Channel.open',
  mailbox: 'Mailbox.open',
  broadcast: 'Broadcast.open',
  pool: 'Pool.connect',
  raw: 'Section.open',
};

/** The call that removes each kind of section by name. */
const REMOVER: Readonly<Record<string, string>> = {
  namespace: 'Namespace.destroy',
  channel: 'Channel.unlink',
  mailbox: 'Mailbox.unlink',
  broadcast: 'Broadcast.unlink',
  pool: 'Section.unlink',
  raw: 'Section.unlink',
};

/** KindMismatchError for section `name`, which holds `found` where the call wanted `wanted`. */
export function holdsOtherKind(name: string, found: string, wanted: string, action: 'open' | 'remove'): KindMismatchError {
  const call = (action === 'open' ? OPENER : REMOVER)[found];
  return KindMismatchError.holds(`'${name}'`, found, wanted, call === undefined ? undefined : `${action} it with ${call}`);
}

/**
 * The kind section `name` holds, read from its header without attaching or waiting:
 * undefined when there is no such section, 'unknown' when its header cannot be read (not a
 * shmkit section, another format, a creator still at its first page).
 */
export function peekKind(name: string, file?: string): string | undefined {
  return describeSection(platform(), name, file)?.kind;
}
