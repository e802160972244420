import { UnsupportedPlatformError } from '../errors.js';
import type { Platform } from './types.js';
export function createWindowsPlatform(): Platform {
  throw new UnsupportedPlatformError('Windows backend: in progress');
}
