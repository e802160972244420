// The pool control block's offsets match the diagram in src/layout/pool.ts.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layout/pool.js';

describe('pool layout', () => {
  it('header, counters, worker and submitter slots sit where the diagram says', () => {
    expect([L.POOL_MAGIC_OFFSET, L.POOL_VERSION_OFFSET, L.POOL_WORKER_SLOTS_OFFSET, L.POOL_SUBMITTER_SLOTS_OFFSET, L.POOL_STATE_OFFSET]).toEqual([0, 4, 8, 12, 16]);
    expect([L.POOL_TASK_TIMEOUT_OFFSET, L.POOL_MAX_QUEUE_OFFSET, L.POOL_SUPERVISOR_OFFSET, L.POOL_EPOCH_OFFSET, L.POOL_MODE_OFFSET, L.POOL_CODEC_OFFSET]).toEqual([20, 24, 28, 32, 40, 44]);
    expect(L.POOL_EPOCH_OFFSET % 8).toBe(0);
    expect([L.POOL_QUEUED_OFFSET, L.POOL_RUNNING_OFFSET, L.POOL_COMPLETED_OFFSET, L.POOL_FAILED_OFFSET, L.POOL_CRASHED_OFFSET, L.POOL_TIMED_OUT_OFFSET, L.POOL_LIVE_WORKERS_OFFSET]).toEqual([128, 132, 136, 140, 144, 148, 152]);
    expect([L.POOL_TAKEOVERS_OFFSET, L.POOL_SKIPPED_OFFSET]).toEqual([156, 160]);
    expect(L.POOL_WORKER_TABLE_OFFSET).toBe(256);
    expect([L.WORKER_STATE_OFFSET, L.WORKER_OWNER_OFFSET, L.WORKER_TAKE_STATE_OFFSET, L.WORKER_TAKE_POSITION_OFFSET, L.WORKER_TASK_SUBMITTER_OFFSET, L.WORKER_TASK_ID_OFFSET, L.WORKER_TASK_GENERATION_OFFSET]).toEqual([0, 4, 8, 12, 16, 20, 24]);
    expect([L.WORKER_STARTED_AT_OFFSET, L.WORKER_DEADLINE_OFFSET, L.WORKER_BUSY_MS_OFFSET, L.WORKER_TASKS_RUN_OFFSET, L.WORKER_IDLE_SINCE_OFFSET, L.WORKER_PID_OFFSET, L.WORKER_INCARNATION_OFFSET]).toEqual([28, 32, 36, 40, 44, 48, 52]);
    expect(L.WORKER_INCARNATION_OFFSET + 4).toBeLessThanOrEqual(L.WORKER_SLOT_LENGTH);
    expect([L.SUBMITTER_OWNER_OFFSET, L.SUBMITTER_GENERATION_OFFSET, L.SUBMITTER_PID_OFFSET, L.SUBMITTER_IN_FLIGHT_OFFSET]).toEqual([0, 4, 8, 12]);
    expect(L.submitterTableOffset(4)).toBe(256 + 4 * 128);
    expect(L.cancelTablesOffset(4)).toBe(256 + 4 * 128 + L.POOL_SUBMITTER_SLOTS * 32);
    expect(L.poolBlockLength(4)).toBe(L.cancelTablesOffset(4) + L.POOL_SUBMITTER_SLOTS * L.POOL_CANCEL_SLOTS * 4);
  });

  it('a cancel table has more words than the queue can hold records (no two queued tasks share a word)', () => {
    expect(L.POOL_CANCEL_SLOTS & (L.POOL_CANCEL_SLOTS - 1)).toBe(0);
    expect(L.POOL_QUEUE_CAPACITY / L.POOL_MIN_RECORD).toBeLessThan(L.POOL_CANCEL_SLOTS);
    expect(L.POOL_MIN_RECORD).toBe(8 + L.TASK_HEADER_LENGTH);
  });
});
