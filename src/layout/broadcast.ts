/**
 * Broadcast ring: one writer that never waits, any number of readers with their own cursors.
 * The writer overwrites the oldest records; a reader that falls a whole capacity behind is
 * lapped, jumps to the newest record and learns how many messages it lost (sequence numbers).
 *
 *  line 0 +---------------------------------------------------------------+   0
 *         | magic "BCST" | capacity | max payload | flags (bit 0 closed)   |
 *         | writer slot (2 x i32, one 64-bit word): owner word, token +16 |
 *         | format version (i32): BROADCAST_VERSION                   +24 |
 *  line 1 +---------------------------------------------------------------+ 128  writer
 *         | tail intent (i32): where the writer is about to write up to   |
 *         | tail (i32): end of the last complete record               +4  |
 *         | latest (i32): position of the last complete record        +8  |
 *         | next sequence (i32)                                       +12 |
 *  line 2 +---------------------------------------------------------------+ 256  readers
 *         | data signal (i32): futex word, bumped when readers are parked |
 *         | readers parked (i32)                                      +4  |
 *         +---------------------------------------------------------------+ 384
 *         | data: `capacity` bytes of records                              |
 *
 * Record: size (i32, 16 + payload length), type (i32: 1 message, 2 padding), sequence (i32),
 * reserved (i32), payload, padding to 8 bytes. Records never wrap (padding at the end).
 *
 * The writer stores `tail intent` (release) BEFORE it touches the bytes of a record, and
 * `tail` after. A reader copies a record out, then re-reads `tail intent`: if the intent has
 * moved more than a capacity past the reader's cursor, the bytes it copied may have been
 * overwritten mid-copy, so it discards them and counts itself lapped.
 *
 * One writer: a handle takes the writer slot (src/channel/ring-slot.ts) before its first
 * publish; a second live writer is ChannelBusyError (two would interleave their records).
 */

export const BROADCAST_MAGIC = 0x54534342; // "BCST"
const LINE = 128;
const i32 = 4;

export const BROADCAST_MAGIC_OFFSET = 0;
export const BROADCAST_CAPACITY_OFFSET = i32;
export const BROADCAST_MAX_PAYLOAD_OFFSET = 2 * i32;
export const BROADCAST_FLAGS_OFFSET = 3 * i32;
export const BROADCAST_WRITER_SLOT_OFFSET = 4 * i32;
export const BROADCAST_VERSION_OFFSET = 6 * i32;
/** 2: the writer slot (0.1 had none and wrote no version). */
export const BROADCAST_VERSION = 2;
export const BROADCAST_TAIL_INTENT_OFFSET = LINE;
export const BROADCAST_TAIL_OFFSET = LINE + i32;
export const BROADCAST_LATEST_OFFSET = LINE + 2 * i32;
export const BROADCAST_NEXT_SEQUENCE_OFFSET = LINE + 3 * i32;
export const BROADCAST_DATA_SIGNAL_OFFSET = 2 * LINE;
export const BROADCAST_READERS_PARKED_OFFSET = 2 * LINE + i32;
export const BROADCAST_HEADER_LENGTH = 3 * LINE;

export const BROADCAST_RECORD_HEADER_LENGTH = 16;

export function broadcastRecordLength(payloadLength: number): number {
  return (BROADCAST_RECORD_HEADER_LENGTH + payloadLength + 7) & ~7;
}

export function broadcastMaxPayload(capacity: number): number {
  return capacity / 2 - BROADCAST_RECORD_HEADER_LENGTH;
}

export function broadcastLength(capacity: number): number {
  return BROADCAST_HEADER_LENGTH + capacity;
}
