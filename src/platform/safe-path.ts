/**
 * Safe resolution of a file-backed section's directory (POSIX, Linux's /proc/self/fd).
 *
 * The danger: root (or any user) creating `/tmp/link/name` where another user made `link`
 * point at /etc puts a file in /etc. O_NOFOLLOW on the file alone does not help, since every
 * component before the last is followed. So the directory is walked from `/` one component
 * at a time, each opened with O_DIRECTORY|O_NOFOLLOW relative to the one before (through
 * /proc/self/fd/N, which names exactly the directory we hold), and the file is then created,
 * opened or unlinked relative to the last directory descriptor.
 *
 * A symbolic link on the way is followed only where nobody else could have put it:
 * - in a directory owned by this user or root that no one else can write, or
 * - in a sticky directory (such as /tmp) owned by this user or root, when the link itself is
 *   owned by this user or root (the sticky bit stops others from replacing it).
 * That is the rule of Linux's fs.protected_symlinks, applied whatever the sysctl says.
 *
 * The directory that finally holds the file must be owned by this user or root, and not
 * writable by group or others unless it has the sticky bit. Root is trusted: it can do
 * anything to our files anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgValueError, SectionNotFoundError, UnsafePathError } from '../errors.js';
import { translateFsError } from './errno.js';

const S_ISVTX = 0o1000;
const WRITABLE_BY_OTHERS = 0o022;
const MAX_SYMLINKS = 40; // as the kernel's own limit

export interface SafeParent {
  /** A descriptor of the directory that holds (or will hold) the file. Close it. */
  readonly fd: number;
  /** The path to use for the file: /proc/self/fd/<fd>/<base>. */
  readonly at: string;
  /** The directory as resolved, for messages. */
  readonly directory: string;
}

function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === euid();
}

function describeMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/**
 * Opens the parent directory of `file` safely. `creating` chooses the error for a missing
 * directory: InvalidArgValueError (create) or SectionNotFoundError (open, unlink).
 */
export function openSafeParent(file: string, what: string, sectionName: string, creating: boolean): SafeParent {
  const absolute = path.resolve(file);
  const base = path.basename(absolute);
  if (base === '' || base === '.' || base === '..' || absolute.endsWith('/')) {
    throw new InvalidArgValueError(`${what}: options.file must name a file, got ${JSON.stringify(file)}`);
  }
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
  const dirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
  let fd = fs.openSync('/', O_RDONLY | O_DIRECTORY);
  let stat = fs.fstatSync(fd);
  let shown = '/';
  const pending = path.dirname(absolute).split('/').filter((part) => part !== '' && part !== '.');
  let links = 0;
  try {
    while (pending.length > 0) {
      const part = pending.shift()!;
      const at = `/proc/self/fd/${fd}/${part}`;
      const here = shown;
      const next = path.join(shown, part);
      let entry: fs.Stats;
      try {
        entry = fs.lstatSync(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          if (creating) {
            throw new InvalidArgValueError(`${what}: the directory ${next} does not exist; create it first (shmkit creates the file, not its directories)`);
          }
          throw new SectionNotFoundError(sectionName);
        }
        throw translateFsError(error, what, sectionName);
      }
      if (entry.isSymbolicLink()) {
        const dirTrusted = trustedOwner(stat.uid) && (stat.mode & WRITABLE_BY_OTHERS) === 0;
        const stickyTrusted = trustedOwner(stat.uid) && (stat.mode & S_ISVTX) !== 0 && trustedOwner(entry.uid);
        if (!dirTrusted && !stickyTrusted) {
          throw new UnsafePathError(
            `${what}: ${next} is a symbolic link owned by user ${entry.uid} in ${here} (owner ${stat.uid}, mode ${describeMode(stat.mode)}), ` +
              `where others could have made it; shmkit does not follow it. Give the real path of the directory instead`,
          );
        }
        if (++links > MAX_SYMLINKS) throw new UnsafePathError(`${what}: more than ${MAX_SYMLINKS} symbolic links in ${file}`);
        const target = fs.readlinkSync(at);
        const parts = target.split('/').filter((p) => p !== '' && p !== '.');
        if (target.startsWith('/')) {
          fs.closeSync(fd);
          fd = -1;
          fd = fs.openSync('/', O_RDONLY | O_DIRECTORY);
          stat = fs.fstatSync(fd);
          shown = '/';
        }
        pending.unshift(...parts);
        continue;
      }
      if (!entry.isDirectory()) {
        throw new InvalidArgValueError(`${what}: ${next} is not a directory`);
      }
      let child: number;
      try {
        child = fs.openSync(at, dirFlags);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') {
          throw new UnsafePathError(`${what}: ${next} changed while its path was being resolved; try again`);
        }
        throw translateFsError(error, what, sectionName);
      }
      const childStat = fs.fstatSync(child);
      fs.closeSync(fd);
      fd = child;
      if (childStat.ino !== entry.ino || childStat.dev !== entry.dev) {
        throw new UnsafePathError(`${what}: ${next} changed while its path was being resolved; try again`);
      }
      stat = childStat;
      shown = part === '..' ? path.dirname(shown) : next;
    }
    if (!trustedOwner(stat.uid)) {
      throw new UnsafePathError(
        `${what}: the directory ${shown} is owned by user ${stat.uid}, not by this user (${euid()}) or root; ` +
          `its owner could replace the section file. Use a directory you own`,
      );
    }
    if ((stat.mode & WRITABLE_BY_OTHERS) !== 0 && (stat.mode & S_ISVTX) === 0) {
      throw new UnsafePathError(
        `${what}: the directory ${shown} (mode ${describeMode(stat.mode)}) is writable by other users and has no sticky bit, ` +
          `so they could replace the section file; use a private directory, or chmod +t it`,
      );
    }
    return { fd, at: `/proc/self/fd/${fd}/${base}`, directory: shown };
  } catch (error) {
    if (fd >= 0) fs.closeSync(fd);
    throw error;
  }
}

/** Runs `use` with the safe path of `file`, closing the directory descriptor afterwards. */
export function withSafeParent<T>(
  file: string,
  what: string,
  sectionName: string,
  creating: boolean,
  use: (at: string) => T,
): T {
  const parent = openSafeParent(file, what, sectionName, creating);
  try {
    return use(parent.at);
  } finally {
    fs.closeSync(parent.fd);
  }
}
