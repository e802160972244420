/**
 * Section.list(): what shmkit sections exist on this machine, who is attached, and which are
 * stale. Each section is opened read-only and without attaching, so listing changes nothing.
 */
import { UnsafePathError } from '../errors.js';
import { HEADER_LENGTH, INIT_READY, type LayoutKind } from '../layout/section-header.js';
import type { Platform } from '../platform/index.js';
import { AttachTable } from './attach-table.js';
import { checkHeader, hasMagic, HeaderView, readHeader } from './header.js';

/** One memory-backed section on this machine, as Section.list() reports it. */
export interface SectionInfo {
  /** The name Section.open takes (the OS object is `shmkit.<name>`). */
  name: string;
  /** Usable bytes (0 when the header cannot be read). */
  size: number;
  /** Bytes the object takes, header included (what the OS reports for it). */
  totalSize: number;
  /**
   * Bytes backed by memory, header included: what the section costs now. A namespace
   * commits a little at create and more as it fills; a plain section commits `reserved`.
   * 0 when the header cannot be read.
   */
  committed: number;
  /** Bytes of address space reserved, header included: the most it may grow to (0 if unread). */
  reserved: number;
  /** What it holds ('raw' for plain sections, 'namespace', 'channel'...); 'unknown' if unread. */
  kind: LayoutKind | 'unknown';
  /** 'ready'; 'initializing' while a live creator works; 'abandoned' if it died doing so;
   *  'incompatible' for an object that is not a section this shmkit can read. */
  state: 'ready' | 'initializing' | 'abandoned' | 'incompatible';
  /** Pid of the process that created it (0 when the header cannot be read). */
  creatorPid: number;
  /** When it was created; undefined when the header does not say. */
  createdAt: Date | undefined;
  /** Pids of the attached processes that are alive (a pid appears once per attachment). */
  attachedPids: number[];
  /** Pids recorded as attached whose process has died without detaching. */
  deadPids: number[];
  /** Some attached process is alive. */
  alive: boolean;
  /**
   * Safe to remove: abandoned during init, or every process recorded as attached has died.
   * A section nobody has open but that was closed cleanly is idle, not stale: memory-backed
   * sections persist until unlinked, like files, and may be waiting for their next user.
   * A normal exit releases a process's attachments, and every open or close frees those of
   * dead processes, so a section is stale only when its last users were killed and nobody
   * has opened or closed it since.
   */
  stale: boolean;
  /** Why the section is incompatible, when it is. */
  error?: string;
}

export function listSections(os: Platform): SectionInfo[] {
  const infos: SectionInfo[] = [];
  for (const name of os.listObjects().sort()) {
    const info = describeSection(os, name);
    if (info) infos.push(info);
  }
  return infos;
}

export function describeSection(os: Platform, name: string, file?: string): SectionInfo | undefined {
  const base: SectionInfo = {
    name, size: 0, totalSize: 0, committed: 0, reserved: 0, kind: 'unknown', state: 'incompatible', creatorPid: 0, createdAt: undefined,
    attachedPids: [], deadPids: [], alive: false, stale: false,
  };
  let object;
  try {
    object = os.openObject({ name, file, readonly: true });
  } catch (error) {
    // A FIFO, socket or device in our place (opened without blocking, then refused): shown,
    // so `shmkit ls` tells the user what to remove, but never stale (we did not make it).
    if (error instanceof UnsafePathError) return { ...base, error: error.message };
    return undefined; // removed meanwhile, or not ours to read
  }
  try {
    const totalSize = os.statObject(object).size;
    base.totalSize = totalSize;
    const locked = os.isCreationLocked(object);
    if (totalSize < HEADER_LENGTH) {
      if (totalSize === 0) {
        base.state = locked ? 'initializing' : 'abandoned';
        base.stale = !locked;
      } else {
        base.error = `${totalSize} bytes, smaller than a section header`;
      }
      return base;
    }
    const mapping = os.map(object, HEADER_LENGTH);
    try {
      const header = new HeaderView(mapping.buffer);
      if (header.initState !== INIT_READY) {
        const magic = hasMagic(header);
        if (magic) Object.assign(base, pick(readHeader(header)));
        base.state = locked ? 'initializing' : magic || header.magic === 0 ? 'abandoned' : 'incompatible';
        base.stale = base.state === 'abandoned';
        return base;
      }
      try {
        Object.assign(base, pick(checkHeader(header, totalSize, `section '${name}'`, () => (base.totalSize = os.statObject(object).size))));
      } catch (error) {
        base.error = (error as Error).message;
        return base;
      }
      base.state = 'ready';
      for (const attachment of new AttachTable(mapping.buffer, os).attachments()) {
        (attachment.alive ? base.attachedPids : base.deadPids).push(attachment.pid);
      }
      base.alive = base.attachedPids.length > 0;
      base.stale = !base.alive && base.deadPids.length > 0;
      return base;
    } finally {
      os.unmap(mapping);
    }
  } finally {
    os.closeObject(object);
  }
}

function pick(info: ReturnType<typeof readHeader>): Partial<SectionInfo> {
  return {
    size: info.userSize,
    committed: info.committedSize,
    reserved: info.totalSize,
    kind: info.kind,
    creatorPid: info.creatorPid,
    createdAt: info.createdAt > 0 ? new Date(info.createdAt) : undefined,
  };
}
