/**
 * RingSlot: the single consumer of an SPSC / MPSC ring, the single producer of an SPSC ring,
 * or the single writer of a Broadcast, made explicit in its header (layout/ring.ts, "consumer
 * slot", "producer slot"; layout/broadcast.ts, "writer slot").
 *
 * A slot is one 64-bit word: the low half the holder's owner word (pid + start-time hash,
 * layout/owner.ts), the high half a token unique to the handle. A handle takes the slot by
 * CAS before its first read (or SPSC claim):
 * - from 0 (nobody holds it);
 * - from a holder whose process is dead: its successor takes over;
 * - a live holder with another token (another process, or another handle or thread of this
 *   one) is ChannelBusyError: two consumers of one SPSC / MPSC ring would corrupt it.
 * close() and garbage collection of the handle give the slot back.
 *
 * Taking and giving back are rare; the hot path only tests `held`.
 */
import { threadId } from 'node:worker_threads';
import { ChannelBusyError } from '../errors.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import type { Waiter } from '../sync/waiter.js';

/** Gives a slot back when its handle is collected without close(). */
const released = new FinalizationRegistry<{ lanes: BigInt64Array; index: number; value: bigint }>(({ lanes, index, value }) => {
  Atomics.compareExchange(lanes, index, value, 0n);
});

let lastToken = 0;
/**
 * A token no other live handle with the same owner word holds. Owner words name the thread
 * on Linux (section waiters) but only the process for SharedArrayBuffer waiters, so the token
 * carries the worker threadId (11 bits) and a per-thread counter (20 bits): distinct for the
 * first million handles of each of 2,048 threads, and never 0.
 */
function newToken(): number {
  lastToken = (lastToken % 0xf_ffff) + 1;
  return ((threadId & 0x7ff) << 20) | lastToken;
}

export class RingSlot {
  private readonly lanes: BigInt64Array;
  private readonly index: number;
  private readonly value: bigint;
  private readonly owner: number;
  private readonly token: number;
  /** The slot as two words (owner word, token), for allocation-free checks. */
  private readonly words: Int32Array;
  held = false;
  /** Holders found dead and replaced by this handle. */
  takeovers = 0;

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    byteOffset: number,
    private readonly waiter: Waiter,
    private readonly role: 'consumer' | 'producer' | 'writer' | 'sender',
    /** What the slot belongs to and what to use instead, for messages: 'this spsc channel', "kind 'mpsc' ...". */
    private readonly what: string,
    private readonly instead: string,
  ) {
    this.lanes = new BigInt64Array(buffer, byteOffset, 1);
    this.words = new Int32Array(buffer, byteOffset, 2);
    this.index = 0;
    this.owner = ownerWord(waiter.identity.pid, waiter.identity.startTime);
    this.token = newToken();
    this.value = (BigInt(this.token) << 32n) | BigInt(this.owner >>> 0);
  }

  /** Takes the slot (see the file comment); true if a dead holder was replaced. */
  take(): boolean {
    const before = this.takeovers;
    const holder = this.tryTake();
    if (holder !== 0) {
      const who = holder === this.owner ? 'another handle in this process or thread' : `process or thread ${ownerPid(holder)}`;
      throw new ChannelBusyError(`${this.what} already has a live ${this.role} (${who}): ${this.instead}; or close() the other handle first`);
    }
    return this.takeovers !== before;
  }

  /** Takes the slot if it is free or its holder is dead: 0; else the live holder's owner word. */
  tryTake(): number {
    for (;;) {
      const current = Atomics.load(this.lanes, this.index);
      if (current === this.value) {
        this.held = true;
        return 0;
      }
      if (current !== 0n) {
        const holder = Number(current & 0xffff_ffffn);
        if (this.waiter.isAlive(ownerPid(holder), ownerHash(holder))) return holder;
      }
      if (Atomics.compareExchange(this.lanes, this.index, current, this.value) === current) {
        this.held = true;
        released.register(this, { lanes: this.lanes, index: this.index, value: this.value }, this);
        if (current !== 0n) this.takeovers++;
        return 0;
      }
    }
  }

  /**
   * Throws ChannelBusyError if another handle took the slot over (it judged this process
   * dead: wrong, since this process runs). Checked before a consumer publishes its head, so
   * such a zombie never moves the ring's shared positions.
   */
  check(): void {
    // Two 32-bit loads, not one 64-bit: a BigInt load allocates, and this runs on every publish.
    if (this.held && (Atomics.load(this.words, 0) !== (this.owner | 0) || Atomics.load(this.words, 1) !== this.token)) {
      this.held = false;
      throw new ChannelBusyError(`this handle's ${this.role} slot was taken over by a process that judged this one dead (processes in different pid namespaces?); its ${this.role === 'consumer' ? 'reads' : 'writes'} stop here`);
    }
  }

  /** Gives the slot back if this handle holds it. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    released.unregister(this);
    Atomics.compareExchange(this.lanes, this.index, this.value, 0n);
  }
}
