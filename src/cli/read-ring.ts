/**
 * Reads a ring (channel, mailbox: src/layout/ring.ts) or a broadcast (src/layout/broadcast.ts)
 * without touching it: loads only, so it works on a read-only mapping while producers and
 * consumers run. Each word is read atomically; the report as a whole is a moment's picture,
 * not a snapshot (positions move while it is taken).
 */
import {
  BROADCAST_CAPACITY_OFFSET,
  BROADCAST_FLAGS_OFFSET,
  BROADCAST_HEADER_LENGTH,
  BROADCAST_LATEST_OFFSET,
  BROADCAST_MAGIC,
  BROADCAST_MAGIC_OFFSET,
  BROADCAST_MAX_PAYLOAD_OFFSET,
  BROADCAST_NEXT_SEQUENCE_OFFSET,
  BROADCAST_READERS_PARKED_OFFSET,
  BROADCAST_TAIL_OFFSET,
  BROADCAST_VERSION,
  BROADCAST_VERSION_OFFSET,
  BROADCAST_WRITER_SLOT_OFFSET,
} from '../layout/broadcast.js';
import {
  MAX_RING_CAPACITY,
  MIN_RING_CAPACITY,
  RECORD_CLAIM_BIT,
  RECORD_HEAP,
  RECORD_PADDING,
  RECORD_SIZE_OFFSET,
  RECORD_TYPE_OFFSET,
  RING_CAPACITY_OFFSET,
  RING_CONSUMER_LOCK_OFFSET,
  RING_CONSUMER_SLOT_OFFSET,
  RING_CONSUMERS_PARKED_OFFSET,
  RING_FLAG_CLOSED,
  RING_FLAGS_OFFSET,
  RING_FREE_HEAD_OFFSET,
  RING_HEAD_OFFSET,
  RING_HEADER_LENGTH,
  RING_KIND_MPMC,
  RING_KIND_MPSC,
  RING_KIND_OFFSET,
  RING_KIND_SPSC,
  RING_MAGIC,
  RING_MAGIC_OFFSET,
  RING_MAX_PAYLOAD_OFFSET,
  RING_OWNER_OFFSET,
  RING_SENDER_SLOTS,
  RING_SENDER_TABLE_OFFSET,
  RING_SENDERS_FLAGS_OFFSET,
  SENDERS_REGISTERED,
  SENDERS_UNTRACKED,
  RING_PRODUCER_LOCK_OFFSET,
  RING_PRODUCER_SLOT_OFFSET,
  RING_PRODUCERS_PARKED_OFFSET,
  RING_TAIL_OFFSET,
  RING_VERSION,
  RING_VERSION_OFFSET,
} from '../layout/ring.js';
import { ownerReport, type OwnerReport } from './liveness.js';
import { readMutex, type MutexReport } from './read-sync.js';

export interface RingReport {
  ringKind: 'spsc' | 'mpsc' | 'mpmc' | 'unknown';
  capacity: number;
  /** The largest message, in encoded bytes. */
  maxPayload: number;
  /** Byte positions (32-bit counters that wrap). Consumers publish `head` in batches. */
  head: number;
  freeHead: number;
  tail: number;
  /** Bytes between head and tail: records not yet consumed (or consumed, not yet published). */
  used: number;
  free: number;
  /** Records between head and tail: messages (large ones through the heap counted too). */
  messages: number;
  /** Of those, messages whose bytes are in the namespace heap (the ring holds a handle). */
  heapMessages: number;
  /** Records claimed and not committed yet; `dead` of them by producers that died (a consumer unblocks them). */
  claims: { pending: number; dead: number };
  /** Threads parked in a wait: consumers for data, producers for space. */
  parked: { consumers: number; producers: number };
  /** end() was called: no more sends; receivers drain. */
  ended: boolean;
  /** The single consumer (SPSC, MPSC) and single producer (SPSC) holding the ring's slots. */
  consumer: OwnerReport | null;
  producer: OwnerReport | null;
  /** The mailbox's owner; null for channels. */
  owner: OwnerReport | null;
  /** Locks of many-producer / many-consumer rings; null where the kind has none. */
  producerLock: MutexReport | null;
  consumerLock: MutexReport | null;
  /**
   * The sender table: the handles registered to send (owner and whether it lives), whether
   * any ever did, and whether more came than it tracks (then receivers cannot tell when all
   * are gone).
   */
  senders: { registered: boolean; untracked: boolean; holders: OwnerReport[] };
  /** Set when the walk of the records stopped early (a record being written, or damage). */
  note: string | null;
}

export interface BroadcastReport {
  capacity: number;
  maxPayload: number;
  tail: number;
  latest: number;
  /** Sequence number the next message gets: messages published so far. */
  published: number;
  readersParked: number;
  ended: boolean;
  writer: OwnerReport | null;
}

const KINDS: Record<number, RingReport['ringKind']> = { [RING_KIND_SPSC]: 'spsc', [RING_KIND_MPSC]: 'mpsc', [RING_KIND_MPMC]: 'mpmc' };

/** The ring at `at` in `buffer`; throws a plain Error naming the fault if there is none. */
export function readRing(buffer: ArrayBuffer, at: number): RingReport {
  if (at + RING_HEADER_LENGTH > buffer.byteLength) throw new Error('the ring header lies outside the section');
  const header = new Int32Array(buffer, at, RING_HEADER_LENGTH >> 2);
  const word = (offset: number): number => Atomics.load(header, offset >> 2);
  if (word(RING_MAGIC_OFFSET) !== RING_MAGIC) throw new Error('no ring here (bad magic): not initialised, or overwritten');
  const version = word(RING_VERSION_OFFSET);
  if (version !== RING_VERSION) throw new Error(`ring format version ${version}, this shmkit reads ${RING_VERSION}`);
  const capacity = word(RING_CAPACITY_OFFSET);
  if (capacity < MIN_RING_CAPACITY || capacity > MAX_RING_CAPACITY || (capacity & (capacity - 1)) !== 0 || at + RING_HEADER_LENGTH + capacity > buffer.byteLength) {
    throw new Error(`the ring header holds an impossible capacity (${capacity})`);
  }
  const kind = word(RING_KIND_OFFSET);
  const head = word(RING_HEAD_OFFSET);
  const tail = word(RING_TAIL_OFFSET);
  const used = Math.min(Math.max((tail - head) | 0, 0), capacity);
  const walk = walkRecords(new Int32Array(buffer, at + RING_HEADER_LENGTH, capacity >> 2), capacity, head, tail);
  return {
    ringKind: KINDS[kind] ?? 'unknown',
    capacity,
    maxPayload: word(RING_MAX_PAYLOAD_OFFSET),
    head: head >>> 0,
    freeHead: word(RING_FREE_HEAD_OFFSET) >>> 0,
    tail: tail >>> 0,
    used,
    free: capacity - used,
    messages: walk.messages,
    heapMessages: walk.heapMessages,
    claims: { pending: walk.claims, dead: walk.deadClaims },
    parked: { consumers: word(RING_CONSUMERS_PARKED_OFFSET), producers: word(RING_PRODUCERS_PARKED_OFFSET) },
    ended: (word(RING_FLAGS_OFFSET) & RING_FLAG_CLOSED) !== 0,
    consumer: kind === RING_KIND_MPMC ? null : ownerReport(word(RING_CONSUMER_SLOT_OFFSET)),
    producer: kind === RING_KIND_SPSC ? ownerReport(word(RING_PRODUCER_SLOT_OFFSET)) : null,
    owner: ownerReport(word(RING_OWNER_OFFSET)),
    producerLock: kind === RING_KIND_SPSC ? null : readMutex(buffer, at + RING_PRODUCER_LOCK_OFFSET),
    consumerLock: kind === RING_KIND_MPMC ? readMutex(buffer, at + RING_CONSUMER_LOCK_OFFSET) : null,
    senders: {
      registered: (word(RING_SENDERS_FLAGS_OFFSET) & SENDERS_REGISTERED) !== 0,
      untracked: (word(RING_SENDERS_FLAGS_OFFSET) & SENDERS_UNTRACKED) !== 0,
      holders: Array.from({ length: RING_SENDER_SLOTS }, (_, i) => ownerReport(word(RING_SENDER_TABLE_OFFSET + i * 8))).filter((holder): holder is OwnerReport => holder !== null),
    },
    note: walk.note,
  };
}

/**
 * Walks the records from head to tail (bounded by the capacity), counting messages and
 * claims. A zero header inside the range is a claim whose header is not written yet (or
 * damage): the walk stops there and says so.
 */
function walkRecords(data: Int32Array, capacity: number, head: number, tail: number) {
  const result = { messages: 0, heapMessages: 0, claims: 0, deadClaims: 0, note: null as string | null };
  const mask = capacity - 1;
  let position = head;
  for (let steps = 0; ((tail - position) | 0) > 0; steps++) {
    if (steps > capacity / 8) {
      result.note = 'more records than the ring holds: positions moved during the walk';
      break;
    }
    const at = position & mask;
    if ((at & 7) !== 0) {
      result.note = `a position (${position >>> 0}) that is not 8-byte aligned`;
      break;
    }
    const size = Atomics.load(data, (at + RECORD_SIZE_OFFSET) >> 2);
    const type = Atomics.load(data, (at + RECORD_TYPE_OFFSET) >> 2);
    const length = Math.abs(size);
    if (size === 0 || length > capacity - at) {
      result.note = size === 0 ? 'a record is being written' : `a record of ${length} bytes runs past the end of the ring`;
      break;
    }
    if (size < 0) {
      // Claimed: the type word holds the claimer's owner word with the claim bit set.
      result.claims++;
      const owner = ownerReport((type & ~RECORD_CLAIM_BIT) >>> 0);
      if (owner && !owner.alive) result.deadClaims++;
    } else if (type !== RECORD_PADDING) {
      result.messages++;
      if (type === RECORD_HEAP) result.heapMessages++;
    }
    position = (position + ((length + 7) & ~7)) | 0;
  }
  return result;
}

export function readBroadcast(buffer: ArrayBuffer, at: number): BroadcastReport {
  if (at + BROADCAST_HEADER_LENGTH > buffer.byteLength) throw new Error('the broadcast header lies outside the section');
  const header = new Int32Array(buffer, at, BROADCAST_HEADER_LENGTH >> 2);
  const word = (offset: number): number => Atomics.load(header, offset >> 2);
  if (word(BROADCAST_MAGIC_OFFSET) !== BROADCAST_MAGIC) throw new Error('no broadcast here (bad magic): not initialised, or overwritten');
  const version = word(BROADCAST_VERSION_OFFSET);
  if (version !== BROADCAST_VERSION) throw new Error(`broadcast format version ${version}, this shmkit reads ${BROADCAST_VERSION}`);
  return {
    capacity: word(BROADCAST_CAPACITY_OFFSET),
    maxPayload: word(BROADCAST_MAX_PAYLOAD_OFFSET),
    tail: word(BROADCAST_TAIL_OFFSET) >>> 0,
    latest: word(BROADCAST_LATEST_OFFSET) >>> 0,
    published: word(BROADCAST_NEXT_SEQUENCE_OFFSET) >>> 0,
    readersParked: word(BROADCAST_READERS_PARKED_OFFSET),
    ended: (word(BROADCAST_FLAGS_OFFSET) & 1) !== 0,
    writer: ownerReport(word(BROADCAST_WRITER_SLOT_OFFSET)),
  };
}
