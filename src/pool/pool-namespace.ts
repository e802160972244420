/**
 * The shared objects of one pool in its namespace: the control block ('pool'), the task
 * queue ('tasks', MPMC), results channels ('results.<slot>', MPSC, one per submitter),
 * control channels ('control.<worker id>', MPSC), worker mailboxes ('mailbox.<worker id>')
 * and the broadcast. Owner, submitters and workers all reach them through here.
 */
import type { Channel } from '../channel/channel.js';
import { KindMismatchError } from '../errors.js';
import { RING_HEAD_OFFSET } from '../layout/ring.js';
import {
  POOL_CONTROL_CAPACITY,
  POOL_OBJECT_NAME,
  POOL_QUEUE_CAPACITY,
  POOL_QUEUE_NAME,
  POOL_RESULTS_CAPACITY,
  poolBlockLength,
} from '../layout/pool.js';
import type { Namespace } from '../namespace.js';
import type { Directory } from '../store/directory.js';
import { PoolBlock, type PoolBlockSettings } from './pool-block.js';

/** The namespace's directory: Namespace keeps it private; the pool adds an object kind of its own. */
function directoryOf(ns: Namespace): Directory {
  return (ns as unknown as { directory: Directory }).directory;
}

/** Makes the control block of a new pool (the namespace was just created). */
export function createPoolBlock(ns: Namespace, settings: PoolBlockSettings): PoolBlock {
  const { offset } = directoryOf(ns).findOrCreate(POOL_OBJECT_NAME, 'pool', poolBlockLength(settings.workerSlots), (at) =>
    PoolBlock.initialize(ns.section.buffer, at, settings),
  );
  return new PoolBlock(ns.section.buffer, offset);
}

/** The control block of an existing pool; KindMismatchError-free: undefined when there is none. */
export function findPoolBlock(ns: Namespace): PoolBlock | undefined {
  try {
    const { offset } = directoryOf(ns).findOrCreate(POOL_OBJECT_NAME, 'pool', 0, () => undefined, false);
    return new PoolBlock(ns.section.buffer, offset);
  } catch (error) {
    if (error instanceof KindMismatchError) return undefined;
    throw error;
  }
}

/*
 * The pool's own channels ignore their senders' liveness (Channel.ignoreSenders): the
 * supervisor watches workers and submitters and fails what a dead one leaves, so a receiver
 * never needs SendersGoneError, and an idle worker or submitter parks without time slices.
 */
export function taskQueue(ns: Namespace): Channel<Uint8Array> {
  return ns.channel<Uint8Array>(POOL_QUEUE_NAME, { kind: 'mpmc', capacity: POOL_QUEUE_CAPACITY, codec: 'raw' }).ignoreSenders();
}

export function resultsChannel(ns: Namespace, slot: number): Channel<Uint8Array> {
  return ns.channel<Uint8Array>(`results.${slot}`, { kind: 'mpsc', capacity: POOL_RESULTS_CAPACITY, codec: 'raw' }).ignoreSenders();
}

export function controlChannel(ns: Namespace, workerId: number): Channel<Uint8Array> {
  return ns.channel<Uint8Array>(`control.${workerId}`, { kind: 'mpsc', capacity: POOL_CONTROL_CAPACITY, codec: 'raw' }).ignoreSenders();
}

export function mailboxName(workerId: number): string {
  return `mailbox.${workerId}`;
}

/** Index (in the ring header's Int32Array) of the queue's shared head word. */
export const QUEUE_HEAD_INDEX = RING_HEAD_OFFSET >> 2;
