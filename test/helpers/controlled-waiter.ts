/**
 * A Waiter on a SharedArrayBuffer whose identity and liveness answers the test sets, so one
 * thread can play several "processes" and decide which of them are dead, or whose pid was
 * reused by another process. (SharedArrayBufferWaiter says every process is alive.)
 */
import { startTimeHash } from '../../src/layout/owner.js';
import { SharedArrayBufferWaiter } from '../../src/sync/sab-waiter.js';
import type { WaiterIdentity } from '../../src/sync/waiter.js';

/** Which processes live: pid -> start-time hash of the process that has that pid now. */
export class World {
  private readonly living = new Map<number, number>();
  /** Every isAlive question asked, for "nobody asked" assertions. */
  questions = 0;

  constructor(readonly buffer: SharedArrayBuffer) {}

  /** A waiter for process `pid` (start time derived from it), alive until killed. */
  process(pid: number): ControlledWaiter {
    const waiter = new ControlledWaiter(this, this.buffer, { pid, startTime: pid * 1000 + 7, threadId: 0 });
    this.living.set(pid, startTimeHash(waiter.identity.startTime));
    return waiter;
  }

  kill(pid: number): void {
    this.living.delete(pid);
  }

  /** The pid now belongs to another process (another start time). */
  reuse(pid: number): void {
    this.living.set(pid, (startTimeHash(pid * 1000 + 7) + 1) & 0xff);
  }

  revive(pid: number): void {
    this.living.set(pid, startTimeHash(pid * 1000 + 7));
  }

  isAlive(pid: number, hash: number): boolean {
    this.questions++;
    return this.living.get(pid) === hash;
  }
}

export class ControlledWaiter extends SharedArrayBufferWaiter {
  override readonly identity: WaiterIdentity;

  constructor(
    private readonly world: World,
    buffer: SharedArrayBuffer,
    identity: WaiterIdentity,
  ) {
    super(buffer);
    this.identity = identity;
  }

  override isAlive(pid: number, hash: number): boolean {
    return this.world.isAlive(pid, hash);
  }
}
