/**
 * Ring layout shared by SpscRing, MpscRing and MpmcQueue (src/channel/). A ring is a header
 * of five 128-byte lines (so that words written by producers and by consumers never share a
 * cache line, nor sit on adjacent lines that the prefetcher pairs) and a data area of
 * `capacity` bytes, a power of two.
 *
 *          0                   1                   2                   3
 *          0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  line 0 +---------------------------------------------------------------+   0
 *         |                       magic "RING"                            |
 *         |                       capacity (u32)                          |   4
 *         |                 kind (u32): 1 SPSC, 2 MPSC, 3 MPMC            |   8
 *         |                  max payload length (u32)                     |  12
 *         |              flags (i32): bit 0 ended                         |  16  written by end()
 *         |           owner word (i32): a mailbox's owner, else 0         |  20
 *         |           ring format version (u32): RING_VERSION             |  24
 *         |                        reserved                               |  28
 *         |   consumer slot (2 x i32, one 64-bit word): owner word, token |  32  SPSC / MPSC
 *         |   producer slot (2 x i32, one 64-bit word): owner word, token |  40  SPSC
 *         |   senders flags (i32): bit 0 a sender has registered,         |  48
 *         |   bit 1 a sender could not (table full): no "senders gone"     |
 *         |                        reserved                               |  52
 *         |   sender table: 8 x (owner word, token), 64-bit each; 0 free   |  56..119
 *  line 1 +---------------------------------------------------------------+ 128
 *         |   tail (i32): byte position after the last claimed record     |  producers
 *         |   producer lock (Mutex, 16 bytes, MPSC / MPMC)  at 136         |  producers
 *  line 2 +---------------------------------------------------------------+ 256
 *         |   head (i32): byte position of the first unconsumed record     |  consumer(s)
 *         |   free head (i32): bytes below it are consumed AND zeroed;     |  consumer(s)
 *         |   MPSC / MPMC producers may reuse space up to it        at 260 |
 *         |   consumer lock (Mutex, 16 bytes, MPMC)  at 264                |  consumers
 *  line 3 +---------------------------------------------------------------+ 384
 *         |   data signal (i32): bumped when a record is published and     |  futex word
 *         |   a consumer is parked                                         |
 *         |   consumers parked (i32)                               at 388  |
 *         |   data wake pending (i32): 1 once a producer has rung for the  |
 *         |   parked consumers; a consumer clears it before it parks at 392|
 *  line 4 +---------------------------------------------------------------+ 512
 *         |   space signal (i32): bumped when space is freed and a        |  futex word
 *         |   producer is parked                                           |
 *         |   producers parked (i32)                               at 516  |
 *         |   space wake pending (i32): as above, for parked producers at 520 |
 *         +---------------------------------------------------------------+ 640
 *         |                 data: `capacity` bytes of records              |
 *
 * Positions are 32-bit byte counters that wrap: used = (tail - head) | 0, and the offset of a
 * position in the data area is position & (capacity - 1). capacity <= 2^30 keeps that exact.
 *
 * Record (8-byte header, then the payload, then padding to a multiple of 8). The header is
 * one 64-bit lane: MPSC / MPMC producers publish and the consumer revokes it with one 64-bit
 * CAS, so its two words never disagree.
 *         +---------------------------------------------------------------+ +0
 *         | size (i32): 8 + payload length. > 0 committed; < 0 claimed;    |
 *         | 0 free (zeroed)                                               |
 *         +---------------------------------------------------------------+ +4
 *         | type (i32) once committed: 1 message, 2 padding (skip `size`  |
 *         | bytes: at the wrap, to the end of the data area, or a revoked |
 *         | claim), 3 heap handle. While claimed: the claimer's owner word |
 *         | (layout/owner.ts) with bit 31 set, so it is negative and can  |
 *         | never be read as a type                                       |
 *         +---------------------------------------------------------------+ +8
 *         | payload ...                                                   |
 *
 * Header states of an MPSC / MPMC record (size, type), and who moves it:
 *
 *   (0, 0) free ──claim, under the producer lock──> (-(8+n), owner|2^31) claimed
 *   claimed ──commit: CAS64, the producer──> (8+n, type) committed ──consumer──> (0, 0)
 *   claimed ──unblock: CAS64, the consumer, only if owner is dead──> (skip, 2) padding
 *
 *   A claim's owner stays in the header until the CAS that publishes the record, so the
 *   consumer that finds size < 0 always reads who claimed it, and its CAS fails if the record
 *   was committed meanwhile. A producer whose CAS fails was revoked (a wrong liveness
 *   answer): its record became padding; it claims again (copying paths) or commit() throws
 *   ClaimRevokedError (zero-copy).

 * Invariants:
 * - A record never wraps: when one does not fit before the end of the data area, a padding
 *   record fills the rest and the record starts at offset 0.
 * - SPSC: the producer writes the payload, then the header, then publishes `tail` (release).
 *   The consumer reads records below the `tail` it loaded (acquire).
 * - MPSC / MPMC: a producer holds the producer lock just long enough to write the claim header
 *   (size < 0, owner word with bit 31) and advance `tail`; it copies the payload unlocked,
 *   then commits with one 64-bit CAS from (claimed, owner) to (size > 0, type). The consumer reads headers,
 *   not `tail`: size > 0 is a whole record. It zeroes the bytes it consumed before publishing
 *   `free head`, so every header a producer claims starts at 0. It publishes `head`, zeroes,
 *   then publishes `free head`; a consumer that dies in between leaves head != free head, and
 *   whoever takes over zeroes the gap again first (repair). A claim whose owner is dead is
 *   turned into padding by the consumer (unblock).
 * - SPSC and MPSC have one consumer, SPSC one producer: a handle takes the consumer (producer)
 *   slot by 64-bit CAS before its first read (claim), from 0 or from a dead owner; a live
 *   owner with another token is ChannelBusyError. Taking a slot reloads the shared positions,
 *   so a handle opened long ago never writes at a stale position.
 * - MPMC consumers hold the consumer lock from reading a header until `head` moves past it, so
 *   each record goes to exactly one consumer.
 */

export const RING_MAGIC = 0x474e4952; // "RING" little-endian
/**
 * Version 3: wake-pending words (one futex wake per park, not per message) and the sender
 * table. Version 2: one 64-bit claim/commit lane per record and the consumer / producer
 * slots. Version 1 (shmkit 0.1, word 24 = 0) wrote the type before the size. None mix.
 */
export const RING_VERSION = 3;
export const RING_KIND_SPSC = 1;
export const RING_KIND_MPSC = 2;
export const RING_KIND_MPMC = 3;

export const RECORD_MESSAGE = 1;
export const RECORD_PADDING = 2;
export const RECORD_HEAP = 3;

const LINE = 128;
const i32 = 4;

let offset = 0;
export const RING_MAGIC_OFFSET = offset; offset += i32;
export const RING_CAPACITY_OFFSET = offset; offset += i32;
export const RING_KIND_OFFSET = offset; offset += i32;
export const RING_MAX_PAYLOAD_OFFSET = offset; offset += i32;
export const RING_FLAGS_OFFSET = offset; offset += i32;
export const RING_OWNER_OFFSET = offset; offset += i32;
export const RING_VERSION_OFFSET = offset; offset += i32;
offset += i32; // reserved: the slots below are 8-byte aligned
export const RING_CONSUMER_SLOT_OFFSET = offset; offset += 2 * i32;
export const RING_PRODUCER_SLOT_OFFSET = offset; offset += 2 * i32;
export const RING_SENDERS_FLAGS_OFFSET = offset; offset += i32;
offset += i32; // reserved: the sender table is 8-byte aligned
export const RING_SENDER_TABLE_OFFSET = offset;
export const RING_SENDER_SLOTS = 8;
offset += RING_SENDER_SLOTS * 2 * i32;
offset = LINE;
export const RING_TAIL_OFFSET = offset; offset += 2 * i32;
export const RING_PRODUCER_LOCK_OFFSET = offset;
offset = LINE * 2;
export const RING_HEAD_OFFSET = offset; offset += i32;
export const RING_FREE_HEAD_OFFSET = offset; offset += i32;
export const RING_CONSUMER_LOCK_OFFSET = offset;
offset = LINE * 3;
export const RING_DATA_SIGNAL_OFFSET = offset; offset += i32;
export const RING_CONSUMERS_PARKED_OFFSET = offset; offset += i32;
export const RING_DATA_WAKE_PENDING_OFFSET = offset;
offset = LINE * 4;
export const RING_SPACE_SIGNAL_OFFSET = offset; offset += i32;
export const RING_PRODUCERS_PARKED_OFFSET = offset; offset += i32;
export const RING_SPACE_WAKE_PENDING_OFFSET = offset;
offset = LINE * 5;
export const RING_HEADER_LENGTH = offset; // 640

export const RING_FLAG_CLOSED = 1;
export const SENDERS_REGISTERED = 1;
export const SENDERS_UNTRACKED = 2;

export const RECORD_HEADER_LENGTH = 8;
export const RECORD_SIZE_OFFSET = 0;
export const RECORD_TYPE_OFFSET = 4;
export const RECORD_ALIGNMENT = 8;
/** Set in a claim header's owner word: a claimed type word is negative, never a type. */
export const RECORD_CLAIM_BIT = 0x8000_0000;

export const MIN_RING_CAPACITY = 1024;
export const MAX_RING_CAPACITY = 2 ** 30;

/** The largest payload a ring of `capacity` bytes takes: a record plus worst-case padding fit. */
export function maxPayloadLength(capacity: number): number {
  return capacity / 2 - RECORD_HEADER_LENGTH;
}

/** Bytes a record with `payloadLength` bytes of payload takes, header and padding included. */
export function recordLength(payloadLength: number): number {
  return (RECORD_HEADER_LENGTH + payloadLength + RECORD_ALIGNMENT - 1) & ~(RECORD_ALIGNMENT - 1);
}

export function ringLength(capacity: number): number {
  return RING_HEADER_LENGTH + capacity;
}
