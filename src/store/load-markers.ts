/**
 * LoadMarkers: which cache keys some thread is loading right now — the shared half of
 * cache.getOrSet's single flight (layout and protocol: src/layout/namespace.ts, "Loads").
 *
 * One table per namespace (the loads table in the header), keyed by cache object and key,
 * so every cache shares it and cache tables hold nothing but values. A marker names its
 * owner thread like a lock word does (pid and start-time hash), so a waiter can tell a slow
 * loader from a dead one, and a token, so a loader removes only its own marker.
 *
 * Every call but `done` runs under the namespace lock (inside a write or lock() group, so
 * it is journaled and all-or-nothing across a crash). `done` is the futex word waiters park
 * on: read under the lock before parking, bumped after each load ends, so no wake-up is lost.
 */
import { CorruptHeapError } from '../errors.js';
import {
  ENTRY_TYPE_LOAD_MARKER,
  LOAD_KEY_PREFIX_LENGTH,
  LOAD_MARKER_LENGTH,
  LOAD_MARKER_OWNER_OFFSET,
  LOAD_MARKER_THREAD_OFFSET,
  LOAD_MARKER_TOKEN_OFFSET,
  MAX_KEY_BYTES,
  NS_LOAD_RECOVERIES_OFFSET,
  NS_LOAD_WAITERS_OFFSET,
  NS_LOADS_DONE_OFFSET,
  NS_LOADS_TABLE_OFFSET,
  TABLE_DIRECTORY_OFFSET,
} from '../layout/namespace.js';
import { ownerHash, ownerPid, ownerWord } from '../layout/owner.js';
import type { StoreCore } from './store-core.js';
import { hashBytes, INCONSISTENT, NOT_FOUND, type EntryView, type HashTable } from './table.js';

const DONE = NS_LOADS_DONE_OFFSET >> 2;
const WAITERS = NS_LOAD_WAITERS_OFFSET >> 2;
const RECOVERIES = NS_LOAD_RECOVERIES_OFFSET >> 2;
const TABLE_DIRECTORY = (NS_LOADS_TABLE_OFFSET + TABLE_DIRECTORY_OFFSET) >> 2;

/** What lookup() found: no marker, a marker of a live thread, or one whose thread died. */
export const NO_MARKER = 0;
export const LIVE_MARKER = 1;
export const DEAD_MARKER = 2;

export class LoadMarkers {
  private readonly table: HashTable;
  private readonly key = new Uint8Array(LOAD_KEY_PREFIX_LENGTH + MAX_KEY_BYTES);
  private keyLength = 0;
  private keyHash = 0;
  private readonly marker = new Int32Array(LOAD_MARKER_LENGTH >> 2);
  private readonly markerBytes = new Uint8Array(this.marker.buffer);
  private readonly scratch = new Int32Array(1);
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);
  private readonly view: EntryView = { offset: 0, keyLength: 0, valueLength: 0, valueAt: 0, expiresAt: 0, type: 0 };
  private readonly self: number;
  private readonly threadId: number;
  /** After lookup(): whether the marker found is this thread's own. */
  ownedByMe = false;

  constructor(private readonly core: StoreCore) {
    this.table = core.table(NS_LOADS_TABLE_OFFSET);
    const identity = core.waiter.identity;
    this.self = ownerWord(identity.pid, identity.startTime);
    this.threadId = identity.threadId;
  }

  /** Byte offset of the futex word waiters park on. */
  static readonly doneOffset = NS_LOADS_DONE_OFFSET;

  /** Loads that have ended (value published or marker given up), modulo 2^32. */
  get done(): number {
    return Atomics.load(this.core.all, DONE);
  }

  /** Markers taken over from loaders that died. */
  get recoveries(): number {
    return Atomics.load(this.core.all, RECOVERIES);
  }

  /** The loads table, if a getOrSet ever made it (for verify()). */
  get existingTable(): HashTable | undefined {
    return Atomics.load(this.core.all, TABLE_DIRECTORY) === 0 ? undefined : this.table;
  }

  /**
   * Selects the marker key of (cache at `cacheAt`, the key core.encodeKey() encoded last).
   * Call it under the lock right before lookup / claim / release.
   */
  select(cacheAt: number): void {
    const core = this.core;
    const key = this.key;
    key[0] = cacheAt & 0xff;
    key[1] = (cacheAt >>> 8) & 0xff;
    key[2] = (cacheAt >>> 16) & 0xff;
    key[3] = (cacheAt >>> 24) & 0xff;
    key.set(core.key.subarray(0, core.keyLength), LOAD_KEY_PREFIX_LENGTH);
    this.keyLength = LOAD_KEY_PREFIX_LENGTH + core.keyLength;
    this.keyHash = hashBytes(key, this.keyLength);
  }

  /** Under the lock: NO_MARKER, LIVE_MARKER or DEAD_MARKER for the selected key (ownedByMe is set). */
  lookup(): number {
    this.ownedByMe = false;
    if (this.existingTable === undefined) return NO_MARKER;
    const entry = this.find();
    if (entry === 0) return NO_MARKER;
    const at = this.view.valueAt;
    const owner = this.readI32(at + LOAD_MARKER_OWNER_OFFSET);
    const thread = this.readI32(at + LOAD_MARKER_THREAD_OFFSET);
    this.ownedByMe = owner === this.self && thread === this.threadId;
    if (this.ownedByMe) return LIVE_MARKER;
    return this.core.waiter.isAlive(ownerPid(owner), ownerHash(owner)) ? LIVE_MARKER : DEAD_MARKER;
  }

  /**
   * Under the lock, in a write: marks the selected key as loaded by this thread (replacing a
   * dead owner's marker) and returns the token naming this load.
   */
  claim(replacingDead: boolean): number {
    const core = this.core;
    if (this.existingTable === undefined) this.table.create(); // journaled: undone with the write
    const token = core.nextStamp();
    this.marker[LOAD_MARKER_OWNER_OFFSET >> 2] = this.self;
    this.marker[LOAD_MARKER_THREAD_OFFSET >> 2] = this.threadId;
    this.marker[LOAD_MARKER_TOKEN_OFFSET >> 2] = token;
    this.table.put(this.key, this.keyLength, this.keyHash, this.markerBytes, 0, ENTRY_TYPE_LOAD_MARKER, token);
    if (replacingDead) Atomics.add(core.all, RECOVERIES, 1);
    return token;
  }

  /** Under the lock, in a write: removes the selected key's marker if it is load `token`'s. */
  release(token: number): boolean {
    if (this.existingTable === undefined) return false;
    const entry = this.find();
    if (entry === 0 || this.readI32(this.view.valueAt + LOAD_MARKER_TOKEN_OFFSET) !== token) return false;
    return this.table.remove(this.key, this.keyLength, this.keyHash);
  }

  /** After a load ended and its write is visible: waiters look again. */
  announce(): void {
    const all = this.core.all;
    Atomics.add(all, DONE, 1); // SYNC POINT: parked waiters see the word move
    if (Atomics.load(all, WAITERS) > 0) this.core.waiter.notify(NS_LOADS_DONE_OFFSET, 0x7fff_ffff);
  }

  /** A waiter is about to park (before it reads `done` again) / has stopped waiting. */
  addWaiter(delta: 1 | -1): void {
    Atomics.add(this.core.all, WAITERS, delta);
  }

  /** An i32 of a marker: its value follows the key bytes, so it may be unaligned. */
  private readI32(byteOffset: number): number {
    this.scratchBytes.set(this.core.bytes.subarray(byteOffset, byteOffset + 4));
    return this.scratch[0]!;
  }

  private find(): number {
    const entry = this.table.find(this.key, this.keyLength, this.keyHash);
    if (entry === NOT_FOUND) return 0;
    if (entry === INCONSISTENT || !this.table.read(entry, this.view) || this.view.valueLength !== LOAD_MARKER_LENGTH) {
      throw new CorruptHeapError('the loads table of this namespace is inconsistent (damaged memory)');
    }
    return entry;
  }
}

