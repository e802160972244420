/**
 * Section.mappedBy on Linux: the sections a process maps, read from /proc/<pid>/maps.
 * Memory-backed sections are the mapped /dev/shm/shmkit.* objects; file-backed ones are
 * shared mappings of regular files that start with a shmkit section header (the magic, then
 * the name kept in the header).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgValueError, PermissionError } from '../errors.js';
import { MAGIC_OFFSET, NAME_CAPACITY, NAME_LENGTH_OFFSET, NAME_OFFSET, SECTION_MAGIC } from '../layout/section-header.js';
import { OBJECT_PREFIX, SHM_DIRECTORY } from './linux.js';
import type { MappedSection } from './types.js';

const DELETED = ' (deleted)';
/** start-end perms offset dev inode [path] */
const LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+(\d+)\s*(.*)$/;
const SHM_PREFIX = `${SHM_DIRECTORY}/${OBJECT_PREFIX}`;
const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Every shmkit section process `pid` maps. InvalidArgValueError if no such process runs. */
export function linuxMappedSections(pid: number): MappedSection[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw new InvalidArgValueError(`no process with pid ${pid} is running`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`cannot read /proc/${pid}/maps: process ${pid} belongs to another user (run as that user)`, { cause: error });
    }
    throw error;
  }
  return parseMaps(text, readSectionName);
}

/**
 * The sections among the mappings in `text` (the format of /proc/<pid>/maps).
 * `nameOfFile` reads a file's section name, or undefined if it is no section.
 */
export function parseMaps(text: string, nameOfFile: (file: string) => string | undefined): MappedSection[] {
  const found = new Map<string, MappedSection>();
  const notSections = new Set<string>();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, start, end, perms, inode, rawPath] = match;
    // Sections are shared mappings of a file or object; skip anonymous and private ones.
    if (perms![3] !== 's' || inode === '0' || !rawPath!.startsWith('/')) continue;
    const deleted = rawPath!.endsWith(DELETED);
    const file = deleted ? rawPath!.slice(0, -DELETED.length) : rawPath!;
    const bytes = Number(BigInt(`0x${end}`) - BigInt(`0x${start}`));
    const known = found.get(file);
    if (known) {
      known.mappedBytes += bytes;
      known.mappings++;
      continue;
    }
    if (notSections.has(file)) continue;
    let name: string | undefined;
    let backing: MappedSection['backing'] = 'file';
    if (file.startsWith(SHM_PREFIX) && !file.slice(SHM_PREFIX.length).includes('/')) {
      name = file.slice(SHM_PREFIX.length);
      backing = 'memory';
    } else if (!deleted) {
      name = nameOfFile(file);
    }
    if (name === undefined) {
      notSections.add(file);
      continue;
    }
    found.set(file, { name, backing, path: file, deleted, mappedBytes: bytes, mappings: 1 });
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
}

/**
 * The name in a file's section header, or undefined if it does not start with one. Only
 * regular files are read (never a device or FIFO someone mapped), and only the first bytes.
 */
export function readSectionName(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch {
    return undefined; // gone, or not ours to read
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    const head = new Uint8Array(NAME_OFFSET + NAME_CAPACITY);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    const fields = new DataView(head.buffer);
    // The header is in the byte order of the machine that wrote it: ours, if it is usable here.
    if (read < head.length || fields.getUint32(MAGIC_OFFSET, LITTLE_ENDIAN) !== SECTION_MAGIC) return undefined;
    const length = Math.min(fields.getUint32(NAME_LENGTH_OFFSET, LITTLE_ENDIAN), NAME_CAPACITY);
    const name = new TextDecoder().decode(head.subarray(NAME_OFFSET, NAME_OFFSET + length));
    return name.length > 0 ? name : path.basename(file);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
