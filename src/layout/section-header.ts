/**
 * The header at the start of every section: 16 KiB (a page on every supported OS, including
 * macOS arm64's 16 KiB pages), so the user area that follows is page-aligned.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+   0
 * |                     magic "SHMK" (u32)                        |
 * +---------------------------------------------------------------+   4
 * |            byte-order mark 0x01020304 (u32, native)           |
 * +---------------------------------------------------------------+   8
 * |                     format version (u32)                      |
 * +---------------------------------------------------------------+  12
 * |                word size of the creator (u32)                 |
 * +---------------------------------------------------------------+  16
 * |      init state (i32): 0 EMPTY, 1 INITIALIZING, 2 READY       |  futex word
 * +---------------------------------------------------------------+  20
 * |             header length = user-area offset (u32)            |
 * +---------------------------------------------------------------+  24
 * |                  total size in bytes (f64)                    |
 * +---------------------------------------------------------------+  32
 * |                user-area size in bytes (f64)                  |
 * +---------------------------------------------------------------+  40
 * |                     creator pid (i32)                         |
 * +---------------------------------------------------------------+  44
 * |                     layout kind (u32)                         |
 * +---------------------------------------------------------------+  48
 * |                 creator start time (f64)                      |
 * +---------------------------------------------------------------+  56
 * |                 attach table capacity (u32)                   |
 * +---------------------------------------------------------------+  60
 * |                 name length in bytes (u32)                    |
 * +---------------------------------------------------------------+  64
 * |              created at, ms since the epoch (f64)             |
 * +---------------------------------------------------------------+  72
 * |   armed slots (i32): slots with async waits pending           |
 * +---------------------------------------------------------------+  76
 * |   slot high-water mark (i32): 1 + highest slot ever claimed   |
 * +---------------------------------------------------------------+  80
 * | committed size in 4 KiB units (i32): bytes the OS backs now,  |
 * | header included; only grows (Section commit, see below)       |
 * +---------------------------------------------------------------+  84
 * |                     reserved (44 bytes)                       |
 * +---------------------------------------------------------------+ 128
 * |                 name, UTF-8 (256 bytes, zero padded)          |
 * +---------------------------------------------------------------+ 384
 * |                     reserved (640 bytes)                      |
 * +---------------------------------------------------------------+ 1024
 * |       attach table: ATTACH_CAPACITY slots of 32 bytes         |
 * |                             ...                               |
 * +---------------------------------------------------------------+ 16384
 * |                 user area (section.buffer)                    |
 * |       committed part: backed by memory, usable                |
 * +- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -+ committed size
 * |       reserved part: mapped address space, not backed yet:    |
 * |       touching it is SIGBUS (Linux) or an access violation    |
 * +---------------------------------------------------------------+ total size
 *
 * Sizes: `total size` is the reserve, what every process maps at open (header + user area);
 * `committed size` is the prefix the OS backs with memory now. A plain section commits it
 * all at create (committed = total). A growable one (a namespace) commits a little at create
 * and more as it fills (Section commit): the object is grown first (Linux: posix_fallocate,
 * which never shrinks it), then the committed size is raised with a CAS that only increases
 * it. So the header never claims more than the object holds, even if the grower is killed in
 * between, and no process ever remaps: each reads the committed size and touches only below it.
 * Attach slot (32 bytes), one per open Section object in any thread of any process:
 * +---------------------------------------------------------------+ +0
 * |           pid (i32); 0 = free; claimed by CAS 0 -> pid        |
 * +---------------------------------------------------------------+ +4
 * |     doorbell (i32): bumped + futex-woken to wake async waits  |  futex word
 * +---------------------------------------------------------------+ +8
 * |                  process start time (f64)                     |
 * +---------------------------------------------------------------+ +16
 * |  armed (i32): 0 no async waits pending in the slot's owner    |
 * |  thread; 1 (ARMED_FUTEX) it waits on the doorbell with futex; |
 * |  2 (ARMED_WATCHED) it watches the object with inotify         |
 * +---------------------------------------------------------------+ +20
 * |  poke byte (u8, always 0): wakers of an ARMED_WATCHED slot    |
 * |  pwrite this zero here after ringing, an inotify IN_MODIFY    |
 * +---------------------------------------------------------------+ +21
 * |                  reserved (11 bytes)                          |
 * +---------------------------------------------------------------+ +32
 *
 * Who writes what:
 * - The creator writes every header field while it holds the creation lock, then publishes
 *   init state READY (release store, then futex wake). After READY the fields above the
 *   attach table never change.
 * - A slot is owned by the thread whose pid it holds. It claims a free slot by CAS on pid
 *   (0 -> -pid), then writes the start time, then publishes +pid. A negative pid, or a pid
 *   with start time 0, is a claim in progress (or a release) and is judged by the pid alone.
 *   Before claiming, an attacher frees every slot whose process is provably dead: CAS from
 *   the exact pid it saw to its own -pid, judge again, clear start time and armed, CAS to 0
 *   (src/section/attach-table.ts). The owner frees its slot at close or at a normal exit.
 * - A thread arming its slot (armed 0 -> 1) adds 1 to `armed slots`, and subtracts 1 when it
 *   disarms; claimers raise the high-water mark. Wakers of any process skip the table when
 *   `armed slots` is 0, else ring `doorbell` of every armed slot below the high-water mark.
 */

const u32 = 4;
const f64 = 8;

export const SECTION_MAGIC = 0x4b4d4853; // "SHMK" read as a little-endian u32
export const SECTION_MAGIC_SWAPPED = 0x53484d4b; // what the other byte order reads
export const BYTE_ORDER_MARK = 0x01020304;
export const BYTE_ORDER_MARK_SWAPPED = 0x04030201;
/** 3: the committed size (growth, issue 13). 2: ring format version 2 (layout/ring.ts). */
export const FORMAT_VERSION = 3;
export const WORD_SIZE = 8;

export const INIT_EMPTY = 0; // zero-filled: the creator has not written the header yet
export const INIT_INITIALIZING = 1; // header written, user area being laid out
export const INIT_READY = 2; // published: openers may use the section

let offset = 0;
export const MAGIC_OFFSET = offset; offset += u32;
export const BYTE_ORDER_OFFSET = offset; offset += u32;
export const VERSION_OFFSET = offset; offset += u32;
export const WORD_SIZE_OFFSET = offset; offset += u32;
export const INIT_STATE_OFFSET = offset; offset += u32;
export const HEADER_LENGTH_OFFSET = offset; offset += u32;
export const TOTAL_SIZE_OFFSET = offset; offset += f64;
export const USER_SIZE_OFFSET = offset; offset += f64;
export const CREATOR_PID_OFFSET = offset; offset += u32;
export const LAYOUT_KIND_OFFSET = offset; offset += u32;
export const CREATOR_START_TIME_OFFSET = offset; offset += f64;
export const ATTACH_CAPACITY_OFFSET = offset; offset += u32;
export const NAME_LENGTH_OFFSET = offset; offset += u32;
export const CREATED_AT_OFFSET = offset; offset += f64;
export const ARMED_SLOTS_OFFSET = offset; offset += u32;
export const SLOT_HIGH_WATER_OFFSET = offset; offset += u32;
export const COMMITTED_UNITS_OFFSET = offset; offset += u32;
export const FIXED_FIELDS_END = offset; // 84
offset = 128;
export const NAME_OFFSET = offset;
export const NAME_CAPACITY = 256;
offset += NAME_CAPACITY;
offset = 1024;
export const ATTACH_TABLE_OFFSET = offset;

export const ATTACH_SLOT_LENGTH = 32;
export const SLOT_PID_OFFSET = 0;
export const SLOT_DOORBELL_OFFSET = 4;
export const SLOT_START_TIME_OFFSET = 8;
export const SLOT_ARMED_OFFSET = 16;
export const SLOT_POKE_OFFSET = 20;
/** Values of the armed word (see the slot diagram). */
export const ARMED_FUTEX = 1;
export const ARMED_WATCHED = 2;

export const HEADER_LENGTH = 16384;
export const ATTACH_CAPACITY = (HEADER_LENGTH - ATTACH_TABLE_OFFSET) / ATTACH_SLOT_LENGTH; // 480

/** The largest user area a section may have: 1 TiB (far past what tmpfs or RAM give). */
export const MAX_USER_SIZE = 2 ** 40;

/** What a section's user area holds; stored in the header so tools can show it. */
export const LAYOUT_KINDS = ['raw', 'namespace', 'channel', 'mailbox', 'broadcast', 'pool'] as const;
export type LayoutKind = (typeof LAYOUT_KINDS)[number];

export function layoutKindCode(kind: LayoutKind): number {
  return LAYOUT_KINDS.indexOf(kind);
}

export function layoutKindName(code: number): LayoutKind | 'unknown' {
  return LAYOUT_KINDS[code] ?? 'unknown';
}

export function slotOffset(index: number): number {
  return ATTACH_TABLE_OFFSET + index * ATTACH_SLOT_LENGTH;
}

/** The committed size is stored in these units (a divisor of every supported page size). */
export const COMMIT_UNIT = 4096;
/** The largest committed size the i32 word can say: just under 8 TiB, past MAX_USER_SIZE. */
export const MAX_COMMITTED = (2 ** 31 - 1) * COMMIT_UNIT;

/** Total bytes of a section whose user area is `userSize`, rounded up to whole pages. */
export function sectionTotalSize(userSize: number, pageSize: number): number {
  return HEADER_LENGTH + Math.ceil(userSize / pageSize) * pageSize;
}

/**
 * Who writes the committed size: the creator (before READY), then any process that grows the
 * section, with a CAS that only raises it, after the OS has backed the bytes. Everyone reads
 * it with an atomic load before touching memory past what it knew to be committed.
 */
