/**
 * verify() of a namespace: the heap's own walk, then every table: its directory and segments
 * are live heap blocks, each live entry is an allocated heap block that fits it, sits in the
 * bucket its hash names, is found again through its key (the chain is intact), and its value
 * is well framed (the codec decodes exactly its bytes); the counters match. Under the
 * namespace lock.
 */
import { CorruptHeapError, ShmkitError } from '../errors.js';
import { ENTRY_HEADER_LENGTH, SEGMENT_LENGTH, TABLE_DIRECTORY_OFFSET } from '../layout/namespace.js';
import type { StoreCore } from './store-core.js';
import { hashBytes, type EntryView, type HashTable } from './table.js';

export function verifyNamespace(core: StoreCore, tables: HashTable[]): void {
  core.heap.verify();
  const view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  tables.forEach((table, t) => {
    const fail = (message: string): never => {
      throw new CorruptHeapError(`table ${t}: ${message}`);
    };
    const directory = core.all[(table.headerOffset + TABLE_DIRECTORY_OFFSET) >> 2]!;
    const n = table.buckets;
    liveBlock(core, directory, 4, () => fail(`its directory (${directory}) is not a live heap block`));
    const capacity = core.all[directory >> 2]!;
    if (capacity < 1 || core.heap.sizeOf(directory) < 4 * (1 + capacity)) fail(`its directory capacity ${capacity} does not fit its block`);
    if (n < 1 || (n - 1) >> 8 >= capacity) fail(`${n} buckets do not fit a directory of ${capacity} segments`);
    for (let s = 0; s <= (n - 1) >> 8; s++) {
      const segment = core.all[(directory >> 2) + 1 + s]!;
      liveBlock(core, segment, SEGMENT_LENGTH, () => fail(`segment ${s} (${segment}) is not a live heap block`));
    }
    let count = 0;
    let bytes = 0;
    for (const entry of table.entries()) {
      if (!table.read(entry, view)) fail(`entry at ${entry} has an impossible header (its lengths do not fit its heap block)`);
      const size = table.entrySize(entry);
      if (core.heap.sizeOf(entry) < size) fail(`entry at ${entry} is larger than its heap block`);
      const key = core.bytes.slice(entry + ENTRY_HEADER_LENGTH, entry + ENTRY_HEADER_LENGTH + view.keyLength);
      const hash = hashBytes(key, key.length);
      if (table.hashOf(entry) !== hash) fail(`entry at ${entry} ('${table.keyOf(entry)}') holds a hash that is not its key's`);
      if (table.find(key, key.length, hash) !== entry) fail(`key '${table.keyOf(entry)}' cannot be found through its hash`);
      if (view.type === 0) checkValue(core, view, () => `entry '${table.keyOf(entry)}' (table ${t})`);
      count++;
      bytes += size;
    }
    if (count !== table.count) fail(`${count} live entries, but its count says ${table.count}`);
    if (bytes !== table.byteSize) fail(`entries take ${bytes} bytes, but its header says ${table.byteSize}`);
  });
}

function liveBlock(core: StoreCore, offset: number, length: number, fail: () => never): void {
  let size: number;
  try {
    size = core.heap.sizeOf(offset);
  } catch (error) {
    if (error instanceof CorruptHeapError) fail();
    throw error;
  }
  if (size < length) fail();
}

/** A value's framing: the codec decodes its bytes without error. */
function checkValue(core: StoreCore, view: EntryView, what: () => string): void {
  try {
    core.decode(view.valueAt, view.valueLength);
  } catch (error) {
    if (error instanceof ShmkitError && !(error instanceof CorruptHeapError)) return; // refused by a typed rule, not damage
    throw new CorruptHeapError(`${what()}: its value does not decode (${(error as Error).message})`, { cause: error });
  }
}
