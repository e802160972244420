// What a process's own view of a section reports committed, from VirtualQuery (Windows only):
// the bytes of the committed run that starts at the view, 0 if its first page is reserved.
import { kernel32 } from '../../dist/platform/windows-kernel32.js';

const MEM_COMMIT = 0x1000;

export function committedInView(mapping) {
  const info = Buffer.alloc(48); // MEMORY_BASIC_INFORMATION (64-bit): RegionSize at 24, State at 32
  if (!kernel32().virtualQuery(mapping.address, info, info.length)) throw new Error('VirtualQuery failed');
  return info.readUInt32LE(32) === MEM_COMMIT ? Number(info.readBigUInt64LE(24)) : 0;
}
