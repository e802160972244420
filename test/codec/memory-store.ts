/**
 * A StructureStore in one process's memory, for codec unit tests: the same contract as the
 * shared store (append-only, save only at the expected version, false when full), and knobs
 * to make it misbehave.
 */
import type { Structure, StructureStore } from '../../src/codec/index.js';

export class MemoryStructureStore implements StructureStore {
  readonly list: Structure[] = [];
  loads = 0;
  saves = 0;
  /** Throw from load() (a damaged store). */
  failLoad = false;
  /** Called at the start of save(), before the version check: lets a test slip another writer in. */
  beforeSave: (() => void) | undefined;

  constructor(private readonly capacity = 32) {}

  load(): { version: number; structures: readonly Structure[] } {
    this.loads++;
    if (this.failLoad) throw new Error('damaged');
    return { version: this.list.length, structures: this.list.slice() };
  }

  save(structures: readonly Structure[], expectedVersion: number): boolean {
    this.saves++;
    const before = this.beforeSave;
    this.beforeSave = undefined;
    before?.();
    if (expectedVersion !== this.list.length || structures.length > this.capacity) return false;
    for (let i = expectedVersion; i < structures.length; i++) this.list.push([...structures[i]!]);
    return true;
  }
}
