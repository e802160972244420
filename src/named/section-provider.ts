/**
 * Sections of their own for Channel, Mailbox and Broadcast (the port is
 * src/channel/own-section.ts): create, open (optionally waiting for another process to create
 * the name), openOrCreate and unlink, with errors that name the class the user called. Each
 * checks what the name holds first: another kind is KindMismatchError (src/named/kinds.ts).
 */
import { SectionExistsError, SectionNotFoundError } from '../errors.js';
import { Section } from '../section/index.js';
import type { OwnSection, OwnSectionOpenOptions, OwnSectionRequest, OwnSectionUnlinkOptions, SectionProvider } from '../channel/own-section.js';
import { validateTimeout } from '../validate.js';
import { holdsOtherKind, peekKind } from './kinds.js';
import { removeByName } from './remove-by-name.js';

/** Longest sleep between two looks for a name that does not exist yet. */
const MAX_LOOK_INTERVAL_MS = 50;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function noun(what: string): string {
  return what.toLowerCase();
}

/** The kinds of section each class opens and removes by name: a Channel handles a mailbox too (a Mailbox is a Channel). */
function kindsOf(what: string): readonly string[] {
  return what === 'Channel' ? ['channel', 'mailbox'] : [noun(what)];
}

/** The section, if it holds one of `kinds`; else it is closed and KindMismatchError thrown. */
function ofKind(section: OwnSection, kinds: readonly string[], what: string): OwnSection {
  if (kinds.includes(section.kind)) return section;
  section.close();
  throw holdsOtherKind(section.name, section.kind, noun(what), 'open');
}

/**
 * When the name is left over from processes that died (a crash, a SIGKILL), what to do about
 * it: opening it would hand the user a dead run's ring. Undefined when it is in use or cannot
 * be told (only asked on the error path).
 */
function staleHint(name: string, what: string): string | undefined {
  const info = Section.list().find((section) => section.name === name);
  if (info === undefined || !info.stale) return undefined;
  const dead = info.deadPids.length > 0 ? ` (process${info.deadPids.length > 1 ? 'es' : ''} ${info.deadPids.join(', ')} died)` : '';
  return `it is stale${dead}: remove it with ${what}.unlink('${name}') or \`npx shmkit gc\`, or reuse it with ${what}.open`;
}

export const sectionProvider: SectionProvider = {
  create(name: string, request: OwnSectionRequest, what: string): OwnSection {
    try {
      return Section.create(name, request);
    } catch (error) {
      if (!(error instanceof SectionExistsError)) throw error;
      const kind = peekKind(name);
      if (kind !== undefined && kind !== 'unknown' && kind !== request.kind) throw holdsOtherKind(name, kind, request.kind, 'open');
      throw new SectionExistsError(name, `${noun(what)} '${name}' already exists; ${staleHint(name, what) ?? `open it with ${what}.open, or use ${what}.openOrCreate`}`);
    }
  },

  /**
   * Opens `name`; with `wait`, a name nobody has created yet is looked for again (1 ms, then
   * doubling up to 50 ms between looks) until it appears or `wait` ms have passed. This blocks
   * the calling thread, as every open does.
   */
  open(name: string, options: OwnSectionOpenOptions, what: string): OwnSection {
    const wait = validateTimeout(options.wait, 'options.wait', 0);
    const deadline = performance.now() + wait;
    let interval = 1;
    for (;;) {
      try {
        return ofKind(Section.open(name, options.timeout === undefined ? {} : { timeout: options.timeout }), kindsOf(what), what);
      } catch (error) {
        if (!(error instanceof SectionNotFoundError)) throw error;
        const left = deadline - performance.now();
        if (left <= 0) {
          const waited = wait > 0 ? ` (waited ${wait} ms)` : '';
          throw new SectionNotFoundError(
            name,
            `${noun(what)} '${name}' does not exist${waited}; create it with ${what}.create, use ${what}.openOrCreate, or pass { wait: ms } to wait for another process to create it`,
          );
        }
        sleepSync(Math.min(interval, left));
        interval = Math.min(interval * 2, MAX_LOOK_INTERVAL_MS);
      }
    }
  },

  openOrCreate(name: string, request: OwnSectionRequest & { timeout?: number }, what: string): OwnSection {
    return ofKind(Section.openOrCreate(name, request), [request.kind], what);
  },

  unlink(name: string, what: string, options?: OwnSectionUnlinkOptions): boolean {
    return removeByName(name, options, { noun: noun(what), kinds: kindsOf(what), remover: `${what}.unlink` });
  },
};
