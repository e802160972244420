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
    expect(layout.COMMITTED_UNITS_OFFSET).toBe(80);
    expect(layout.COMMIT_UNIT).toBe(4096);
    expect(layout.FORMAT_VERSION).toBe(3);
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

// Pins the ring layout to the diagram in src/layout/ring.ts: a change is a format change and
// must bump RING_VERSION.
describe('ring layout', () => {
  it('matches the diagram', async () => {
    const ring = await import('../../src/layout/ring.js');
    expect([ring.RING_MAGIC_OFFSET, ring.RING_CAPACITY_OFFSET, ring.RING_KIND_OFFSET, ring.RING_MAX_PAYLOAD_OFFSET]).toEqual([0, 4, 8, 12]);
    expect([ring.RING_FLAGS_OFFSET, ring.RING_OWNER_OFFSET, ring.RING_VERSION_OFFSET]).toEqual([16, 20, 24]);
    expect([ring.RING_CONSUMER_SLOT_OFFSET, ring.RING_PRODUCER_SLOT_OFFSET]).toEqual([32, 40]);
    expect(ring.RING_CONSUMER_SLOT_OFFSET % 8).toBe(0); // 64-bit atomics
    expect([ring.RING_TAIL_OFFSET, ring.RING_PRODUCER_LOCK_OFFSET]).toEqual([128, 136]);
    expect([ring.RING_HEAD_OFFSET, ring.RING_FREE_HEAD_OFFSET, ring.RING_CONSUMER_LOCK_OFFSET]).toEqual([256, 260, 264]);
    expect([ring.RING_SENDERS_FLAGS_OFFSET, ring.RING_SENDER_TABLE_OFFSET, ring.RING_SENDER_SLOTS]).toEqual([48, 56, 8]);
    expect(ring.RING_SENDER_TABLE_OFFSET + ring.RING_SENDER_SLOTS * 8).toBeLessThanOrEqual(128); // all on line 0
    expect([ring.RING_DATA_SIGNAL_OFFSET, ring.RING_CONSUMERS_PARKED_OFFSET, ring.RING_DATA_WAKE_PENDING_OFFSET]).toEqual([384, 388, 392]);
    expect([ring.RING_SPACE_SIGNAL_OFFSET, ring.RING_PRODUCERS_PARKED_OFFSET, ring.RING_SPACE_WAKE_PENDING_OFFSET]).toEqual([512, 516, 520]);
    expect(ring.RING_HEADER_LENGTH).toBe(640);
    expect([ring.RECORD_SIZE_OFFSET, ring.RECORD_TYPE_OFFSET, ring.RECORD_HEADER_LENGTH]).toEqual([0, 4, 8]);
    expect(ring.RECORD_CLAIM_BIT | 0).toBeLessThan(0); // a claimed type word is negative
    expect(ring.RING_VERSION).toBe(3);
  });
});
