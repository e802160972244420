/**
 * The take protocol: how a task moves from the queue to a worker without being lost or run
 * twice when the worker dies at any step (the layout's prose: src/layout/pool.ts).
 *
 * The MPMC queue's consumers read a record under a robust consumer lock and move the shared
 * head before letting go; a consumer killed before moving the head leaves the record at the
 * head for the next one (who recovers the lock). The dangerous window is after the head moved
 * and before the worker has written down that it holds the task: a killed worker there would
 * lose it. So the worker writes the task into its slot (TAKING, with the head position it read
 * at) BEFORE the head moves, while it still holds the lock:
 *
 *   step  worker                                 if it dies here
 *   1     lock, read record at head H            lock recovered, record read again: no loss
 *   2     slot := (H, submitter, id), TAKING     next reader sees TAKING at H = its own head:
 *                                                the record is still there; it clears the slot
 *                                                and runs the task (takeover)
 *   3     head := H + size, unlock               head != H: the supervisor fails the task
 *   4     TAKING -> HELD, run, send result       HELD: the supervisor fails the task
 *   5     HELD -> NONE                           (after the result: the failure is ignored by
 *                                                the submitter, whose promise has settled)
 *
 * Takeover and failure both CAS the dead slot from the state they saw, and a takeover happens
 * before its taker moves the head, so the supervisor (which fails only after seeing the head
 * past H) and a taker never both win.
 */
import {
  POOL_QUEUED_OFFSET,
  POOL_TAKEOVERS_OFFSET,
  TAKE_HELD,
  TAKE_NONE,
  TAKE_TAKING,
  WORKER_TAKE_POSITION_OFFSET,
  WORKER_TAKE_STATE_OFFSET,
  WORKER_TASK_GENERATION_OFFSET,
  WORKER_TASK_ID_OFFSET,
  WORKER_TASK_SUBMITTER_OFFSET,
} from '../layout/pool.js';
import { pauseHook } from '../sync/pause-points.js';
import type { PoolBlock } from './pool-block.js';
import { QUEUE_HEAD_INDEX } from './pool-namespace.js';
import { readU16, readU32 } from './records.js';

/** A task a dead worker held, to fail. */
export interface HeldTask {
  submitter: number;
  id: number;
  generation: number;
}

/** One consumer's side of the protocol: a worker (its slot) or the supervisor (slot -1, takes nothing over for itself). */
export class Taker {
  /** The record taken by the last onRecord call (a copy), until the caller clears it. */
  taken: Uint8Array | undefined;
  /** Bound once: the handler passed to Channel.tryPoll / poll. */
  readonly onRecord: (bytes: Uint8Array, offset: number, length: number) => void;

  constructor(
    private readonly block: PoolBlock,
    private readonly queueHeader: Int32Array,
    private readonly slot: number,
  ) {
    this.onRecord = (bytes, offset, length) => this.take(bytes, offset, length);
  }

  /** Step 2, under the consumer lock: take over a dead taker's slot at this head, record ours, copy the record. */
  private take(bytes: Uint8Array, offset: number, length: number): void {
    const block = this.block;
    const words = block.words;
    // SYNC POINT: the shared head is this record's position (or a padding's before it) while we hold the lock.
    const head = Atomics.load(this.queueHeader, QUEUE_HEAD_INDEX);
    this.takeOver(head);
    block.count(POOL_QUEUED_OFFSET, -1);
    const slot = this.slot;
    if (slot >= 0) {
      Atomics.store(words, block.worker(slot, WORKER_TAKE_POSITION_OFFSET), head);
      Atomics.store(words, block.worker(slot, WORKER_TASK_SUBMITTER_OFFSET), readU16(bytes, offset + 4));
      Atomics.store(words, block.worker(slot, WORKER_TASK_ID_OFFSET), readU32(bytes, offset) | 0);
      Atomics.store(words, block.worker(slot, WORKER_TASK_GENERATION_OFFSET), readU32(bytes, offset + 8) | 0);
      // SYNC POINT: publishes the fields above; from here a dead us is taken over or failed.
      Atomics.store(words, block.worker(slot, WORKER_TAKE_STATE_OFFSET), TAKE_TAKING);
    }
    this.taken = bytes.slice(offset, offset + length);
    pauseHook?.('pool.take.recorded');
  }

  /** Any slot TAKING at `head` belongs to a worker that died before moving the head: the record is ours now. */
  private takeOver(head: number): void {
    const block = this.block;
    const words = block.words;
    for (let w = 0; w < block.workerSlots; w++) {
      const state = block.worker(w, WORKER_TAKE_STATE_OFFSET);
      if (Atomics.load(words, state) !== TAKE_TAKING) continue;
      if (Atomics.load(words, block.worker(w, WORKER_TAKE_POSITION_OFFSET)) !== head) continue;
      // A live worker TAKING holds the lock we hold, or has moved the head past `head`: this one is dead.
      if (Atomics.compareExchange(words, state, TAKE_TAKING, TAKE_NONE) === TAKE_TAKING) {
        block.count(POOL_TAKEOVERS_OFFSET, 1);
      }
    }
  }

  /** Step 4's first half, after the read returned: the head has moved, the task is ours. */
  held(): void {
    pauseHook?.('pool.take.released');
    const block = this.block;
    Atomics.store(block.words, block.worker(this.slot, WORKER_TAKE_STATE_OFFSET), TAKE_HELD);
  }

  /** Step 5: the result is out. */
  letGo(): void {
    pauseHook?.('pool.result.sent');
    const block = this.block;
    Atomics.store(block.words, block.worker(this.slot, WORKER_TAKE_STATE_OFFSET), TAKE_NONE);
  }
}

/**
 * The supervisor's side, for a worker known dead: the task to fail, 'queued' when the dead
 * worker never moved the head (the record waits at the head: the next reader takes it over),
 * or undefined when it held nothing.
 */
export function deadWorkerTask(block: PoolBlock, queueHeader: Int32Array, w: number): HeldTask | 'queued' | undefined {
  const words = block.words;
  const stateIndex = block.worker(w, WORKER_TAKE_STATE_OFFSET);
  const state = Atomics.load(words, stateIndex);
  if (state === TAKE_NONE) return undefined;
  const task: HeldTask = {
    submitter: Atomics.load(words, block.worker(w, WORKER_TASK_SUBMITTER_OFFSET)),
    id: Atomics.load(words, block.worker(w, WORKER_TASK_ID_OFFSET)) >>> 0,
    generation: Atomics.load(words, block.worker(w, WORKER_TASK_GENERATION_OFFSET)) >>> 0,
  };
  if (state === TAKE_TAKING) {
    const position = Atomics.load(words, block.worker(w, WORKER_TAKE_POSITION_OFFSET));
    // SYNC POINT: read the head after the state; a taker clears the slot before it moves the head.
    if (Atomics.load(queueHeader, QUEUE_HEAD_INDEX) === position) return 'queued';
  }
  return Atomics.compareExchange(words, stateIndex, state, TAKE_NONE) === state ? task : undefined;
}
