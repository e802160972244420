/**
 * The opener's side of the init handshake: wait until the creator publishes READY, and tell
 * a creator that died half-way from one that is merely slow.
 *
 * The creator holds the creation lock (flock on POSIX, a named mutex on Windows) from the
 * moment it creates the object until READY. The lock dies with its process. So an opener that
 * sees "not READY" and "lock free" twice, a grace period apart, knows the creator is gone.
 */
import {
  IncompatibleSectionError,
  PermissionError,
  SectionAbandonedError,
  TimeoutError,
} from '../errors.js';
import { HEADER_LENGTH, INIT_READY, INIT_STATE_OFFSET } from '../layout/section-header.js';
import type { Mapping, Platform, SharedObject } from '../platform/index.js';
import { checkHeader, hasMagic, HeaderView, readHeader, type HeaderInfo } from './header.js';

/** How long "not READY and unlocked" must last before the creator is declared dead. */
const ABANDON_GRACE_MS = 25;
/** Longest single park while waiting for READY; the lock is re-checked between parks. */
const POLL_SLICE_MS = 10;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

export interface Opened {
  mapping: Mapping;
  header: HeaderView;
  info: HeaderInfo;
}

export interface HandshakeRequest {
  name: string;
  label: string;
  memoryBacked: boolean;
  /** The file of a file-backed section, for the remedy messages name. */
  file?: string | undefined;
  timeout: number;
}

export function checkOwner(platform: Platform, object: SharedObject, label: string): number {
  const stat = platform.statObject(object);
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  if (stat.uid !== -1 && uid !== -1 && stat.uid !== uid) {
    throw new PermissionError(`${label} is owned by user ${stat.uid}, not by this process's user ${uid}`);
  }
  return stat.size;
}

export function awaitReady(platform: Platform, object: SharedObject, request: HandshakeRequest): Opened {
  const deadline = performance.now() + request.timeout;
  let mapping: Mapping | undefined;
  let unlockedSince = -1;
  try {
    for (;;) {
      const size = checkOwner(platform, object, request.label);
      if (size > 0 && size < HEADER_LENGTH) {
        throw new IncompatibleSectionError(
          `${request.label} is truncated or not a shmkit section: ${size} bytes, smaller than the ${HEADER_LENGTH}-byte header`,
        );
      }
      let header: HeaderView | undefined;
      if (size >= HEADER_LENGTH) {
        if (mapping && mapping.length !== size) {
          platform.unmap(mapping);
          mapping = undefined;
        }
        mapping ??= platform.map(object, size);
        header = new HeaderView(mapping.buffer);
        if (header.initState === INIT_READY || (header.magic !== 0 && !hasMagic(header))) {
          // READY, or somebody else's bytes: checkHeader tells which, and why not.
          const info = checkHeader(header, size, request.label, () => platform.statObject(object).size);
          if (mapping.length !== info.totalSize) {
            // Map the whole reserve once: a growable section grows under it, never remapped.
            platform.unmap(mapping);
            mapping = undefined;
            mapping = platform.map(object, info.totalSize);
            header = new HeaderView(mapping.buffer);
          }
          return { mapping, header, info };
        }
      }
      const now = performance.now();
      if (!platform.isCreationLocked(object)) {
        if (unlockedSince < 0) unlockedSince = now;
        else if (now - unlockedSince >= ABANDON_GRACE_MS) throw abandoned(request, header);
      } else {
        unlockedSince = -1;
      }
      if (now >= deadline) {
        throw new TimeoutError(
          `${request.label} was not ready within ${request.timeout} ms: its creator is still initialising it`,
        );
      }
      const slice = Math.min(POLL_SLICE_MS, deadline - now, unlockedSince >= 0 ? ABANDON_GRACE_MS : Infinity);
      if (header && mapping) {
        platform.wait(mapping.address + BigInt(INIT_STATE_OFFSET), header.initState, slice);
      } else {
        sleepSync(Math.min(slice, 2));
      }
    }
  } catch (error) {
    if (mapping) platform.unmap(mapping);
    throw error;
  }
}

function abandoned(request: HandshakeRequest, header: HeaderView | undefined): Error {
  const remedy = `remove it with Section.unlink('${request.name}'${request.memoryBacked ? '' : ', { file }'}) or \`shmkit rm ${request.name}${request.file === undefined ? '' : ` --file ${request.file}`}\``;
  if (header && hasMagic(header)) {
    const { creatorPid } = readHeader(header);
    return new SectionAbandonedError(
      `${request.label} was never finished: its creator (pid ${creatorPid}) died while initialising it; ${remedy}`,
    );
  }
  if (request.memoryBacked) {
    return new SectionAbandonedError(
      `${request.label} is empty: its creator died before writing the header; ${remedy}`,
    );
  }
  return new IncompatibleSectionError(`${request.label} is not a shmkit section (the file has no shmkit header)`);
}
