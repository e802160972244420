/**
 * The backend picker: one Platform for this process, chosen by OS on first use. Backends bind
 * their native libraries only when picked, so importing shmkit never loads another OS's DLLs.
 */
import { UnsupportedPlatformError } from '../errors.js';
import { createDarwinPlatform } from './darwin.js';
import { createLinuxPlatform } from './linux.js';
import type { Platform } from './types.js';
import { createWindowsPlatform } from './windows.js';

export type * from './types.js';
export { UNKNOWN_START_TIME } from './types.js';

let current: Platform | undefined;

export function platform(): Platform {
  if (current) return current;
  switch (process.platform) {
    case 'linux':
      current = createLinuxPlatform();
      break;
    case 'darwin':
      current = createDarwinPlatform();
      break;
    case 'win32':
      current = createWindowsPlatform();
      break;
    default:
      throw new UnsupportedPlatformError(`shmkit does not support ${process.platform} (linux, darwin and win32 are supported)`);
  }
  return current;
}
