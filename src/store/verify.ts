/**
 * verify() of a namespace: the heap's own walk, then every table: each live entry is an
 * allocated heap block big enough for it, each key is found again through its hash (the
 * probe chain is intact), and the counters match. Under the namespace lock.
 */
import { CorruptHeapError } from '../errors.js';
import { ENTRY_HEADER_LENGTH } from '../layout/namespace.js';
import type { StoreCore } from './store-core.js';
import { hashBytes, type EntryView, type HashTable } from './table.js';

export function verifyNamespace(core: StoreCore, tables: HashTable[]): void {
  core.heap.verify();
  const view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  tables.forEach((table, t) => {
    let count = 0;
    let bytes = 0;
    for (const entry of table.entries()) {
      if (!table.read(entry, view)) throw new CorruptHeapError(`table ${t}: entry at ${entry} has an impossible header`);
      const size = table.entrySize(entry);
      if (core.heap.sizeOf(entry) < size) throw new CorruptHeapError(`table ${t}: entry at ${entry} is larger than its heap block`);
      const key = core.bytes.slice(entry + ENTRY_HEADER_LENGTH, entry + ENTRY_HEADER_LENGTH + view.keyLength);
      if (table.find(key, key.length, hashBytes(key, key.length)) !== entry) {
        throw new CorruptHeapError(`table ${t}: key '${table.keyOf(entry)}' cannot be found through its hash`);
      }
      count++;
      bytes += size;
    }
    if (count !== table.count) throw new CorruptHeapError(`table ${t}: ${count} live entries, but its count says ${table.count}`);
    if (bytes !== table.byteSize) throw new CorruptHeapError(`table ${t}: entries take ${bytes} bytes, but its header says ${table.byteSize}`);
  });
}
