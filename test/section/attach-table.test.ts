/**
 * The attach table's reaping, on a plain ArrayBuffer with liveness answers the test controls:
 * an attacher frees the slots of provably dead processes (gone, or their pid recycled by a
 * process with another start time) and never one whose process lives or cannot be judged,
 * including a live process that got a dead one's pid and claimed its slot mid-reap.
 */
import { describe, expect, it } from 'vitest';
import {
  ARMED_SLOTS_OFFSET,
  HEADER_LENGTH,
  SLOT_HIGH_WATER_OFFSET,
  SLOT_PID_OFFSET,
  SLOT_START_TIME_OFFSET,
  slotOffset,
} from '../../src/layout/section-header.js';
import { UNKNOWN_START_TIME, type Platform } from '../../src/platform/index.js';
import { AttachTable } from '../../src/section/attach-table.js';

/** A table over a fresh header, with `startTimes` as the OS's answer (missing pid: no such process). */
function makeTable(startTimes: Map<number, number>, onLookup?: (pid: number) => void) {
  const buffer = new ArrayBuffer(HEADER_LENGTH);
  const platform = {
    processStartTime(pid: number): number {
      const answer = startTimes.get(pid) ?? 0;
      onLookup?.(pid); // what happens right after the OS answered
      return answer;
    },
  } as unknown as Platform;
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  return {
    table: new AttachTable(buffer, platform),
    pidOf: (slot: number) => Atomics.load(i32, (slotOffset(slot) + SLOT_PID_OFFSET) / 4),
    startTimeOf: (slot: number) => f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8]!,
    /** Writes a slot as a process would have left it (raising the high-water mark). */
    put(slot: number, pid: number, startTime: number) {
      f64[(slotOffset(slot) + SLOT_START_TIME_OFFSET) / 8] = startTime;
      Atomics.store(i32, (slotOffset(slot) + SLOT_PID_OFFSET) / 4, pid);
      const highWater = SLOT_HIGH_WATER_OFFSET / 4;
      if (Atomics.load(i32, highWater) < slot + 1) Atomics.store(i32, highWater, slot + 1);
    },
    armedSlots: () => Atomics.load(i32, ARMED_SLOTS_OFFSET / 4),
  };
}

const SELF = { pid: 100, startTime: 1000 };

describe('AttachTable reaping', () => {
  it('a claim frees the slots of dead and recycled pids and keeps live, unknown and in-progress ones', () => {
    const times = new Map([
      [SELF.pid, SELF.startTime],
      [201, 2010], // live, start time matches
      [202, 9999], // pid recycled: the process recorded (start 2020) is dead
      [204, UNKNOWN_START_TIME], // cannot tell now: alive
      [205, 2050], // claim in progress (negative pid): judged by the pid alone
    ]);
    const t = makeTable(times);
    t.put(0, 201, 2010);
    t.put(1, 202, 2020);
    t.put(2, 203, 2030); // no such process
    t.put(3, 204, 2040);
    t.put(4, -205, 0);
    t.put(5, -206, 0); // a claimer that died mid-claim
    t.put(6, SELF.pid, 555); // a dead earlier process with our pid
    t.table.arm(1);
    t.table.arm(0);
    expect(t.armedSlots()).toBe(2);

    const slot = t.table.claim(SELF);

    expect(slot).toBe(1); // the lowest slot freed
    expect([0, 1, 2, 3, 4, 5, 6].map(t.pidOf)).toEqual([201, SELF.pid, 0, 204, -205, 0, 0]);
    expect(t.startTimeOf(1)).toBe(SELF.startTime);
    expect(t.armedSlots()).toBe(1); // the dead slot's armed count went with it; the live one stays
    expect(t.table.attachments().map((a) => [a.pid, a.alive])).toEqual([
      [201, true], [SELF.pid, true], [204, true], [205, true],
    ]);
  });

  it('reapDead frees nothing when every recorded process lives', () => {
    const t = makeTable(new Map([[SELF.pid, SELF.startTime], [201, 2010]]));
    t.put(0, 201, 2010);
    t.put(1, SELF.pid, SELF.startTime);
    expect(t.table.reapDead(SELF)).toBe(0);
    expect([t.pidOf(0), t.pidOf(1)]).toEqual([201, SELF.pid]);
  });

  it('gives the slot back to a live process that got the dead pid and claimed the slot between look and write', () => {
    const times = new Map([[SELF.pid, SELF.startTime]]);
    let looks = 0;
    const t = makeTable(times, (pid) => {
      if (pid !== 300 || ++looks !== 1) return;
      // Our first look at pid 300 said "no such process". Right after it, a new process gets
      // pid 300, reaps the slot and claims it (0 -> -300 -> 300, start time 3333): the word we
      // CAS from holds 300 again, but its owner is another process, alive.
      times.set(300, 3333);
      t.put(0, 300, 3333);
    });
    t.put(0, 300, 3000); // the dead process's slot
    expect(t.table.reapDead(SELF)).toBe(0);
    expect(looks).toBe(2); // judged again after the CAS to our mark, and found alive
    expect([t.pidOf(0), t.startTimeOf(0)]).toEqual([300, 3333]);
    expect(t.table.attachments()).toEqual([{ slot: 0, pid: 300, startTime: 3333, alive: true }]);
  });

  it('leaves a slot whose word changed since the look (CAS from the exact value seen)', () => {
    const times = new Map([[SELF.pid, SELF.startTime], [401, 4010]]);
    let looks = 0;
    const t = makeTable(times, (pid) => {
      // Right after our look found 400 dead, another attacher reaped the slot and 401 claimed it.
      if (pid === 400 && ++looks === 1) t.put(0, 401, 4010);
    });
    t.put(0, 400, 4000);
    expect(t.table.reapDead(SELF)).toBe(0);
    expect(looks).toBe(1); // the CAS from 400 failed: never judged again, never touched
    expect([t.pidOf(0), t.startTimeOf(0)]).toEqual([401, 4010]);
  });

  it('a release that finds a reaper mark in its slot waits a bounded time, then leaves it', () => {
    const t = makeTable(new Map([[SELF.pid, SELF.startTime], [700, 7000]]));
    // A reaper (pid 800) judged an earlier pid-700 process dead, holds its mark while it judges
    // again, and (here) never hands the slot back, as if it died right there.
    t.put(0, -800, 7000);
    const started = performance.now();
    expect(t.table.release(0, 700)).toBe(false);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(40); // it did wait for the hand-back (50 x 1 ms)
    expect(waited).toBeLessThan(2000);
    expect(t.pidOf(0)).toBe(-800); // left for a later attacher to judge
  });

  it('release gives back only a slot that holds the releasing pid', () => {
    const t = makeTable(new Map([[SELF.pid, SELF.startTime], [501, 5010]]));
    const slot = t.table.claim(SELF);
    t.table.arm(slot);
    expect(t.table.release(slot, 501)).toBe(false); // not 501's
    expect(t.pidOf(slot)).toBe(SELF.pid);
    expect(t.table.release(slot, SELF.pid)).toBe(true);
    expect([t.pidOf(slot), t.startTimeOf(slot), t.armedSlots()]).toEqual([0, 0, 0]);
    expect(t.table.release(slot, SELF.pid)).toBe(false); // twice: nothing to give back
  });

  it('a table full of live attachments is NoSpaceError; one dead slot in it makes room', () => {
    const times = new Map([[SELF.pid, SELF.startTime], [600, 6000]]);
    const t = makeTable(times);
    const capacity = (HEADER_LENGTH - slotOffset(0)) / 32;
    for (let slot = 0; slot < capacity; slot++) t.put(slot, 600, 6000);
    expect(() => t.table.claim(SELF)).toThrow(expect.objectContaining({ code: 'ERR_SHMKIT_NO_SPACE' }));
    t.put(17, 601, 6010); // 601 does not run
    expect(t.table.claim(SELF)).toBe(17);
  });
});
