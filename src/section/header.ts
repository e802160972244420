/**
 * Reading, writing and checking the section header (layout in src/layout/section-header.ts).
 */
import { IncompatibleSectionError } from '../errors.js';
import {
  ATTACH_CAPACITY,
  ATTACH_CAPACITY_OFFSET,
  BYTE_ORDER_MARK,
  BYTE_ORDER_MARK_SWAPPED,
  BYTE_ORDER_OFFSET,
  COMMIT_UNIT,
  COMMITTED_UNITS_OFFSET,
  CREATED_AT_OFFSET,
  CREATOR_PID_OFFSET,
  CREATOR_START_TIME_OFFSET,
  FORMAT_VERSION,
  HEADER_LENGTH,
  HEADER_LENGTH_OFFSET,
  INIT_INITIALIZING,
  INIT_STATE_OFFSET,
  LAYOUT_KIND_OFFSET,
  MAGIC_OFFSET,
  NAME_CAPACITY,
  NAME_LENGTH_OFFSET,
  NAME_OFFSET,
  SECTION_MAGIC,
  SECTION_MAGIC_SWAPPED,
  TOTAL_SIZE_OFFSET,
  USER_SIZE_OFFSET,
  VERSION_OFFSET,
  WORD_SIZE,
  WORD_SIZE_OFFSET,
  layoutKindName,
  type LayoutKind,
} from '../layout/section-header.js';

/** Typed views over one header; the header is native-endian (the byte-order mark says which). */
export class HeaderView {
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly bytes: Uint8Array;

  constructor(readonly buffer: ArrayBuffer) {
    this.u32 = new Uint32Array(buffer, 0, HEADER_LENGTH / 4);
    this.i32 = new Int32Array(buffer, 0, HEADER_LENGTH / 4);
    this.f64 = new Float64Array(buffer, 0, HEADER_LENGTH / 8);
    this.bytes = new Uint8Array(buffer, 0, HEADER_LENGTH);
  }

  get initState(): number {
    return Atomics.load(this.i32, INIT_STATE_OFFSET / 4); // SYNC POINT: acquire of READY
  }

  get magic(): number {
    return this.u32[MAGIC_OFFSET / 4]!;
  }

  /** Bytes the OS backs now, header included (an atomic load: growth publishes it). */
  get committedSize(): number {
    return Atomics.load(this.i32, COMMITTED_UNITS_OFFSET / 4) * COMMIT_UNIT; // SYNC POINT: acquire of a growth
  }

  /**
   * Raises the committed size to `bytes` (a multiple of COMMIT_UNIT) unless it is already as
   * large: a CAS loop, so two growers never lower what the other published. Only after the
   * OS backs the bytes (the caller grew the object first).
   */
  raiseCommitted(bytes: number): void {
    const units = bytes / COMMIT_UNIT;
    const at = COMMITTED_UNITS_OFFSET / 4;
    for (let seen = Atomics.load(this.i32, at); seen < units; ) {
      const found = Atomics.compareExchange(this.i32, at, seen, units); // SYNC POINT: release of a growth
      if (found === seen) return;
      seen = found;
    }
  }
}

export interface HeaderFields {
  readonly name: string;
  /** Bytes reserved, header included: what every process maps. */
  readonly totalSize: number;
  /** Bytes of the user area reserved (section.size). */
  readonly userSize: number;
  /** Bytes the OS backs now, header included (<= totalSize). */
  readonly committedSize: number;
  readonly kind: LayoutKind;
  readonly creatorPid: number;
  readonly creatorStartTime: number;
}

/**
 * Writes every field but the init state, which the caller moves to INITIALIZING here and to
 * READY once the user area is laid out. The magic goes first so an opener that finds a magic
 * knows a shmkit creator was at work.
 */
export function writeHeader(view: HeaderView, fields: HeaderFields, kindCode: number): void {
  const { u32, f64 } = view;
  u32[MAGIC_OFFSET / 4] = SECTION_MAGIC;
  u32[BYTE_ORDER_OFFSET / 4] = BYTE_ORDER_MARK;
  u32[VERSION_OFFSET / 4] = FORMAT_VERSION;
  u32[WORD_SIZE_OFFSET / 4] = WORD_SIZE;
  u32[HEADER_LENGTH_OFFSET / 4] = HEADER_LENGTH;
  f64[TOTAL_SIZE_OFFSET / 8] = fields.totalSize;
  f64[USER_SIZE_OFFSET / 8] = fields.userSize;
  u32[CREATOR_PID_OFFSET / 4] = fields.creatorPid;
  u32[LAYOUT_KIND_OFFSET / 4] = kindCode;
  f64[CREATOR_START_TIME_OFFSET / 8] = fields.creatorStartTime;
  u32[ATTACH_CAPACITY_OFFSET / 4] = ATTACH_CAPACITY;
  f64[CREATED_AT_OFFSET / 8] = Date.now();
  const encoded = new TextEncoder().encode(fields.name);
  view.bytes.set(encoded.subarray(0, NAME_CAPACITY), NAME_OFFSET);
  u32[NAME_LENGTH_OFFSET / 4] = Math.min(encoded.length, NAME_CAPACITY);
  view.i32[COMMITTED_UNITS_OFFSET / 4] = fields.committedSize / COMMIT_UNIT;
  Atomics.store(view.i32, INIT_STATE_OFFSET / 4, INIT_INITIALIZING);
}

export interface HeaderInfo extends HeaderFields {
  readonly formatVersion: number;
  readonly createdAt: number;
  readonly initState: number;
  readonly kindCode: number;
}

export function readHeader(view: HeaderView): HeaderInfo {
  const { u32, f64 } = view;
  const nameLength = Math.min(u32[NAME_LENGTH_OFFSET / 4]!, NAME_CAPACITY);
  const kindCode = u32[LAYOUT_KIND_OFFSET / 4]!;
  const kind = layoutKindName(kindCode);
  return {
    name: new TextDecoder().decode(view.bytes.subarray(NAME_OFFSET, NAME_OFFSET + nameLength)),
    totalSize: f64[TOTAL_SIZE_OFFSET / 8]!,
    userSize: f64[USER_SIZE_OFFSET / 8]!,
    committedSize: view.committedSize,
    kind: kind === 'unknown' ? 'raw' : kind,
    kindCode,
    creatorPid: u32[CREATOR_PID_OFFSET / 4]!,
    creatorStartTime: f64[CREATOR_START_TIME_OFFSET / 8]!,
    formatVersion: u32[VERSION_OFFSET / 4]!,
    createdAt: f64[CREATED_AT_OFFSET / 8]!,
    initState: view.initState,
  };
}

/** Whether the first word looks like ours in either byte order (used before READY). */
export function hasMagic(view: HeaderView): boolean {
  return view.magic === SECTION_MAGIC || view.magic === SECTION_MAGIC_SWAPPED;
}

/**
 * Throws IncompatibleSectionError unless the header is a READY shmkit header this build can
 * use on an object of `objectSize` bytes. `label` names the section in messages.
 * `restat`, if given, stats the object again: a size read before the header may predate a
 * growth the header already shows (the object grows first, the header second, so a size
 * read after the header is never smaller than the committed size it shows).
 */
export function checkHeader(view: HeaderView, objectSize: number, label: string, restat?: () => number): HeaderInfo {
  const { u32 } = view;
  const magic = view.magic;
  if (magic === SECTION_MAGIC_SWAPPED || u32[BYTE_ORDER_OFFSET / 4] === BYTE_ORDER_MARK_SWAPPED) {
    throw new IncompatibleSectionError(`${label} was written by a machine of the other byte order`);
  }
  if (magic !== SECTION_MAGIC || u32[BYTE_ORDER_OFFSET / 4] !== BYTE_ORDER_MARK) {
    throw new IncompatibleSectionError(`${label} is not a shmkit section (no shmkit header)`);
  }
  const version = u32[VERSION_OFFSET / 4]!;
  if (version !== FORMAT_VERSION) {
    throw new IncompatibleSectionError(
      `${label} has format version ${version}; this shmkit reads version ${FORMAT_VERSION}`,
    );
  }
  const wordSize = u32[WORD_SIZE_OFFSET / 4]!;
  if (wordSize !== WORD_SIZE) {
    throw new IncompatibleSectionError(`${label} was made with word size ${wordSize}; this shmkit uses ${WORD_SIZE}`);
  }
  const info = readHeader(view);
  if (
    u32[HEADER_LENGTH_OFFSET / 4] !== HEADER_LENGTH ||
    u32[ATTACH_CAPACITY_OFFSET / 4] !== ATTACH_CAPACITY ||
    !Number.isSafeInteger(info.totalSize) ||
    !Number.isSafeInteger(info.userSize) ||
    info.userSize < 1 ||
    info.totalSize < HEADER_LENGTH + info.userSize ||
    info.committedSize < HEADER_LENGTH ||
    info.committedSize > info.totalSize
  ) {
    throw new IncompatibleSectionError(`${label} has a corrupted header (sizes do not add up)`);
  }
  // The committed prefix must be backed: touching a byte past the object's end is SIGBUS.
  if (objectSize < info.committedSize && restat !== undefined) objectSize = restat();
  if (objectSize < info.committedSize) {
    throw new IncompatibleSectionError(
      `${label} is truncated: its header says ${info.committedSize} bytes but it holds ${objectSize} (its committed part must all be there)`,
    );
  }
  return info;
}
