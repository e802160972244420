/**
 * Issue 9, item 8: damaged namespace memory gives typed errors, never a raw RangeError.
 * Each case damages one field (a namespace header word, a heap header word, a table header
 * word, an entry's framing or a value's bytes) of a namespace through a second, raw handle
 * of its section, then opens it, reads every key and verifies it. Header damage must be
 * refused at open (IncompatibleSectionError, or CorruptHeapError for the heap's own header);
 * damage inside must surface from get() and verify() as CorruptHeapError.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptHeapError, IncompatibleSectionError, Namespace, Section, ShmkitError } from '../../src/index.js';
import {
  ENTRY_HEADER_LENGTH,
  ENTRY_KEY_LENGTH_OFFSET,
  ENTRY_VALUE_LENGTH_OFFSET,
  NS_AREA_LENGTH_OFFSET,
  NS_HEAP_LENGTH_OFFSET,
  NS_HEAP_OFFSET_OFFSET,
  NS_JOURNAL_CAPACITY_OFFSET,
  NS_JOURNAL_OFFSET_OFFSET,
  NS_MAGIC_OFFSET,
  NS_VARIABLES_TABLE_OFFSET,
  NS_VERSION_OFFSET,
  TABLE_BUCKETS_OFFSET,
  TABLE_COUNT_OFFSET,
  TABLE_DIRECTORY_OFFSET,
} from '../../src/layout/namespace.js';
import { HEAP_LENGTH_OFFSET, HEAP_MAGIC_OFFSET, HEAP_VERSION_OFFSET } from '../../src/layout/heap.js';
import { uniqueName } from '../helpers/names.js';

const SIZE = 256 * 1024;

interface Damaged {
  words: Int32Array;
  bytes: Uint8Array;
  /** Buffer offset of the entry block of key 'text' / 'object'. */
  entry: (key: string) => number;
  heapOffset: number;
  journalOffset: number;
  area: number;
}

type Where = 'open' | 'inside';

interface Case {
  name: string;
  where: Where;
  damage: (d: Damaged) => void;
}

const header = (offset: number, value: number) => (d: Damaged) => {
  d.words[offset >> 2] = value;
};

const cases: Case[] = [];
function openCase(field: string, offset: number, values: Array<number | ((d: Damaged) => number)>): void {
  for (const value of values) {
    cases.push({
      name: `${field} = ${typeof value === 'number' ? value : value.toString().replace(/^\(?d\)? => /, '')}`,
      where: 'open',
      damage: (d) => header(offset, typeof value === 'number' ? value : value(d))(d),
    });
  }
}

openCase('magic', NS_MAGIC_OFFSET, [0, 0x12345678]);
openCase('version', NS_VERSION_OFFSET, [0, 1, 99, -1]);
openCase('area length', NS_AREA_LENGTH_OFFSET, [0, -1, (d) => d.area + 8, (d) => d.area - 8, 2 ** 30]);
openCase('journal offset', NS_JOURNAL_OFFSET_OFFSET, [0, -8, 3, 4, 256, (d) => d.area, (d) => d.heapOffset, 2 ** 30, -(2 ** 31)]);
openCase('journal capacity', NS_JOURNAL_CAPACITY_OFFSET, [0, -1, 1, 2 ** 30, 2 ** 29 + 1, 2 ** 31 - 1, (d) => d.area, (d) => (d.heapOffset - d.journalOffset) / 8]);
openCase('heap offset', NS_HEAP_OFFSET_OFFSET, [0, -8, 7, 512, (d) => d.journalOffset + 8, (d) => d.heapOffset + 8, (d) => d.heapOffset - 128, (d) => d.area, 2 ** 30]);
openCase('heap length', NS_HEAP_LENGTH_OFFSET, [0, -8, 7, 4095, (d) => d.area, (d) => d.area - d.heapOffset + 8, 2 ** 31 - 8, (d) => d.area - d.heapOffset - 8]);
cases.push(
  { name: 'heap magic = 0', where: 'open', damage: (d) => header(d.heapOffset + HEAP_MAGIC_OFFSET, 0)(d) },
  { name: 'heap version = 9', where: 'open', damage: (d) => header(d.heapOffset + HEAP_VERSION_OFFSET, 9)(d) },
  // The heap's length changes under the store lock since heaps grow (issue 13): a length in
  // range is checked whole (its epilogue) by the first call that holds the lock, not at open.
  { name: 'heap length field = 4096', where: 'inside', damage: (d) => header(d.heapOffset + HEAP_LENGTH_OFFSET, 4096)(d) },
  { name: 'heap length field past the area', where: 'open', damage: (d) => header(d.heapOffset + HEAP_LENGTH_OFFSET, d.area)(d) },
);

// The undo journal a dead writer left behind: its count and the words its entries name.
cases.push(
  { name: 'journal count = -1', where: 'open', damage: (d) => header(d.journalOffset, -1)(d) },
  { name: 'journal count = capacity + 1', where: 'open', damage: (d) => header(d.journalOffset, d.words[NS_JOURNAL_CAPACITY_OFFSET >> 2]! + 1)(d) },
  { name: 'journal entry names the namespace magic', where: 'open', damage: (d) => {
    header(d.journalOffset + 8, NS_MAGIC_OFFSET >> 2)(d);
    header(d.journalOffset + 12, 0)(d);
    header(d.journalOffset, 1)(d);
  } },
  { name: 'journal entry names a word past the area', where: 'open', damage: (d) => {
    header(d.journalOffset + 8, d.area >> 2)(d);
    header(d.journalOffset, 1)(d);
  } },
);

const table = (offset: number, value: number | ((d: Damaged) => number)) => (d: Damaged) =>
  header(NS_VARIABLES_TABLE_OFFSET + offset, typeof value === 'number' ? value : value(d))(d);
cases.push(
  { name: 'variables directory = 0', where: 'inside', damage: table(TABLE_DIRECTORY_OFFSET, 0) },
  { name: 'variables directory = 3', where: 'inside', damage: table(TABLE_DIRECTORY_OFFSET, 3) },
  { name: 'variables directory = 2^30', where: 'inside', damage: table(TABLE_DIRECTORY_OFFSET, 2 ** 30) },
  { name: 'variables directory = -8', where: 'inside', damage: table(TABLE_DIRECTORY_OFFSET, -8) },
  { name: 'variables buckets = 0', where: 'inside', damage: table(TABLE_BUCKETS_OFFSET, 0) },
  { name: 'variables buckets = 2^30', where: 'inside', damage: table(TABLE_BUCKETS_OFFSET, 2 ** 30) },
  { name: 'variables buckets = -1', where: 'inside', damage: table(TABLE_BUCKETS_OFFSET, -1) },
  { name: 'variables count = 0', where: 'inside', damage: table(TABLE_COUNT_OFFSET, 0) },
  { name: 'variables count = 2^30', where: 'inside', damage: table(TABLE_COUNT_OFFSET, 2 ** 30) },
);

const entryWord = (key: string, offset: number, value: (old: number) => number) => (d: Damaged) => {
  const at = (d.entry(key) + offset) >> 2;
  d.words[at] = value(d.words[at]!);
};
const valueByte = (key: string, index: number, value: number) => (d: Damaged) => {
  const entry = d.entry(key);
  const keyLength = d.words[(entry + ENTRY_KEY_LENGTH_OFFSET) >> 2]!;
  d.bytes[entry + ENTRY_HEADER_LENGTH + keyLength + index] = value;
};
cases.push(
  { name: "value length of 'text' + 1", where: 'inside', damage: entryWord('text', ENTRY_VALUE_LENGTH_OFFSET, (n) => n + 1) },
  { name: "value length of 'text' - 1", where: 'inside', damage: entryWord('text', ENTRY_VALUE_LENGTH_OFFSET, (n) => n - 1) },
  { name: "value length of 'text' + 64", where: 'inside', damage: entryWord('text', ENTRY_VALUE_LENGTH_OFFSET, (n) => n + 64) },
  { name: "value length of 'text' = -1", where: 'inside', damage: entryWord('text', ENTRY_VALUE_LENGTH_OFFSET, () => -1) },
  { name: "value length of 'text' = 2^30", where: 'inside', damage: entryWord('text', ENTRY_VALUE_LENGTH_OFFSET, () => 2 ** 30) },
  { name: "key length of 'text' = 0", where: 'inside', damage: entryWord('text', ENTRY_KEY_LENGTH_OFFSET, () => 0) },
  { name: "key length of 'text' + 40", where: 'inside', damage: entryWord('text', ENTRY_KEY_LENGTH_OFFSET, (n) => n + 40) },
  { name: "value of 'text': string header says 255 bytes", where: 'inside', damage: valueByte('text', 0, 0xbf) },
  { name: "value of 'text': type byte 0xc1 (never used)", where: 'inside', damage: valueByte('text', 0, 0xc1) },
  { name: "value of 'object': map of 15 entries", where: 'inside', damage: valueByte('object', 0, 0x8f) },
  { name: "value of 'object': str32 of 2^31 bytes", where: 'inside', damage: (d) => {
    valueByte('object', 0, 0xdb)(d);
    valueByte('object', 1, 0x7f)(d);
  } },
);

const outcomes: string[] = [];

/** Runs one public call; a typed error is recorded, anything else fails the test. */
function typed(what: string, fn: () => unknown): ShmkitError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (!(error instanceof ShmkitError)) {
      throw new Error(`${what} threw an untyped ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
    }
    return error;
  }
}

describe('damaged namespace memory gives typed errors', () => {
  afterAll(() => {
    console.log(`[corruption] ${cases.length} cases:\n  ${outcomes.join('\n  ')}`);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const name = uniqueName('corrupt');
    const ns = Namespace.open(name, { size: SIZE });
    ns.set('text', 'hello, shared memory');
    ns.set('object', { list: [1, 2, 3], nested: { a: 'b' } });
    for (let i = 0; i < 100; i++) ns.set(`k${i}`, i);
    ns.verify();
    ns.close();
    const raw = Section.open(name);
    try {
      const buffer = raw.buffer;
      const words = new Int32Array(buffer, 0, buffer.byteLength >> 2);
      const bytes = new Uint8Array(buffer);
      const probe = Namespace.open(name, { create: false });
      const entries = new Map(probe.inspect().variables.map((v) => [v.name, 0]));
      expect(entries.size).toBe(102);
      const entryOf = (key: string): number => {
        // Find the entry block by its key bytes (the test does not use the table code).
        const needle = new TextEncoder().encode(key);
        for (let at = 8; at + ENTRY_HEADER_LENGTH + needle.length < bytes.length; at += 8) {
          if (words[(at + ENTRY_KEY_LENGTH_OFFSET) >> 2] !== needle.length) continue;
          let same = true;
          for (let i = 0; i < needle.length && same; i++) same = bytes[at + ENTRY_HEADER_LENGTH + i] === needle[i];
          if (same && words[(at + ENTRY_VALUE_LENGTH_OFFSET) >> 2]! > 0 && words[(at + ENTRY_VALUE_LENGTH_OFFSET) >> 2]! < 200) return at;
        }
        throw new Error(`no entry for ${key}`);
      };
      probe.close();
      c.damage({
        words,
        bytes,
        entry: entryOf,
        heapOffset: words[NS_HEAP_OFFSET_OFFSET >> 2]!,
        journalOffset: words[NS_JOURNAL_OFFSET_OFFSET >> 2]!,
        area: buffer.byteLength,
      });

      let opened: Namespace | undefined;
      const openError = typed('Namespace.open', () => {
        opened = Namespace.open(name, { create: false });
      });
      if (c.where === 'open') {
        expect(openError, 'open must refuse it').toBeDefined();
        expect(openError instanceof IncompatibleSectionError || openError instanceof CorruptHeapError, String(openError)).toBe(true);
        outcomes.push(`${c.name}: open -> ${openError!.name}`);
        return;
      }
      expect(openError, String(openError)).toBeUndefined();
      const ns2 = opened!;
      try {
        const errors: ShmkitError[] = [];
        for (const key of ['text', 'object', 'k5']) {
          const error = typed(`get('${key}')`, () => ns2.get(key));
          if (error) errors.push(error);
        }
        const verifyError = typed('verify()', () => ns2.verify());
        expect(verifyError, 'verify() must notice the damage').toBeInstanceOf(CorruptHeapError);
        for (const error of errors) expect(error).toBeInstanceOf(CorruptHeapError);
        outcomes.push(`${c.name}: ${errors.length ? `get -> ${errors[0]!.name}, ` : ''}verify -> ${verifyError!.name}`);
      } finally {
        ns2.close();
      }
    } finally {
      raw.close();
      Namespace.destroy(name);
    }
  });

  it('counts its cases', () => {
    expect(cases.length).toBeGreaterThan(50);
  });
});
