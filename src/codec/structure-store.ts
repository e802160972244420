/**
 * Shared record structures: the StructureStore a 'msgpack' codec keeps its structures in, and
 * StructureTable, one codec's view of it.
 *
 * The contract follows msgpackr's getStructures / saveStructures (msgpackr README, "Shared
 * Record Structures"): load() gives the list; save() writes a longer list only if nobody else
 * saved since we loaded, and otherwise answers false, and the writer loads and tries again
 * (msgpackr compares list lengths for that, in its isCompatible check). Our stores are
 * append-only, so `version` is the number of structures and a structure's index never changes
 * meaning; store/structures.ts keeps them in shared memory for every process of a namespace.
 */
import { MAX_RECORD_KEYS, MAX_SHARED_STRUCTURES } from './records-format.js';

/** The keys of a record structure, in the order objects of that shape list them. */
export type Structure = readonly string[];

/**
 * Where a 'msgpack' codec keeps the record structures it shares with other codecs, as
 * msgpackr's getStructures / saveStructures: an append-only list, so an index never changes
 * meaning. A namespace gives its own, in shared memory; implement this to share them elsewhere.
 */
export interface StructureStore {
  /**
   * Every structure saved so far, in index order, and the version: their number. A later
   * load gives the same list, possibly with more at its end (append-only).
   */
  load(): { version: number; structures: readonly Structure[] };
  /**
   * Saves `structures` (the list loaded at `expectedVersion` with new ones at its end) if the
   * store is still at `expectedVersion`. False when another writer saved first (load and try
   * again) or when there is no room (then load gives the same version again): never throws
   * for either.
   */
  save(structures: readonly Structure[], expectedVersion: number): boolean;
}

/** Whether `keys` can be a shared structure (what every store entry must be). */
export function isValidStructure(keys: unknown): keys is Structure {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_RECORD_KEYS) return false;
  for (const key of keys) {
    if (typeof key !== 'string' || key === '__proto__' || !(key as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
  }
  return new Set(keys).size === keys.length;
}

/**
 * One codec's copy of the shared structures: what its writer may name and its reader can
 * read. It loads the store only when it must (a save lost a race, or a message names more
 * structures than it knows), and stops sharing for good when the store is full or damaged:
 * the codec then writes message-local records, and never fails a user's write for it.
 */
export class StructureTable {
  /** The shared structures known here; index s is record byte 0x40 + s. */
  readonly keys: Structure[] = [];
  private version = 0;
  /** No more structures fit. */
  private full = false;
  /** The store gave something that is not a valid append-only list: stop using it. */
  private broken = false;

  constructor(private readonly store: StructureStore) {
    this.reload();
  }

  /**
   * Loads what others saved. Keeps the known prefix (append-only) and at most 32 structures;
   * a list that does not extend the known one, or an invalid entry, breaks the table.
   */
  reload(): void {
    if (this.broken) return;
    let loaded: { version: number; structures: readonly Structure[] };
    try {
      loaded = this.store.load();
    } catch {
      this.broken = true;
      return;
    }
    const { version, structures } = (loaded ?? {}) as { version?: unknown; structures?: unknown };
    if (!Number.isInteger(version) || !Array.isArray(structures) || structures.length < this.keys.length || structures.length !== version) {
      this.broken = true;
      return;
    }
    for (let i = 0; i < this.keys.length; i++) {
      if (!sameKeys(this.keys[i]!, structures[i])) {
        this.broken = true;
        return;
      }
    }
    for (let i = this.keys.length; i < Math.min(structures.length, MAX_SHARED_STRUCTURES); i++) {
      const keys = structures[i];
      if (!isValidStructure(keys)) {
        this.broken = true; // the ones before it stay usable; none after it is trusted
        return;
      }
      this.keys.push(Object.freeze([...keys]));
    }
    this.version = version as number;
  }

  /**
   * Shares `keys` as a new structure: its index, or -1 (store full, damaged, or lost the race
   * too often). Another process may have shared the same keys first: then that index.
   */
  share(keys: Structure): number {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (this.full || this.broken || this.keys.length >= MAX_SHARED_STRUCTURES) return -1;
      const version = this.version;
      let saved: boolean;
      try {
        saved = this.store.save([...this.keys, keys], version) === true;
      } catch {
        this.broken = true;
        return -1;
      }
      if (saved) {
        this.keys.push(Object.freeze([...keys]));
        this.version = version + 1;
        return this.keys.length - 1;
      }
      const known = this.keys.length;
      this.reload();
      if (this.version === version) this.full = true; // refused, and nobody added anything: no room
      for (let i = known; i < this.keys.length; i++) if (sameKeys(this.keys[i]!, keys)) return i;
    }
    return -1;
  }

  /** Whether share() may still succeed (for tests and inspection). */
  get sharing(): boolean {
    return !this.full && !this.broken && this.keys.length < MAX_SHARED_STRUCTURES;
  }
}

function sameKeys(a: Structure, b: unknown): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
