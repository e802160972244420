/**
 * Shapes: the writer's index of object shapes (key lists) for msgpackr records. A trie keyed
 * by property name, one step per key in Object.keys order, so finding an object's shape costs
 * one map lookup per key and nothing is allocated once the shape is known (msgpackr's own
 * encoder keeps "transitions" the same way).
 *
 * Each shape is written as a shared structure when the StructureTable has it (one byte), and
 * otherwise as a message-local structure (defined inline the first time a message uses it).
 * A shape becomes shared the second time it is met, so a one-off shape (an object used as a
 * dictionary with changing keys) does not take one of the 32 shared slots for good.
 */
import { MAX_LOCAL_STRUCTURES } from './records-format.js';
import type { StructureTable } from './structure-store.js';

export class Shape {
  /** The shapes one key longer, by that key (a dictionary object: faster here than a Map). */
  readonly next: Record<string, Shape | undefined> = Object.create(null) as Record<string, Shape | undefined>;
  /** Index in the shared structures, or -1. */
  shared = -1;
  /** Times this shape was written while not shared. */
  seen = 0;
  /** The message that last defined it as local structure `local` (0: none). */
  message = 0;
  local = 0;
  /** Where in that message the definition starts (a rewound writer forgets definitions after a point). */
  definedAt = 0;
}

/** The shape of objects with a "__proto__" key or a key with lone surrogates: never a record. */
export const NOT_A_RECORD = new Shape();

/** Shapes met before sharing one. */
const SHARE_AFTER = 2;
/** The trie starts over (shared shapes kept) past this many shapes, so changing keys cannot grow it without bound. */
const MAX_SHAPES = 4096;

/**
 * What the writer puts where an object starts, as header() answers it: 0..31 shared structure
 * s (one byte 0x40 + s); 32..63 local structure l defined earlier in this message (one byte
 * 0x60 + l); 64..95 a new local structure l (its definition, then its values).
 */
export const SHARED_HEADER = 0;
export const LOCAL_HEADER = 32;
export const DEFINE_HEADER = 64;

export class Shapes {
  private root = new Shape();
  private count = 0;
  private synced = 0;
  private message = 0;
  private nextLocal = 0;
  /** The shape holding each local id in this message (only the first nextLocal are current). */
  private readonly locals: (Shape | undefined)[] = new Array<Shape | undefined>(MAX_LOCAL_STRUCTURES).fill(undefined);

  constructor(readonly table: StructureTable) {
    this.sync();
  }

  /** Starts a message: local structures start over. */
  beginMessage(): void {
    this.message = (this.message + 1) | 0 || 1;
    if (this.nextLocal !== 0) {
      this.nextLocal = 0;
      this.locals.fill(undefined);
    }
    if (this.count > MAX_SHAPES) {
      this.root = new Shape();
      this.count = 0;
      this.synced = 0;
    }
    if (this.synced !== this.table.keys.length) this.sync();
  }

  /** The shape of an object with these keys (NOT_A_RECORD if one of them cannot be a record key). */
  find(keys: readonly string[]): Shape {
    let shape = this.root;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let next = shape.next[key];
      if (next === undefined) next = this.add(shape, key);
      if (next === NOT_A_RECORD) return NOT_A_RECORD;
      shape = next;
    }
    return shape;
  }

  /** How to start a record of `shape` at byte `at` of the message (see SHARED_HEADER). */
  header(shape: Shape, keys: readonly string[], at: number): number {
    if (shape.shared >= 0) return SHARED_HEADER + shape.shared;
    if (shape.message === this.message) return LOCAL_HEADER + shape.local;
    if (++shape.seen >= SHARE_AFTER && this.table.sharing) {
      const index = this.table.share(keys);
      this.sync();
      if (index >= 0) {
        shape.shared = index;
        return SHARED_HEADER + index;
      }
    }
    // Local ids are reused round-robin in a message with more than 32 shapes: the shape that
    // had the id must be defined again if it comes back.
    const local = this.nextLocal++ % MAX_LOCAL_STRUCTURES;
    const previous = this.locals[local];
    if (previous !== undefined) previous.message = 0;
    this.locals[local] = shape;
    shape.message = this.message;
    shape.local = local;
    shape.definedAt = at;
    return DEFINE_HEADER + local;
  }

  /** The writer went back to byte `at`: definitions written after it are gone. */
  forgetAfter(at: number): void {
    for (const shape of this.locals) if (shape !== undefined && shape.message === this.message && shape.definedAt >= at) shape.message = 0;
  }

  /** How many shared structures a message may name. */
  get sharedCount(): number {
    return this.table.keys.length;
  }

  private add(parent: Shape, key: string): Shape {
    const shape = key === '__proto__' || !(key as unknown as { isWellFormed(): boolean }).isWellFormed() ? NOT_A_RECORD : new Shape();
    if (shape !== NOT_A_RECORD) this.count++;
    parent.next[key] = shape;
    return shape;
  }

  /** Marks the shapes of shared structures this trie has not seen yet. */
  private sync(): void {
    const keys = this.table.keys;
    for (; this.synced < keys.length; this.synced++) {
      const shape = this.find(keys[this.synced]!);
      if (shape !== NOT_A_RECORD && shape.shared < 0) shape.shared = this.synced;
    }
  }
}
