/**
 * DoorbellHub: every async wait of this JS thread on any section, served by ONE OS wait.
 *
 * koffi runs async calls on libuv's thread pool (4 threads by default, shared with fs, dns and
 * zlib), so one blocking OS wait per pending promise would starve the process after four. So:
 *
 * - A thread with async waits pending on a section arms its attach slot (armed = 1).
 * - A waker that changes a word with waiters bumps the doorbell word of every armed slot and
 *   futex-wakes it (SectionWaiter.notify).
 * - The hub keeps one waitAnyAsync in flight watching the doorbells of all sections it has
 *   waits on, plus a control word of its own. When any bell rings it re-checks every pending
 *   wait (resolving those whose word moved) and waits again.
 *
 * No lost wake-up: the hub reads each doorbell BEFORE re-checking the pending words, and
 * waits for the doorbells to differ from what it read. A waker that changes a word after
 * that re-check also bumps a doorbell after the read, so the OS wait returns at once.
 * A new wait arms its slot before its own first check of the word, for the same reason.
 *
 * The control word is bumped to make the in-flight wait return when the set of doorbells
 * changes or the hub runs out of pending waits (so nothing keeps the process alive).
 *
 * Past what one OS wait can watch (futex_waitv: 128 words, the control word included), a
 * section is WATCHED instead: its slot is armed ARMED_WATCHED, and wakers, after ringing the
 * doorbell, also write one zero byte into the slot through their descriptor; an inotify watch
 * on the object (fs.watch, read by libuv on the event loop) re-checks that section's waits.
 * No thread, no CPU while idle, at any number of sections. The watch is in place before the
 * slot is armed and the arm before the word is checked, so a waker that changes the word
 * after our check writes after the watch began: no lost wake-up. Only where the OS cannot
 * watch (or runs out of inotify watches) is a section POLLED, in 10 ms slices.
 *
 * Exit: the OS wait runs on a libuv pool thread, and Node does not finish exiting (libuv joins
 * its pool threads; a worker thread's teardown waits for its in-flight calls) while one is
 * still blocked. So the main thread's hub wakes itself on process 'exit' (process.exit(), an
 * uncaught exception, the loop's end) and waits no more. A worker thread gets no JS event when
 * it is terminated, so its hub waits in bounded slices (WORKER_THREAD_SLICE_MS): a terminated
 * thread's last wait returns within a slice, and an idle thread wakes a few times a second.
 */
import { AbortError, SectionClosedError } from '../errors.js';
import { HEADER_LENGTH, SLOT_DOORBELL_OFFSET, slotOffset } from '../layout/section-header.js';
import type { Mapping, Platform, WatchedWord } from '../platform/index.js';
import { ARMED_FUTEX, ARMED_WATCHED } from './attach-table.js';
import type { WaitResult } from './section-waiter.js';
import { isMainThread } from 'node:worker_threads';

/** The longest OS wait of a worker thread's hub: how long its termination can wait for it. */
export const WORKER_THREAD_SLICE_MS = 250;

export interface HubSection {
  readonly mapping: Mapping;
  readonly attachSlot: number;
  readonly words: Int32Array; // over the user area
  arm(mode?: number): void;
  disarm(): void;
  /** Watches pokes of the section (see the class comment); undefined where impossible. */
  watch?(onChange: () => void, onError: (error: Error) => void): { close(): void } | undefined;
}

/** How the hub learns that a section's doorbell rang. */
type EntryMode = 'futex' | 'watched' | 'polled';

interface PendingWait {
  readonly entry: SectionEntry;
  readonly index: number;
  readonly expected: number;
  readonly resolve: (result: WaitResult) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface SectionEntry {
  readonly section: HubSection;
  readonly doorbell: bigint;
  readonly doorbellIndex: number; // Int32 index into mapping.buffer
  readonly header: Int32Array;
  readonly waits: Set<PendingWait>;
  mode: EntryMode;
  watcher: { close(): void } | undefined;
}

export class DoorbellHub {
  private readonly entries = new Map<HubSection, SectionEntry>();
  private control: Mapping | undefined;
  private controlWord: Int32Array | undefined;
  private running = false;
  /** Entries in 'futex' mode: at most maxWatchedWords - 1 (one word is the control word). */
  private futexEntries = 0;
  /** Set on process 'exit': the loop starts no more OS waits (see the class comment). */
  private exiting = false;
  private exitListener: (() => void) | undefined;

  constructor(private readonly platform: Platform) {}

  /** Pending async waits, for tests and inspect(). */
  get pending(): number {
    let count = 0;
    for (const entry of this.entries.values()) count += entry.waits.size;
    return count;
  }

  waitAsync(section: HubSection, byteOffset: number, expected: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const index = byteOffset >> 2;
    if (Atomics.load(section.words, index) !== expected) return Promise.resolve('not-equal');
    if (timeoutMs === 0) return Promise.resolve('timed-out');
    let entry = this.entries.get(section);
    const isNewSection = entry === undefined;
    if (!entry) {
      const at = slotOffset(section.attachSlot) + SLOT_DOORBELL_OFFSET;
      entry = {
        section,
        doorbell: section.mapping.address + BigInt(at),
        doorbellIndex: at >> 2,
        header: new Int32Array(section.mapping.buffer, 0, HEADER_LENGTH >> 2),
        waits: new Set(),
        mode: 'futex',
        watcher: undefined,
      };
      this.entries.set(section, entry);
      this.arm(entry); // SYNC POINT: armed before the word is checked again below
    }
    return new Promise<WaitResult>((resolve, reject) => {
      const pending: PendingWait = {
        entry: entry!, index, expected, resolve, reject, timer: undefined, signal, onAbort: undefined,
      };
      entry!.waits.add(pending);
      if (Atomics.load(section.words, index) !== expected) {
        this.settle(pending, 'ok');
        return;
      }
      if (timeoutMs !== Infinity) pending.timer = setTimeout(() => this.settle(pending, 'timed-out'), timeoutMs);
      if (signal) {
        pending.onAbort = () => this.fail(pending, new AbortError(undefined, { cause: signal.reason }));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      if (isNewSection) this.interrupt();
      this.run();
    });
  }

  /** Rejects the waits on a section that is closing and stops watching its doorbell. */
  detach(section: HubSection): void {
    const entry = this.entries.get(section);
    if (!entry) return;
    for (const pending of [...entry.waits]) this.fail(pending, new SectionClosedError('the section being waited on'));
  }

  private settle(pending: PendingWait, result: WaitResult): void {
    if (!this.remove(pending)) return;
    pending.resolve(result);
  }

  private fail(pending: PendingWait, error: Error): void {
    if (!this.remove(pending)) return;
    pending.reject(error);
  }

  private remove(pending: PendingWait): boolean {
    const { entry } = pending;
    if (!entry.waits.delete(pending)) return false;
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    if (entry.waits.size === 0) {
      this.entries.delete(entry.section);
      entry.section.disarm();
      entry.watcher?.close();
      entry.watcher = undefined;
      if (entry.mode === 'futex') this.futexEntries--;
      if (this.entries.size === 0) this.interrupt();
    }
    return true;
  }

  /**
   * Chooses how to hear the section's doorbell and arms its slot accordingly: a futex word of
   * the shared OS wait while there is room, else an inotify watch, else polling.
   */
  private arm(entry: SectionEntry): void {
    const { section } = entry;
    if (this.futexEntries + 1 < this.platform.maxWatchedWords || section.watch === undefined) {
      entry.mode = 'futex';
      this.futexEntries++;
      section.arm(ARMED_FUTEX);
      return;
    }
    // The watch starts before the slot is armed: every poke after the arm is seen.
    entry.watcher = section.watch(
      () => this.recheckEntry(entry),
      () => {
        // The watch broke (rare: its object is gone): poll this section from now on.
        entry.watcher?.close();
        entry.watcher = undefined;
        entry.mode = 'polled';
        this.interrupt();
      },
    );
    entry.mode = entry.watcher ? 'watched' : 'polled';
    section.arm(entry.watcher ? ARMED_WATCHED : ARMED_FUTEX);
  }

  private recheckEntry(entry: SectionEntry): void {
    for (const pending of entry.waits) {
      if (Atomics.load(entry.section.words, pending.index) !== pending.expected) this.settle(pending, 'ok');
    }
  }

  /** Makes the in-flight OS wait return, so the loop re-reads the set of doorbells. */
  private interrupt(): void {
    if (!this.running || !this.control) return;
    Atomics.add(this.controlWord!, 0, 1);
    this.platform.wake(this.control.address, 1);
  }

  private recheck(): void {
    for (const entry of this.entries.values()) this.recheckEntry(entry);
  }

  private run(): void {
    if (this.running || this.exiting) return;
    this.running = true;
    if (!this.control) {
      this.control = this.platform.mapAnonymous(4096);
      this.controlWord = new Int32Array(this.control.buffer, 0, 1);
    }
    if (isMainThread && this.exitListener === undefined) {
      this.exitListener = () => {
        this.exiting = true;
        this.interrupt(); // the pool thread's wait returns, so the process can finish exiting
      };
      process.once('exit', this.exitListener);
    }
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.entries.size > 0 && !this.exiting) {
        const max = this.platform.maxWatchedWords; // drops to 1 on kernels without futex_waitv
        // Read every doorbell first, then re-check the words: see the class comment.
        const watched: WatchedWord[] = [{ address: this.control!.address, expected: Atomics.load(this.controlWord!, 0) }];
        let unheard = false; // a section neither in this OS wait nor watched: poll it
        for (const entry of this.entries.values()) {
          if (entry.mode === 'watched') continue;
          if (entry.mode === 'polled' || watched.length === max) {
            unheard = true;
            continue;
          }
          watched.push({ address: entry.doorbell, expected: Atomics.load(entry.header, entry.doorbellIndex) });
        }
        this.recheck();
        if (this.entries.size === 0) break;
        // Sections nobody hears are polled: a bounded slice instead of a doorbell.
        const slice = unheard ? 10 : isMainThread ? Infinity : WORKER_THREAD_SLICE_MS;
        await this.platform.waitAnyAsync(watched, slice);
      }
    } finally {
      this.running = false;
    }
    if (this.entries.size > 0 && !this.exiting) this.run(); // a wait arrived as the loop was leaving
  }
}
