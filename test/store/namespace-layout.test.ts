/** The namespace header's offsets against the diagram in src/layout/namespace.ts. */
import { describe, expect, it } from 'vitest';
import * as layout from '../../src/layout/namespace.js';

describe('namespace layout', () => {
  it('every offset is where the diagram draws it', () => {
    expect(layout.NS_SEQUENCE_OFFSET).toBe(128);
    expect(layout.NS_READERS_WAITING_OFFSET).toBe(132);
    expect(layout.NS_LOCK_OFFSET).toBe(256);
    expect(layout.NS_WRITES_OFFSET).toBe(272);
    expect(layout.NS_STAMPS_OFFSET).toBe(284);
    expect(layout.NS_VARIABLES_TABLE_OFFSET).toBe(384);
    expect(layout.NS_DIRECTORY_TABLE_OFFSET).toBe(416);
    expect(layout.NS_LOADS_TABLE_OFFSET).toBe(448);
    expect(layout.NS_LOADS_DONE_OFFSET).toBe(480);
    expect(layout.NS_LOAD_WAITERS_OFFSET).toBe(484);
    expect(layout.NS_LOAD_RECOVERIES_OFFSET).toBe(488);
    expect(layout.NS_JOURNAL_START).toBe(512);
  });

  it('the three table headers lie side by side (the journal check relies on it) and end before the loads words', () => {
    expect(layout.NS_DIRECTORY_TABLE_OFFSET).toBe(layout.NS_VARIABLES_TABLE_OFFSET + layout.TABLE_HEADER_LENGTH);
    expect(layout.NS_LOADS_TABLE_OFFSET).toBe(layout.NS_DIRECTORY_TABLE_OFFSET + layout.TABLE_HEADER_LENGTH);
    expect(layout.NS_LOADS_DONE_OFFSET).toBe(layout.NS_LOADS_TABLE_OFFSET + layout.TABLE_HEADER_LENGTH);
    expect(layout.NS_LOAD_RECOVERIES_OFFSET + 4).toBeLessThanOrEqual(layout.NS_JOURNAL_START);
  });

  it('a load marker is four words; its entry type is neither a value nor a directory kind', () => {
    expect(layout.LOAD_MARKER_LENGTH).toBe(16);
    expect([layout.LOAD_MARKER_OWNER_OFFSET, layout.LOAD_MARKER_THREAD_OFFSET, layout.LOAD_MARKER_TOKEN_OFFSET]).toEqual([0, 4, 8]);
    expect(layout.ENTRY_TYPE_LOAD_MARKER).toBeGreaterThan(8);
  });
});
