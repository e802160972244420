/**
 * The directory of a namespace: named objects (locks, events, channels, caches...) placed in
 * its heap, found or created by name and kind, as Boost.Interprocess's managed segments do.
 * A directory entry's value is 12 bytes: kind (u32), buffer offset (u32), length (u32).
 * Objects are never freed while the namespace exists.
 */
import { InvalidArgValueError, KindMismatchError } from '../errors.js';
import { validateName } from '../validate.js';
import { RETRY, type StoreCore } from './store-core.js';
import { HashTable, INCONSISTENT, NOT_FOUND, type EntryView } from './table.js';

export const OBJECT_KINDS = ['mutex', 'semaphore', 'event', 'barrier', 'channel', 'mailbox', 'broadcast', 'cache', 'structures', 'pool'] as const;
/** The namespace's shared record structures (codec): a name users cannot give (it starts with '.'). */
export const STRUCTURES_OBJECT_NAME = '.structures';
/**
 * What a named object of a namespace is. 'structures' is the codec's shared record
 * structures, which ns.objects() leaves out.
 */
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Objects start on this boundary (rings want 128). */
const OBJECT_ALIGNMENT = 128;

/** One named object of a namespace (ns.objects()). */
export interface DirectoryEntry {
  /** The name it was created with. */
  name: string;
  /** What it is. */
  kind: ObjectKind;
  /** Byte offset of the object in the namespace's section buffer (a multiple of 128). */
  offset: number;
  /** Bytes the object occupies. */
  length: number;
}

export class Directory {
  private readonly view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  private readonly record = new Uint8Array(12);
  private readonly recordView = new DataView(this.record.buffer);

  constructor(
    private readonly core: StoreCore,
    readonly table: HashTable,
  ) {}

  /**
   * The object `name` of `kind`: found, or created (`length` bytes, laid out by `initialize`
   * before anyone can find it). KindMismatchError if the name holds another kind.
   */
  findOrCreate(name: string, kind: ObjectKind, length: number, initialize: (offset: number) => void, create = true): { offset: number; created: boolean } {
    if (kind !== 'structures') validateName(name, `${kind} name`);
    const found = this.find(name);
    if (found) return { offset: this.check(found, name, kind), created: false };
    if (!create) throw new KindMismatchError(`no ${kind} named '${name}' exists in this namespace`);
    const core = this.core;
    if (core.holdsLock) {
      // A group that throws is undone, object and all, while the caller would keep a handle
      // into freed memory. Objects are made outside groups.
      throw new InvalidArgValueError(`create ${kind} '${name}' outside lock() / withLock() groups`);
    }
    // The codec's structures are made by Namespace.open itself: also with autolock off.
    return core.write(() => {
      const again = this.lookup(name); // someone may have created it while we waited
      if (again) return { offset: this.check(again, name, kind), created: false };
      const block = core.heap.allocate(length + OBJECT_ALIGNMENT);
      const offset = Math.ceil(block / OBJECT_ALIGNMENT) * OBJECT_ALIGNMENT;
      core.bytes.fill(0, offset, offset + length);
      initialize(offset);
      this.recordView.setUint32(0, OBJECT_KINDS.indexOf(kind), true);
      this.recordView.setUint32(4, offset, true);
      this.recordView.setUint32(8, length, true);
      core.encodeKey(name);
      this.table.put(core.key, core.keyLength, core.keyHash, this.record, 0, 1 + OBJECT_KINDS.indexOf(kind));
      return { offset, created: true };
    }, kind === 'structures');
  }

  find(name: string): DirectoryEntry | undefined {
    return this.core.read(() => this.lookup(name) ?? undefined) ?? undefined;
  }

  list(): DirectoryEntry[] {
    return this.core.read(() => {
      const entries: DirectoryEntry[] = [];
      for (const entry of this.table.entries()) {
        const described = this.describe(entry, this.table.keyOf(entry));
        if (!described) return RETRY;
        entries.push(described);
      }
      return entries;
    });
  }

  private lookup(name: string): DirectoryEntry | null | typeof RETRY {
    const core = this.core;
    core.encodeKey(name);
    const entry = this.table.find(core.key, core.keyLength, core.keyHash);
    if (entry === NOT_FOUND) return null;
    if (entry === INCONSISTENT) return RETRY;
    return this.describe(entry, name) ?? RETRY;
  }

  private describe(entry: number, name: string): DirectoryEntry | undefined {
    if (!this.table.read(entry, this.view) || this.view.valueLength !== 12) return undefined;
    const at = this.view.valueAt;
    const words = new DataView(this.core.buffer, at, 12);
    const kind = OBJECT_KINDS[words.getUint32(0, true)];
    const offset = words.getUint32(4, true);
    const length = words.getUint32(8, true);
    if (!kind || offset % OBJECT_ALIGNMENT !== 0 || offset + length > this.core.heap.readableEnd()) return undefined;
    return { name, kind, offset, length };
  }

  private check(entry: DirectoryEntry | typeof RETRY, name: string, kind: ObjectKind): number {
    if (entry === RETRY) throw new KindMismatchError(`the directory entry '${name}' is damaged`);
    if (entry.kind !== kind) {
      // Named as the user calls them: ns.cache('x'), ns.mutex('x')...
      const opener = entry.kind === 'structures' || entry.kind === 'pool' ? undefined : `open it with ns.${entry.kind}('${name}')`;
      throw KindMismatchError.holds(`'${name}' in this namespace`, entry.kind, kind, opener);
    }
    return entry.offset;
  }
}
