/**
 * Removal of a section by name for the classes that own a kind of section (Namespace.destroy,
 * Channel.unlink, Mailbox.unlink, Broadcast.unlink): the name must hold that kind, and a
 * section live processes still use is removed only with { force: true }.
 */
import { SectionInUseError } from '../errors.js';
import { Section } from '../section/index.js';
import { validateBoolean, validateKnownKeys, validateName, validateObject, validateString } from '../validate.js';
import { holdsOtherKind, peekKind } from './kinds.js';

/** Options of a removal by name. */
export interface RemoveOptions {
  /**
   * Remove it even while live processes other than this one have it open (they keep their
   * mapping; later opens no longer find the name). Default false: SectionInUseError.
   */
  force?: boolean;
}

export interface RemoveRequest {
  /** What the caller removes, for messages: 'namespace', 'channel'... */
  noun: string;
  /** The kinds of section this remover takes (a Channel takes a mailbox too). */
  kinds: readonly string[];
  /** The call, for messages: 'Namespace.destroy'. */
  remover: string;
  /** Option keys the caller accepts besides 'force' (Namespace.destroy: 'file'). */
  keys?: readonly string[];
}

/**
 * Removes section `name` if it holds one of `request.kinds`; true if it was there. A name
 * that holds another kind is KindMismatchError and stays; one whose kind cannot be read
 * (damaged, another format) is removed as Section.unlink would. The check and the removal
 * are not atomic: a name replaced in between by another kind is not seen.
 */
export function removeByName(name: string, options: (RemoveOptions & { file?: string }) | undefined, request: RemoveRequest): boolean {
  validateName(name, `${request.noun} name`);
  const parsed = validateObject<RemoveOptions & { file?: string }>(options ?? {}, 'options');
  validateKnownKeys(parsed, ['force', ...(request.keys ?? [])], 'options');
  const force = parsed.force === undefined ? false : validateBoolean(parsed.force, 'options.force');
  const file = parsed.file === undefined ? undefined : validateString(parsed.file, 'options.file');
  const kind = peekKind(name, file);
  if (kind !== undefined && kind !== 'unknown' && !request.kinds.includes(kind)) throw holdsOtherKind(name, kind, request.noun, 'remove');
  try {
    return Section.unlink(name, { force, ...(file === undefined ? {} : { file }) });
  } catch (error) {
    if (!(error instanceof SectionInUseError)) throw error;
    const pids = error.pids;
    throw new SectionInUseError(
      `${request.noun} '${name}' is in use by live process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')}; close it there first, ` +
        `or pass { force: true } to ${request.remover} to remove it anyway (they keep their mapping, later opens will not find it)`,
      pids,
    );
  }
}
