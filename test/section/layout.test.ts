import { describe, expect, it } from 'vitest';
import * as layout from '../../src/layout/section-header.js';

// Pins the header layout to the diagram in src/layout/section-header.ts: a change here is a
// format change and must bump FORMAT_VERSION.
describe('section header layout', () => {
  it('matches the diagram', () => {
    expect(layout.MAGIC_OFFSET).toBe(0);
    expect(layout.BYTE_ORDER_OFFSET).toBe(4);
    expect(layout.VERSION_OFFSET).toBe(8);
    expect(layout.WORD_SIZE_OFFSET).toBe(12);
    expect(layout.INIT_STATE_OFFSET).toBe(16);
    expect(layout.HEADER_LENGTH_OFFSET).toBe(20);
    expect(layout.TOTAL_SIZE_OFFSET).toBe(24);
    expect(layout.USER_SIZE_OFFSET).toBe(32);
    expect(layout.CREATOR_PID_OFFSET).toBe(40);
    expect(layout.LAYOUT_KIND_OFFSET).toBe(44);
    expect(layout.CREATOR_START_TIME_OFFSET).toBe(48);
    expect(layout.ATTACH_CAPACITY_OFFSET).toBe(56);
    expect(layout.NAME_LENGTH_OFFSET).toBe(60);
    expect(layout.CREATED_AT_OFFSET).toBe(64);
    expect(layout.ARMED_SLOTS_OFFSET).toBe(72);
    expect(layout.SLOT_HIGH_WATER_OFFSET).toBe(76);
    expect(layout.FIXED_FIELDS_END).toBeLessThanOrEqual(layout.NAME_OFFSET);
    expect(layout.NAME_OFFSET).toBe(128);
    expect(layout.NAME_OFFSET + layout.NAME_CAPACITY).toBeLessThanOrEqual(layout.ATTACH_TABLE_OFFSET);
    expect(layout.ATTACH_TABLE_OFFSET).toBe(1024);
    expect(layout.ATTACH_SLOT_LENGTH).toBe(32);
    expect(layout.SLOT_PID_OFFSET).toBe(0);
    expect(layout.SLOT_DOORBELL_OFFSET).toBe(4);
    expect(layout.SLOT_START_TIME_OFFSET).toBe(8);
    expect(layout.SLOT_ARMED_OFFSET).toBe(16);
    expect(layout.ATTACH_CAPACITY).toBe(480);
    expect(layout.ATTACH_TABLE_OFFSET + layout.ATTACH_CAPACITY * layout.ATTACH_SLOT_LENGTH).toBe(layout.HEADER_LENGTH);
    expect(layout.HEADER_LENGTH % 16384).toBe(0);
    expect(layout.sectionTotalSize(1, 4096)).toBe(16384 + 4096);
    expect(layout.sectionTotalSize(4096, 4096)).toBe(16384 + 4096);
  });
});
