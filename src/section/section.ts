/**
 * Section: a named piece of memory that several processes map. Memory-backed (a POSIX shared
 * memory object, or the Windows paging file) unless `file` is given, then file-backed and
 * persistent. The first HEADER_LENGTH bytes hold the header; `buffer` is the user area only.
 */
import { IncompatibleSectionError, OutOfRangeError, PermissionError, SectionClosedError, SectionExistsError, SectionInUseError, SectionNotFoundError } from '../errors.js';
import {
  HEADER_LENGTH,
  INIT_READY,
  INIT_STATE_OFFSET,
  layoutKindCode,
  sectionTotalSize,
  type LayoutKind,
} from '../layout/section-header.js';
import { platform, type Mapping, type Platform, type SharedObject } from '../platform/index.js';
import { AttachTable } from './attach-table.js';
import { awaitReady, sleepSync } from './handshake.js';
import { HeaderView, writeHeader } from './header.js';
import { describeSection, listSections, type SectionInfo } from './list.js';
import { mappedBy, type MappedSection } from './mapped-by.js';
import { releaseAtExit } from './release-at-exit.js';
import { SectionWaiter } from './section-waiter.js';
import {
  parseCreate,
  parseOpen,
  parseUnlink,
  type SectionCreateOptions,
  type SectionOpenOptions,
  type SectionOpenOrCreateOptions,
  type SectionUnlinkOptions,
} from './options.js';

/** Test hook: a creator pauses this long mid-initialisation, so fault tests can kill it there. */
const INIT_PAUSE_ENV = 'SHMKIT_TEST_INIT_PAUSE_MS';
/**
 * Test hook: a grower pauses this long between growing the object and publishing the new
 * committed size, so fault tests can SIGKILL it there.
 */
const GROW_PAUSE_MS = Number(process.env['SHMKIT_TEST_GROW_PAUSE_MS'] ?? 0);

function label(name: string, file: string | undefined): string {
  return file ? `section '${name}' (file ${file})` : `section '${name}'`;
}

interface SectionParts {
  name: string;
  file: string | undefined;
  object: SharedObject;
  mapping: Mapping;
  header: HeaderView;
  userSize: number;
  kind: LayoutKind;
  created: boolean;
  readonly: boolean;
}

/**
 * A named piece of memory that threads and processes on this machine map under one name:
 * memory-backed (gone at reboot or unlink) or, with `file`, file-backed and persistent.
 * `buffer` is the user area; a section's `waiter` lets sync and channel structures placed in
 * it wait across processes. Close it when done (or `using section = ...`).
 */
export class Section implements Disposable {
  /** The name passed to create or open; the OS object's name is derived from it. */
  readonly name: string;
  /**
   * Usable bytes (section.buffer.byteLength). For a growable section (a namespace) this is
   * the reserve; only `committed` bytes of it are backed by memory now.
   */
  readonly size: number;
  /** The file behind a file-backed section; undefined for memory-backed ones. */
  readonly file: string | undefined;
  /** What the user area holds: 'raw' for plain sections. */
  readonly kind: LayoutKind;
  /** True if this call created the section (openOrCreate tells which happened). */
  readonly created: boolean;
  /** Mapped read-only (open with `readonly: true`): writes to `buffer` fault; not attached. */
  readonly readonly: boolean;
  /** @internal the attach slot of this Section object, -1 for read-only ones. */
  readonly attachSlot: number;
  /** @internal */
  readonly attachTable: AttachTable;
  /** @internal the mapping of the whole section, header included */
  readonly mapping: Mapping;
  /** @internal the header's typed views */
  readonly header: HeaderView;

  #buffer: ArrayBuffer;
  #waiter: SectionWaiter | undefined;
  #object: SharedObject | undefined;
  readonly #platform: Platform;
  /** Forgets the release owed at exit; undefined once the slot is given back (or for read-only). */
  #forgetExitRelease: (() => void) | undefined;

  private constructor(parts: SectionParts, os: Platform) {
    this.name = parts.name;
    this.file = parts.file;
    this.size = parts.userSize;
    this.kind = parts.kind;
    this.created = parts.created;
    this.readonly = parts.readonly;
    this.mapping = parts.mapping;
    this.header = parts.header;
    this.#object = parts.object;
    this.#platform = os;
    this.#buffer = os.view(parts.mapping, HEADER_LENGTH, parts.userSize);
    this.attachTable = new AttachTable(parts.mapping.buffer, os);
    this.attachSlot = parts.readonly ? -1 : this.attachTable.claim(os.currentProcess);
    if (this.attachSlot >= 0) {
      // A thread that exits without close() still gives the slot back (release-at-exit.ts).
      this.#forgetExitRelease = releaseAtExit(() => this.#detach());
    }
  }

  /**
   * Gives back the attach slot, once: at close, a failed open, or this thread's exit. Also
   * frees the slots of users that died since this one attached, so that a section whose
   * last user leaves cleanly is idle, not stale, even if a peer was killed meanwhile.
   */
  #detach(): void {
    const forget = this.#forgetExitRelease;
    if (forget === undefined) return;
    this.#forgetExitRelease = undefined;
    forget();
    const self = this.#platform.currentProcess;
    this.attachTable.release(this.attachSlot, self.pid);
    this.attachTable.reapDead(self);
  }

  /** Creates a new section; fails with SectionExistsError if the name is taken. */
  static create(name: string, options: SectionCreateOptions): Section {
    const request = parseCreate(name, options, false);
    return Section.#create(request);
  }

  /** Whether sections can grow on this OS (Platform.growObject); if not, a reserve is committed whole at create. */
  static get growable(): boolean {
    return platform().growObject !== undefined;
  }

  static #create(request: ReturnType<typeof parseCreate>): Section {
    const os = platform();
    // Growable: commit `size` now and map the whole reserve. Elsewhere: commit the reserve.
    const growable = request.reserve > request.size && os.growObject !== undefined;
    const totalSize = sectionTotalSize(request.reserve, os.pageSize);
    const committedSize = growable ? sectionTotalSize(request.size, os.pageSize) : totalSize;
    const object = os.createObject({
      name: request.name,
      file: request.file,
      scope: request.scope,
      size: committedSize,
      ...(growable ? { reserve: totalSize } : {}),
      mode: request.mode,
    });
    let mapping: Mapping | undefined;
    let section: Section | undefined;
    try {
      os.lockCreation(object);
      mapping = os.map(object, totalSize);
      const header = new HeaderView(mapping.buffer);
      writeHeader(
        header,
        {
          name: request.name,
          totalSize,
          userSize: request.reserve,
          committedSize,
          kind: request.kind,
          creatorPid: os.currentProcess.pid,
          creatorStartTime: os.currentProcess.startTime,
        },
        layoutKindCode(request.kind),
      );
      const pause = Number(process.env[INIT_PAUSE_ENV] ?? 0);
      if (pause > 0) sleepSync(pause);
      section = new Section(
        { ...request, object, mapping, header, userSize: request.reserve, created: true, readonly: false },
        os,
      );
      request.initialize?.(section.buffer, Math.min(request.reserve, committedSize - HEADER_LENGTH));
      Atomics.store(header.i32, INIT_STATE_OFFSET / 4, INIT_READY); // SYNC POINT: release of the header
      os.wake(mapping.address + BigInt(INIT_STATE_OFFSET), 0x7fffffff);
      os.unlockCreation(object);
      return section;
    } catch (error) {
      if (section) section.#detach();
      if (mapping) os.unmap(mapping);
      os.closeObject(object);
      os.unlinkObject({ name: request.name, file: request.file });
      throw error;
    }
  }

  /** Opens an existing section; waits (up to `timeout`) for one still being initialised. */
  static open(name: string, options?: SectionOpenOptions): Section {
    const request = parseOpen(name, options);
    const os = platform();
    const object = os.openObject({ name: request.name, file: request.file, scope: request.scope, readonly: request.readonly });
    try {
      const { mapping, header, info } = awaitReady(os, object, {
        name: request.name,
        label: label(request.name, request.file),
        memoryBacked: request.file === undefined,
        file: request.file,
        timeout: request.timeout,
      });
      let section: Section;
      try {
        section = new Section(
          { ...request, object, mapping, header, userSize: info.userSize, kind: info.kind, created: false },
          os,
        );
      } catch (error) {
        os.unmap(mapping);
        throw error;
      }
      // The handshake checked the size against the header; check again now that we are
      // attached, so a truncation in between is refused here rather than met as SIGBUS.
      // (Growth since then only raises both: the object first, then the header.)
      const committed = header.committedSize;
      const size = os.statObject(object).size;
      if (size < committed) {
        section.#detach();
        os.unmap(mapping); // the object itself is closed below
        throw new IncompatibleSectionError(
          `${label(request.name, request.file)} was truncated while being opened: its header says ${committed} bytes but it holds ${size}`,
        );
      }
      return section;
    } catch (error) {
      os.closeObject(object);
      throw error;
    }
  }

  /** Opens the section, creating it if it does not exist; `section.created` tells which. */
  static openOrCreate(name: string, options: SectionOpenOrCreateOptions): Section {
    const request = parseCreate(name, options, true);
    // Create and open race against other processes doing the same; a name that vanishes
    // between our failed create and our open (someone unlinked it) is simply tried again.
    for (let attempt = 0; ; attempt++) {
      try {
        return Section.#create(request);
      } catch (error) {
        if (!(error instanceof SectionExistsError)) throw error;
      }
      try {
        return Section.open(request.name, { file: request.file, scope: request.scope, timeout: request.timeout });
      } catch (error) {
        if (!(error instanceof SectionNotFoundError) || attempt >= 8) throw error;
      }
    }
  }

  /**
   * Removes a section's name. Processes that have it open keep using it, but nobody can open
   * it any more, so a section that live processes other than this one have attached (or
   * that a live creator is still initialising) is refused with SectionInUseError unless
   * `force: true`. Dead attachers do not count: a stale section is removed without force.
   * The check and the removal are not atomic: a process attaching in between is not seen.
   */
  static unlink(name: string, options?: SectionUnlinkOptions): boolean {
    const request = parseUnlink(name, options);
    const os = platform();
    if (!request.force) {
      const info = describeSection(os, request.name, request.file);
      const self = os.currentProcess.pid;
      const users = info === undefined ? [] : info.attachedPids.filter((pid) => pid !== self);
      if (info?.state === 'initializing' && info.creatorPid !== self && info.creatorPid !== 0) users.push(info.creatorPid);
      if (users.length > 0) {
        const pids = [...new Set(users)];
        throw new SectionInUseError(
          `${label(request.name, request.file)} is in use by live process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')}; ` +
            `close it there first, or pass { force: true } to remove it anyway (they keep their mapping, later openers will not find it)`,
          pids,
        );
      }
    }
    return os.unlinkObject(request);
  }

  /**
   * The sections process `pid` maps now, memory- and file-backed, from the OS's account of
   * its address space (Linux: /proc/PID/maps; Windows: VirtualQueryEx and
   * GetMappedFileNameW, with paging-file views told by their header). UnsupportedPlatformError
   * on macOS; PermissionError for another user's process.
   */
  static mappedBy(pid: number): MappedSection[] {
    return mappedBy(pid);
  }

  /** The memory-backed sections on this machine, with their attachments and staleness. */
  static list(): SectionInfo[] {
    return listSections(platform());
  }

  /**
   * Bytes of the user area backed by memory now (<= size). Only these may be touched: the
   * rest of `buffer` is reserved address space (SIGBUS on Linux). Equal to `size` for plain
   * sections; a namespace's grows as it fills (commit).
   */
  get committed(): number {
    return this.header.committedSize - HEADER_LENGTH;
  }

  /**
   * @internal Makes at least `userBytes` of the user area committed (rounded up to pages):
   * the OS backs them first (growObject: NoSpaceError when /dev/shm or the disk is full,
   * and then nothing is published), then the committed size in the header is raised, which
   * every process reads before touching the new bytes. Safe to call from several processes
   * at once; a grower killed in between leaves the header saying less than the object holds,
   * never more. Returns the committed user bytes.
   */
  commit(userBytes: number): number {
    if (this.#object === undefined) throw new SectionClosedError(label(this.name, this.file));
    const from = this.header.committedSize;
    const target = sectionTotalSize(userBytes, this.#platform.pageSize);
    if (target <= from) return from - HEADER_LENGTH;
    if (target > this.mapping.length) {
      throw new OutOfRangeError(`${label(this.name, this.file)} cannot commit ${userBytes} bytes: it reserves ${this.size}`);
    }
    if (this.readonly) throw new PermissionError(`${label(this.name, this.file)} is open read-only: it cannot grow`);
    const grow = this.#platform.growObject;
    if (grow === undefined) {
      throw new OutOfRangeError(`${label(this.name, this.file)} cannot grow on ${this.#platform.name}: it commits ${from - HEADER_LENGTH} bytes`);
    }
    grow.call(this.#platform, this.#object, this.mapping, from, target);
    if (GROW_PAUSE_MS > 0) sleepSync(GROW_PAUSE_MS); // test hook: killed here, the header still says `from`
    this.header.raiseCommitted(target);
    return target - HEADER_LENGTH;
  }

  /** The user area. Throws once the section is closed. */
  get buffer(): ArrayBuffer {
    if (this.#object === undefined) throw new SectionClosedError(label(this.name, this.file));
    return this.#buffer;
  }

  /**
   * The Waiter for structures placed in this section (Mutex, Event, rings...): futex for sync
   * waits, this thread's doorbell for async ones.
   */
  get waiter(): SectionWaiter {
    if (this.#object === undefined) throw new SectionClosedError(label(this.name, this.file));
    this.#waiter ??= new SectionWaiter(this, this.#platform);
    return this.#waiter;
  }

  /** True once close() was called on this handle (not: whether others closed theirs). */
  get closed(): boolean {
    return this.#object === undefined;
  }

  /**
   * @internal Calls `onChange` when a waker pokes this section (see poke); undefined
   * where the OS cannot watch objects. For the DoorbellHub past what futex_waitv watches.
   */
  watchPokes(onChange: () => void, onError: (error: Error) => void): { close(): void } | undefined {
    if (this.#object === undefined) return undefined;
    return this.#platform.watchObject?.(this.#object, onChange, onError);
  }

  /** @internal Pokes a byte of the header through this process's descriptor (wakes watchPokes). */
  poke(offset: number): void {
    if (this.#object === undefined || this.readonly) return;
    this.#platform.pokeObject?.(this.#object, offset);
  }

  /** Writes a file-backed section's dirty pages to its file (msync). No-op when memory-backed. */
  flush(): void {
    if (this.#object === undefined) throw new SectionClosedError(label(this.name, this.file));
    // Only the committed prefix: the reserve past the file's end has nothing to write.
    const committed = this.header.committedSize;
    this.#platform.flush(committed === this.mapping.length ? this.mapping : { ...this.mapping, length: committed });
  }

  /** Detaches and unmaps. Idempotent. ArrayBuffers taken from `buffer` read zeros afterwards. */
  close(): void {
    const object = this.#object;
    if (object === undefined) return;
    this.#object = undefined;
    this.#waiter?.detach();
    this.#detach();
    this.#platform.unmap(this.mapping);
    this.#platform.closeObject(object);
  }

  /** Removes the section's name (see Section.unlink). The section stays usable until closed. */
  unlink(): boolean {
    return this.#platform.unlinkObject({ name: this.name, file: this.file });
  }

  /** close(), for `using section = Section.open(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

export type { MappedSection, SectionInfo };
