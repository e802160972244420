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
 *         |              flags (i32): bit 0 closed                        |  16  written by close()
 *         |           owner word (i32): a mailbox's owner, else 0         |  20
 *         |                        reserved                               |
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
 *  line 4 +---------------------------------------------------------------+ 512
 *         |   space signal (i32): bumped when space is freed and a        |  futex word
 *         |   producer is parked                                           |
 *         |   producers parked (i32)                               at 516  |
 *         +---------------------------------------------------------------+ 640
 *         |                 data: `capacity` bytes of records              |
 *
 * Positions are 32-bit byte counters that wrap: used = (tail - head) | 0, and the offset of a
 * position in the data area is position & (capacity - 1). capacity <= 2^30 keeps that exact.
 *
 * Record (8-byte header, then the payload, then padding to a multiple of 8):
 *         +---------------------------------------------------------------+ +0
 *         | size (i32): 8 + payload length. > 0 committed; < 0 claimed     |
 *         +---------------------------------------------------------------+ +4
 *         | type (i32): 1 message, 2 padding (skip `size` bytes: at the   |
 *         | wrap, to the end of the data area), 3 heap handle; while       |
 *         | claimed: the claimer's owner word                              |
 *         +---------------------------------------------------------------+ +8
 *         | payload ...                                                   |
 *
 * Invariants:
 * - A record never wraps: when one does not fit before the end of the data area, a padding
 *   record fills the rest and the record starts at offset 0.
 * - SPSC: the producer writes the payload, then the header, then publishes `tail` (release).
 *   The consumer reads records below the `tail` it loaded (acquire).
 * - MPSC / MPMC: a producer holds the producer lock just long enough to write the claim header
 *   (size < 0, type = its owner word) and advance `tail`; it copies the payload unlocked, then
 *   commits by writing the type and storing size > 0 (release). The consumer reads headers,
 *   not `tail`: size > 0 is a whole record. It zeroes the bytes it consumed before publishing
 *   `free head`, so every header a producer claims starts at 0. It publishes `head`, zeroes,
 *   then publishes `free head`; a consumer that dies in between leaves head != free head, and
 *   whoever takes over zeroes the gap again first (repair). A claim whose owner is dead is
 *   turned into padding by the consumer (unblock).
 * - MPMC consumers hold the consumer lock from reading a header until `head` moves past it, so
 *   each record goes to exactly one consumer.
 */

export const RING_MAGIC = 0x474e4952; // "RING" little-endian
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
offset = LINE;
export const RING_TAIL_OFFSET = offset; offset += 2 * i32;
export const RING_PRODUCER_LOCK_OFFSET = offset;
offset = LINE * 2;
export const RING_HEAD_OFFSET = offset; offset += i32;
export const RING_FREE_HEAD_OFFSET = offset; offset += i32;
export const RING_CONSUMER_LOCK_OFFSET = offset;
offset = LINE * 3;
export const RING_DATA_SIGNAL_OFFSET = offset; offset += i32;
export const RING_CONSUMERS_PARKED_OFFSET = offset;
offset = LINE * 4;
export const RING_SPACE_SIGNAL_OFFSET = offset; offset += i32;
export const RING_PRODUCERS_PARKED_OFFSET = offset;
offset = LINE * 5;
export const RING_HEADER_LENGTH = offset; // 640

export const RING_FLAG_CLOSED = 1;

export const RECORD_HEADER_LENGTH = 8;
export const RECORD_SIZE_OFFSET = 0;
export const RECORD_TYPE_OFFSET = 4;
export const RECORD_ALIGNMENT = 8;

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
