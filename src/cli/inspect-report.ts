/**
 * What `shmkit inspect` and `shmkit watch` read from a section: its header and attachments,
 * and what its user area holds by kind (a namespace's objects, a standalone channel, mailbox
 * or broadcast). The section is opened read-only and without attaching, so inspecting changes
 * nothing: not the attach table, not a lock, not a counter.
 */
import { SectionNotFoundError } from '../errors.js';
import { readHeader } from '../section/header.js';
import { Section } from '../section/section.js';
import { processLives } from './liveness.js';
import { readNamespace, type NamespaceReport } from './read-namespace.js';
import { readBroadcast, readRing, type BroadcastReport, type RingReport } from './read-ring.js';

export interface SectionReport {
  name: string;
  /** The file of a file-backed section; null for memory-backed ones. */
  file: string | null;
  kind: string;
  formatVersion: number;
  /** Usable bytes (the user area), and the whole object's reserve (header included). */
  size: number;
  totalSize: number;
  /** Bytes committed (backed by memory) now, header included: a namespace's grows as it fills. */
  committed: number;
  creator: { pid: number; alive: boolean };
  createdAt: string | null;
  attached: Array<{ pid: number; alive: boolean }>;
  alive: boolean;
  stale: boolean;
}

export interface InspectReport {
  section: SectionReport;
  /** Set for kind 'namespace'. */
  namespace: NamespaceReport | null;
  /** Set for a standalone channel or mailbox section. */
  channel: RingReport | null;
  /** Set for a standalone broadcast section. */
  broadcast: BroadcastReport | null;
  /** Why the user area could not be read (the header still is); null when it could. */
  error: string | null;
}

/** How long to wait for a section still being created before giving up. */
const OPEN_TIMEOUT_MS = 2000;

/** Opens `name` read-only, without attaching; not-found errors say how to list what exists. */
export function openForReading(name: string, file: string | undefined): Section {
  try {
    return Section.open(name, { readonly: true, timeout: OPEN_TIMEOUT_MS, ...(file === undefined ? {} : { file }) });
  } catch (error) {
    if (error instanceof SectionNotFoundError) {
      error.message = file === undefined ? `no section named '${name}' (run 'shmkit ls' to list them)` : `no section file ${file}`;
    }
    throw error;
  }
}

export function inspectSection(section: Section): InspectReport {
  const header = readHeader(section.header);
  const attached = section.attachTable.attachments().map(({ pid, alive }) => ({ pid, alive }));
  const alive = attached.some((a) => a.alive);
  const report: InspectReport = {
    section: {
      name: section.name,
      file: section.file ?? null,
      kind: section.kind,
      formatVersion: header.formatVersion,
      size: section.size,
      totalSize: header.totalSize,
      committed: header.committedSize,
      creator: { pid: header.creatorPid, alive: processLives(header.creatorPid, header.creatorStartTime) },
      createdAt: header.createdAt > 0 ? new Date(header.createdAt).toISOString() : null,
      attached,
      alive,
      stale: !alive && attached.length > 0,
    },
    namespace: null,
    channel: null,
    broadcast: null,
    error: null,
  };
  try {
    const buffer = section.buffer;
    switch (section.kind) {
      case 'namespace':
        report.namespace = readNamespace(buffer, section.name, section.committed);
        break;
      case 'channel':
      case 'mailbox':
        report.channel = readRing(buffer, 0);
        break;
      case 'broadcast':
        report.broadcast = readBroadcast(buffer, 0);
        break;
      default:
        break; // raw (and pool) sections: the header is all shmkit knows of them
    }
  } catch (error) {
    report.error = (error as Error).message;
  }
  return report;
}
