/**
 * Translates OS failures into shmkit's typed errors, with a sentence a person can act on.
 * Node's fs errors carry `code` ('EEXIST'); raw calls through koffi give an errno number.
 */
import {
  InvalidArgValueError,
  NoSpaceError,
  PermissionError,
  SectionExistsError,
  SectionNotFoundError,
  ShmkitError,
  SystemError,
} from '../errors.js';

/** Linux errno numbers and the symbolic names Node uses for them. */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES',
  17: 'EEXIST', 21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 27: 'EFBIG', 28: 'ENOSPC',
  36: 'ENAMETOOLONG', 38: 'ENOSYS', 40: 'ELOOP', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/**
 * @param code   'EEXIST' style name
 * @param what   what was being done, for the message ("creating section 'jobs'")
 * @param name   the section name, for the typed errors that carry it
 */
export function translateOsError(code: string, errno: number, what: string, name: string, syscall: string): ShmkitError {
  switch (code) {
    case 'EEXIST':
      return new SectionExistsError(name);
    case 'ENOENT':
      return new SectionNotFoundError(name);
    case 'EACCES':
    case 'EPERM':
      return new PermissionError(`${what}: permission denied (owned by another user, or its mode forbids this access)`);
    case 'ENOSPC':
    case 'ENOMEM':
    case 'EFBIG':
      return new NoSpaceError(
        `${what}: not enough space (${code}); free space in /dev/shm or the file's filesystem, or ask for a smaller size`,
      );
    case 'ELOOP':
      return new InvalidArgValueError(`${what}: the path is a symbolic link, which shmkit refuses to follow`);
    case 'EISDIR':
      return new InvalidArgValueError(`${what}: the path is a directory`);
    case 'ENAMETOOLONG':
      return new InvalidArgValueError(`${what}: the path is too long for the OS`);
    default:
      return new SystemError(`${what} failed: ${code}`, errno, syscall);
  }
}

/** Translates an error thrown by node:fs. Anything else passes through unchanged. */
export function translateFsError(error: unknown, what: string, name: string): unknown {
  if (error instanceof ShmkitError) return error;
  if (typeof error === 'object' && error !== null && /^E[A-Z0-9]+$/.test(String((error as NodeJS.ErrnoException).code))) {
    const e = error as NodeJS.ErrnoException;
    const translated = translateOsError(e.code!, -(e.errno ?? 0), what, name, e.syscall ?? 'fs');
    (translated as { cause?: unknown }).cause = error;
    return translated;
  }
  return error;
}
