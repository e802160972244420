/**
 * Journal: an undo log that makes a namespace write all-or-nothing across a crash.
 *
 * Every word a write operation changes in shared structures (heap tags and lists, table
 * slots, namespace header fields) goes through journal.write(), which first appends
 * (word index, old value) to the log and then stores the new value. New bytes written into
 * freshly allocated blocks are not logged: undoing the allocation makes them free space again.
 * commit() empties the log (one store: the commit point). A writer killed before commit
 * leaves a non-empty log; the next holder of the namespace lock (robust Mutex recovery)
 * calls rollback(), which restores the old values newest first, so every key holds its old
 * value and the heap is as it was.
 *
 * Layout (at `byteOffset`, `capacity` entries):
 *   +0  count (i32): entries in the log; 0 = nothing to undo
 *   +4  reserved (i32)
 *   +8  entries: capacity x { word index (i32), old value (i32) }
 *
 * A write or group too large for the log fails with NamespaceFullError and is undone: the
 * log is never emptied before the operation ends, or a rollback could not restore it whole.
 */
import { pauseHook } from '../sync/pause-points.js';
export const JOURNAL_HEADER_LENGTH = 8;
export const JOURNAL_ENTRY_LENGTH = 8;

export class Journal {
  private readonly log: Int32Array;
  private readonly all: Int32Array;
  private count = 0;
  private active = false;

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    readonly capacity: number,
    private readonly onFull: () => void,
  ) {
    this.log = new Int32Array(buffer, byteOffset, (JOURNAL_HEADER_LENGTH + capacity * JOURNAL_ENTRY_LENGTH) >> 2);
    this.all = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }

  static byteLength(capacity: number): number {
    return JOURNAL_HEADER_LENGTH + capacity * JOURNAL_ENTRY_LENGTH;
  }

  /** Entries a crash left behind (0 when the last writer committed). */
  get pending(): number {
    return Atomics.load(this.log, 0);
  }

  begin(): void {
    this.active = true;
    this.count = Atomics.load(this.log, 0);
  }

  /** Logs the old value of `words[index]`, then writes `value`. */
  write(words: Int32Array, index: number, value: number): void {
    if (!this.active) {
      words[index] = value;
      return;
    }
    const global = (words.byteOffset >> 2) + index;
    // Logged even when unchanged: the allocator rewrites a block's link words only so that
    // their values are logged before the caller overwrites them without the journal.
    const old = this.all[global]!;
    if (this.count === this.capacity) this.onFull();
    const at = 2 + this.count * 2;
    this.log[at] = global;
    this.log[at + 1] = old;
    this.count++;
    // Plain stores, in program order: a killed process leaves every store it executed in the
    // mapping, so the entry is there before the change it describes. (The crash we guard
    // against is SIGKILL, not power loss: a file-backed namespace is not a database.)
    this.log[0] = this.count;
    pauseHook?.('store.journal');
    words[index] = value;
  }

  /**
   * Logs the old values of `count` words from `first` (an index into the whole buffer), which
   * the caller then changes itself: how a value rewritten in place is made undoable with one
   * count store instead of one per word.
   */
  logRange(first: number, count: number): void {
    if (!this.active) return;
    if (this.count + count > this.capacity) this.onFull();
    const log = this.log;
    const all = this.all;
    let at = 2 + this.count * 2;
    for (let i = 0; i < count; i++, at += 2) {
      log[at] = first + i;
      log[at + 1] = all[first + i]!;
    }
    this.count += count;
    this.log[0] = this.count; // after the entries, before the caller's stores (see write)
    pauseHook?.('store.journal');
  }

  /** The operation is complete: forget the log (the commit point). */
  commit(): void {
    if (this.count !== 0) {
      this.count = 0;
      Atomics.store(this.log, 0, 0);
    }
    this.active = false;
  }


  /** A point to undo back to (undoTo), for one failed write inside a group. */
  mark(): number {
    return this.count;
  }

  /** Undoes the entries made since `mark`, newest first, and keeps the rest. */
  undoTo(mark: number): void {
    mark = Math.max(0, Math.min(mark, this.count));
    for (let i = this.count - 1; i >= mark; i--) {
      const global = this.log[2 + i * 2]!;
      if (global >= 0 && global < this.all.length) this.all[global] = this.log[3 + i * 2]!;
    }
    this.count = mark;
    Atomics.store(this.log, 0, mark);
  }

  /** Undoes what a dead writer left, newest first. Returns how many words were restored. */
  rollback(): number {
    const count = Math.max(0, Math.min(this.capacity, Atomics.load(this.log, 0))); // a damaged count must not run away
    for (let i = count - 1; i >= 0; i--) {
      const global = this.log[2 + i * 2]!;
      if (global >= 0 && global < this.all.length) this.all[global] = this.log[3 + i * 2]!;
    }
    Atomics.store(this.log, 0, 0);
    this.count = 0;
    this.active = false;
    return count;
  }
}
