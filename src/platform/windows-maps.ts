/**
 * Section.mappedBy on Windows: the sections another process maps, found by walking its
 * address space with VirtualQueryEx.
 *
 * Every view of a section is a MEM_MAPPED region. For a view of a FILE, GetMappedFileNameW
 * names the file (in device form, \Device\HarddiskVolume3\..., turned back into a drive path
 * where QueryDosDeviceW knows the drive); the file's header says whether it is a section. A
 * view of a PAGING-FILE section has no file and no name: Windows offers no documented call
 * that tells which named mapping a view belongs to (NtQueryObject on the process's handles
 * would, through ntdll and a handle duplicated out of it, which needs far more rights). So
 * those views are recognised by their contents: ReadProcessMemory of the view's first bytes,
 * and a section header there (magic, then the name) makes it a memory-backed section of that
 * name. A view whose header was overwritten is missed; the scope (Local\ or Global\) cannot
 * be told; and "deleted" never applies to a paging-file section (its name lives as long as it
 * is mapped). Reading another user's process needs PROCESS_VM_READ on it: PermissionError.
 */
import { InvalidArgValueError, PermissionError, SystemError } from '../errors.js';
import { MAGIC_OFFSET, NAME_CAPACITY, NAME_LENGTH_OFFSET, NAME_OFFSET, SECTION_MAGIC } from '../layout/section-header.js';
import type { MappedSection } from './types.js';
import {
  ERROR_ACCESS_DENIED,
  MEM_COMMIT,
  MEM_MAPPED,
  MEM_RESERVE,
  PROCESS_QUERY_INFORMATION,
  PROCESS_VM_READ,
  type Kernel32,
} from './windows-kernel32.js';

const MBI_SIZE = 48; // MEMORY_BASIC_INFORMATION on 64-bit Windows
const HEAD_BYTES = NAME_OFFSET + NAME_CAPACITY;
/** Bounds the walk: a process has a few thousand regions; this is far past that. */
const MAX_REGIONS = 1_000_000;
const MAX_PATH_CHARS = 32_768;

interface View {
  readonly base: bigint;
  bytes: number;
}

export function windowsMappedSections(k: Kernel32, pid: number): MappedSection[] {
  if (k.pointerSize !== 8) throw new SystemError('Section.mappedBy supports 64-bit Windows only', 0, 'VirtualQueryEx');
  const process = k.openProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, 0, pid) as bigint | null;
  if (process === null) {
    const error = k.getLastError() as number;
    if (error === ERROR_ACCESS_DENIED) {
      throw new PermissionError(`cannot read the address space of process ${pid}: access denied (another user's, or a protected process)`);
    }
    throw new InvalidArgValueError(`no process with pid ${pid} is running`);
  }
  try {
    const found = new Map<string, MappedSection>();
    const drives = dosDrives(k);
    for (const view of mappedViews(k, process)) {
      const section = describeView(k, process, view, drives);
      if (!section) continue;
      const key = `${section.backing}:${section.name}:${section.path}`;
      const known = found.get(key);
      if (known) {
        known.mappedBytes += section.mappedBytes;
        known.mappings++;
      } else {
        found.set(key, section);
      }
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
  } finally {
    k.closeHandle(process);
  }
}

/**
 * Every MEM_MAPPED view: its regions grouped by the allocation they belong to. A view of a
 * growable (SEC_RESERVE) section is a committed run and a reserved rest; both count, so that
 * mappedBytes is the view's length, as on Linux.
 */
function mappedViews(k: Kernel32, process: bigint): View[] {
  const views = new Map<bigint, View>();
  const info = Buffer.alloc(MBI_SIZE);
  let address = 0n;
  for (let regions = 0; regions < MAX_REGIONS; regions++) {
    if (!(k.virtualQueryEx(process, address, info, MBI_SIZE) as number | bigint)) break; // past the top
    const base = info.readBigUInt64LE(0);
    const allocationBase = info.readBigUInt64LE(8);
    const size = info.readBigUInt64LE(24);
    const state = info.readUInt32LE(32);
    const type = info.readUInt32LE(40);
    if (type === MEM_MAPPED && (state === MEM_COMMIT || state === MEM_RESERVE)) {
      const view = views.get(allocationBase);
      if (view) view.bytes += Number(size);
      else views.set(allocationBase, { base: allocationBase, bytes: Number(size) });
    }
    if (size === 0n) break;
    address = base + size;
  }
  return [...views.values()];
}

function describeView(k: Kernel32, process: bigint, view: View, drives: Array<[string, string]>): MappedSection | undefined {
  const head = Buffer.alloc(HEAD_BYTES);
  if (!k.readProcessMemory(process, view.base, head, HEAD_BYTES, null)) return undefined; // shorter, or gone
  if (head.readUInt32LE(MAGIC_OFFSET) !== SECTION_MAGIC) return undefined;
  const length = Math.min(head.readUInt32LE(NAME_LENGTH_OFFSET), NAME_CAPACITY);
  const name = new TextDecoder().decode(head.subarray(NAME_OFFSET, NAME_OFFSET + length));
  if (name.length === 0) return undefined;
  const file = mappedFileName(k, process, view.base);
  return {
    name,
    backing: file === undefined ? 'memory' : 'file',
    path: file === undefined ? '' : drivePath(file, drives),
    deleted: false,
    mappedBytes: view.bytes,
    mappings: 1,
  };
}

/** The file behind a view, in device form; undefined for the paging file. */
function mappedFileName(k: Kernel32, process: bigint, address: bigint): string | undefined {
  const buffer = Buffer.alloc(MAX_PATH_CHARS * 2);
  const chars = k.getMappedFileName(process, address, buffer, MAX_PATH_CHARS) as number;
  if (chars === 0) return undefined;
  return buffer.toString('utf16le', 0, chars * 2);
}

/** [device, 'C:'] for every drive letter QueryDosDeviceW knows. */
function dosDrives(k: Kernel32): Array<[string, string]> {
  const drives: Array<[string, string]> = [];
  const target = Buffer.alloc(1024 * 2);
  for (let letter = 0x41; letter <= 0x5a; letter++) {
    const drive = `${String.fromCharCode(letter)}:`;
    const chars = k.queryDosDevice(drive, target, 1024) as number;
    if (chars === 0) continue;
    const device = target.toString('utf16le', 0, chars * 2).split('\0')[0]!;
    if (device) drives.push([device, drive]);
  }
  return drives;
}

function drivePath(devicePath: string, drives: Array<[string, string]>): string {
  for (const [device, drive] of drives) {
    if (devicePath.toLowerCase().startsWith(`${device.toLowerCase()}\\`)) return drive + devicePath.slice(device.length);
  }
  return devicePath;
}
