/**
 * Pool control block (src/pool/): one named object of kind 'pool' (name 'pool') in the pool's
 * namespace, next to the task queue (an MPMC channel 'tasks'), one results channel per
 * submitter ('results.<slot>', MPSC) and one control channel per worker ('control.<id>').
 * All words are i32, read and written with Atomics.
 *
 *          0                   1                   2                   3
 *          0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  header +---------------------------------------------------------------+   0
 *         |                        magic "POOL"                           |
 *         |                     format version (u32)                      |   4
 *         |          worker slots (u32) = maxWorkers, fixed at creation   |   8
 *         |          submitter slots (u32) = POOL_SUBMITTER_SLOTS         |  12
 *         |     state: 1 open, 2 closing (drain), 3 closed / destroyed    |  16  owner
 *         |               taskTimeout (ms, 0 = none)                      |  20  owner, at creation
 *         |               maxQueue (tasks, 0 = unbounded)                 |  24  owner, at creation
 *         |               supervisor's owner word                         |  28  owner
 *         |     epoch (f64, Date.now() at creation): the clock origin     |  32  owner, at creation
 *         |     of every "ms" word below                                  |
 *         |               mode: 1 thread, 2 process                       |  40
 *         |               codec: 0 msgpack, 1 @msgpack/msgpack, 2 raw,    |  44
 *         |               3 a custom codec (connect must pass it)         |
 *  counters (line 1) -------------------------------------------------------- 128
 *         | queued (tasks sent and not yet taken)                         | submitters +, workers -
 *         | running (tasks held by workers)                               | workers
 *         | completed | failed | crashed | timed out | live workers |     | workers / supervisor
 *         | takeovers (records taken over from a worker that died mid-take) | workers, supervisor
 *         | skipped (tasks dropped by their submitter, not run)            | workers
 *  worker table (line 2, at 256): `worker slots` x 128 bytes ----------------------
 *         +0  state: 0 free, 1 starting, 2 idle, 3 busy, 4 exited          | worker, supervisor
 *         +4  owner word of the worker thread / process                   | worker
 *         +8  take state: 0 none, 1 taking, 2 held (see below)            | worker, inheritor, supervisor
 *         +12 take position: the queue's shared head when it was taken    | worker
 *         +16 submitter slot of the task                                  | worker
 *         +20 task id                                                     | worker
 *         +24 submitter generation of the task                            | worker
 *         +28 started at (ms since epoch)                                 | worker
 *         +32 deadline (ms since epoch, 0 = none)                         | worker
 *         +36 busy time (ms, total)                                       | worker
 *         +40 tasks run (total)                                           | worker
 *         +44 idle since (ms since epoch)                                 | worker
 *         +48 pid of the worker's process                                 | worker
 *         +52 incarnation: bumped by the supervisor at each (re)start     | supervisor
 *  submitter table: POOL_SUBMITTER_SLOTS x 32 bytes --------------------------------
 *         +0  owner word (0 = free)                                       | submitter (CAS), supervisor
 *         +4  generation: bumped at each claim; task and result records   | submitter
 *             carry it, so records of a dead predecessor are skipped
 *         +8  pid                                                         | submitter
 *         +12 tasks in flight (for inspect)                               | submitter
 *  cancel tables: POOL_SUBMITTER_SLOTS x POOL_CANCEL_SLOTS words -----------------
 *         one table per submitter: word (id & (POOL_CANCEL_SLOTS - 1)) holds the id of a
 *         task its submitter gave up on (abort, timeout); a worker that takes that task skips
 *         it. The queue holds at most capacity / POOL_MIN_RECORD records, fewer than the table
 *         has words, and one submitter's queued ids are consecutive, so two queued tasks of one
 *         submitter never share a word.
 *
 * The take protocol (worker table +8..+24), who may write what:
 * - a worker, inside its queue read (holding the queue's consumer lock, before the head
 *   moves) writes position, submitter, id, generation, then take state TAKING;
 * - after the read has moved the head and dropped the lock: TAKING -> HELD;
 * - after its result is in the submitter's results channel: HELD -> NONE.
 * - A reader that finds, under the consumer lock, another slot TAKING at the very position it
 *   reads from knows that slot's worker died before moving the head: the record is still
 *   there, it takes it over, and clears the dead slot (CAS TAKING -> NONE).
 * - The supervisor fails the task of a dead worker found HELD, or TAKING at a position the
 *   head has since passed (then the dead worker moved it: nobody else can read it), by CAS to
 *   NONE; one of the two CASes wins, so a task is failed or run, never both, never twice.
 */

export const POOL_MAGIC = 0x4c4f_4f50; // "POOL" little-endian
export const POOL_VERSION = 1;
/** The name of the control block (kind 'pool') in the pool's namespace. */
export const POOL_OBJECT_NAME = 'pool';
export const POOL_QUEUE_NAME = 'tasks';
export const POOL_BROADCAST_NAME = 'broadcast';
export const POOL_SUBMITTER_SLOTS = 32;
/** Bytes of the task queue ring: a few thousand small tasks. */
export const POOL_QUEUE_CAPACITY = 128 * 1024;
/** The smallest queue record: 8-byte ring header + 16-byte task header. */
export const POOL_MIN_RECORD = 24;
/** Words of each submitter's cancel table: more than the queue can hold records. */
export const POOL_CANCEL_SLOTS = 8192;
export const POOL_RESULTS_CAPACITY = 128 * 1024;
export const POOL_CONTROL_CAPACITY = 4096;

const i32 = 4;
let offset = 0;
export const POOL_MAGIC_OFFSET = offset; offset += i32;
export const POOL_VERSION_OFFSET = offset; offset += i32;
export const POOL_WORKER_SLOTS_OFFSET = offset; offset += i32;
export const POOL_SUBMITTER_SLOTS_OFFSET = offset; offset += i32;
export const POOL_STATE_OFFSET = offset; offset += i32;
export const POOL_TASK_TIMEOUT_OFFSET = offset; offset += i32;
export const POOL_MAX_QUEUE_OFFSET = offset; offset += i32;
export const POOL_SUPERVISOR_OFFSET = offset; offset += i32;
export const POOL_EPOCH_OFFSET = offset; offset += 8;
export const POOL_MODE_OFFSET = offset; offset += i32;
export const POOL_CODEC_OFFSET = offset; offset += i32;

offset = 128;
export const POOL_QUEUED_OFFSET = offset; offset += i32;
export const POOL_RUNNING_OFFSET = offset; offset += i32;
export const POOL_COMPLETED_OFFSET = offset; offset += i32;
export const POOL_FAILED_OFFSET = offset; offset += i32;
export const POOL_CRASHED_OFFSET = offset; offset += i32;
export const POOL_TIMED_OUT_OFFSET = offset; offset += i32;
export const POOL_LIVE_WORKERS_OFFSET = offset; offset += i32;
export const POOL_TAKEOVERS_OFFSET = offset; offset += i32;
export const POOL_SKIPPED_OFFSET = offset; offset += i32;

offset = 256;
export const POOL_WORKER_TABLE_OFFSET = offset;
export const WORKER_SLOT_LENGTH = 128;
let slot = 0;
export const WORKER_STATE_OFFSET = slot; slot += i32;
export const WORKER_OWNER_OFFSET = slot; slot += i32;
export const WORKER_TAKE_STATE_OFFSET = slot; slot += i32;
export const WORKER_TAKE_POSITION_OFFSET = slot; slot += i32;
export const WORKER_TASK_SUBMITTER_OFFSET = slot; slot += i32;
export const WORKER_TASK_ID_OFFSET = slot; slot += i32;
export const WORKER_TASK_GENERATION_OFFSET = slot; slot += i32;
export const WORKER_STARTED_AT_OFFSET = slot; slot += i32;
export const WORKER_DEADLINE_OFFSET = slot; slot += i32;
export const WORKER_BUSY_MS_OFFSET = slot; slot += i32;
export const WORKER_TASKS_RUN_OFFSET = slot; slot += i32;
export const WORKER_IDLE_SINCE_OFFSET = slot; slot += i32;
export const WORKER_PID_OFFSET = slot; slot += i32;
export const WORKER_INCARNATION_OFFSET = slot; slot += i32;

export const SUBMITTER_SLOT_LENGTH = 32;
slot = 0;
export const SUBMITTER_OWNER_OFFSET = slot; slot += i32;
export const SUBMITTER_GENERATION_OFFSET = slot; slot += i32;
export const SUBMITTER_PID_OFFSET = slot; slot += i32;
export const SUBMITTER_IN_FLIGHT_OFFSET = slot; slot += i32;

export const POOL_STATE_OPEN = 1;
export const POOL_STATE_CLOSING = 2;
export const POOL_STATE_CLOSED = 3;

export const WORKER_FREE = 0;
export const WORKER_STARTING = 1;
export const WORKER_IDLE = 2;
export const WORKER_BUSY = 3;
export const WORKER_EXITED = 4;

export const TAKE_NONE = 0;
export const TAKE_TAKING = 1;
export const TAKE_HELD = 2;

export const POOL_MODE_THREAD = 1;
export const POOL_MODE_PROCESS = 2;

/** Byte offset of the submitter table in a block of `workerSlots` worker slots. */
export function submitterTableOffset(workerSlots: number): number {
  return POOL_WORKER_TABLE_OFFSET + workerSlots * WORKER_SLOT_LENGTH;
}

/** Byte offset of the first cancel table. */
export function cancelTablesOffset(workerSlots: number): number {
  return submitterTableOffset(workerSlots) + POOL_SUBMITTER_SLOTS * SUBMITTER_SLOT_LENGTH;
}

/** Bytes of a control block with `workerSlots` worker slots. */
export function poolBlockLength(workerSlots: number): number {
  return cancelTablesOffset(workerSlots) + POOL_SUBMITTER_SLOTS * POOL_CANCEL_SLOTS * 4;
}

/**
 * Task record in the queue (after the ring's record header), little-endian:
 *   +0 task id (u32, from 1, per submitter)   +4 submitter slot (u16)   +6 flags (u16)
 *   +8 submitter generation (u32)             +12 deadline (ms since epoch, 0 = none)
 *   +16 [name length (u8), name bytes] when FLAG_NAMED; then the task's codec bytes, or
 *       when FLAG_LARGE a u32 length: the bytes wait in the namespace variable
 *       `.pool.task.<slot>.<generation>.<id>`.
 */
export const TASK_HEADER_LENGTH = 16;
export const TASK_FLAG_NAMED = 1;
export const TASK_FLAG_LARGE = 2;

/**
 * Result record in a submitter's results channel, little-endian:
 *   +0 task id (u32)   +4 status (u32)   +8 submitter generation (u32)   +12 run time (µs, u32)
 *   +16 the result's codec bytes (status OK), else a JSON error {name, message, code, stack}.
 */
export const RESULT_HEADER_LENGTH = 16;
export const RESULT_OK = 0;
export const RESULT_ERROR = 1;
export const RESULT_CRASHED = 2;
export const RESULT_TIMED_OUT = 3;
export const RESULT_CLOSED = 4;

/** Control record (worker's control channel): op (u32), submitter slot (u32), task id (u32), reason (u32). */
export const CONTROL_LENGTH = 16;
export const CONTROL_ABORT = 1;
export const CONTROL_STOP = 2;
/** Wakes a dying thread's parked waits (src/pool/worker-host.ts); workers ignore it. */
export const CONTROL_POKE = 3;
export const ABORT_REASON_ABORTED = 0;
export const ABORT_REASON_TIMEOUT = 1;
export const ABORT_REASON_SUBMITTER_GONE = 2;
export const ABORT_REASON_CLOSED = 3;
