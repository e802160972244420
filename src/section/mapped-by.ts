/**
 * Section.mappedBy(pid): the sections a process maps, from the OS's own account of its
 * address space (Linux: /proc/<pid>/maps; Windows: VirtualQueryEx, see
 * platform/windows-maps.ts for what Windows cannot tell). macOS has no such account for
 * another process short of its task port, which needs root or the debugger entitlement:
 * UnsupportedPlatformError there.
 */
import { InvalidArgValueError, UnsupportedPlatformError } from '../errors.js';
import { platform, type MappedSection } from '../platform/index.js';
import { linuxMappedSections } from '../platform/linux-maps.js';
import { kernel32 } from '../platform/windows-kernel32.js';
import { windowsMappedSections } from '../platform/windows-maps.js';
import { validateInteger } from '../validate.js';

export type { MappedSection };

export function mappedBy(pid: number): MappedSection[] {
  validateInteger(pid, 'pid', 1, 0xffff_ffff);
  const os = platform();
  if (os.processStartTime(pid) === 0) throw new InvalidArgValueError(`no process with pid ${pid} is running`);
  switch (process.platform) {
    case 'linux':
      return linuxMappedSections(pid);
    case 'win32':
      return windowsMappedSections(kernel32(), pid);
    default:
      throw new UnsupportedPlatformError(
        `Section.mappedBy cannot list another process's mappings on ${process.platform} (macOS needs its task port: root or a debugger entitlement)`,
      );
  }
}
