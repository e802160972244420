import { UnsupportedPlatformError } from '../errors.js';
import type { Platform } from './types.js';
export function createDarwinPlatform(): Platform {
  throw new UnsupportedPlatformError('macOS backend: in progress');
}
