/**
 * One row per section for `shmkit ls`, `ls --pid` and `gc`: what Section.list() tells about
 * it (src/section/list.ts), with stable JSON keys, and the table that shows rows in 80 columns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OBJECT_PREFIX, SHM_DIRECTORY } from '../platform/linux.js';
import type { SectionInfo } from '../section/list.js';
import { formatBytes, renderTable, type Cell, type Column } from './format.js';

export interface SectionRow {
  name: string;
  kind: string;
  /** 'ready', 'initializing', 'abandoned' (its creator died during init) or 'incompatible'. */
  state: SectionInfo['state'];
  /** Usable bytes (the user area; for a growable namespace, the most it may grow to). */
  size: number;
  /** Bytes of the object, header included. */
  totalSize: number;
  /**
   * Bytes of memory the object holds now, header included: the allocated blocks where the OS
   * tells (Linux), else what the header says is committed; null when neither is known.
   */
  committed: number | null;
  /** Bytes of address space reserved, header included: the most the section may grow to. */
  reserved: number;
  creatorPid: number;
  createdAt: string | null;
  /** One entry per attachment (a process with two handles appears twice). */
  attached: Array<{ pid: number; alive: boolean }>;
  /** Some attached process lives. */
  alive: boolean;
  /** Safe to remove: every attached process died, or its creator died during init. */
  stale: boolean;
  /** Why it is incompatible; null otherwise. */
  error: string | null;
}

export function sectionRow(info: SectionInfo, file?: string): SectionRow {
  return {
    name: info.name,
    kind: info.kind,
    state: info.state,
    size: info.size,
    totalSize: info.totalSize,
    committed: committedBytes(info.name, file) ?? (info.committed || null),
    reserved: info.reserved,
    creatorPid: info.creatorPid,
    createdAt: info.createdAt ? info.createdAt.toISOString() : null,
    attached: [...info.attachedPids.map((pid) => ({ pid, alive: true })), ...info.deadPids.map((pid) => ({ pid, alive: false }))],
    alive: info.alive,
    stale: info.stale,
    error: info.error ?? null,
  };
}

/** Bytes the OS holds for the object (allocated blocks), where it can tell. */
function committedBytes(name: string, file?: string): number | null {
  if (process.platform !== 'linux' && file === undefined) return null;
  try {
    const stat = fs.statSync(file ?? path.join(SHM_DIRECTORY, OBJECT_PREFIX + name));
    return stat.blocks * 512;
  } catch {
    return null;
  }
}

/** One word for the state column: live, idle, stale, init, abandoned, bad. */
export function statusWord(row: SectionRow): string {
  switch (row.state) {
    case 'ready':
      return row.alive ? 'live' : row.stale ? 'stale' : 'idle';
    case 'initializing':
      return 'init';
    case 'abandoned':
      return 'abandoned';
    default:
      return 'bad';
  }
}

/** "4021 4102†": live pids, then dead ones marked. */
export function attachedText(row: { attached: SectionRow['attached'] }): string {
  if (row.attached.length === 0) return '-';
  return attachedItems(row).join(' ');
}

function attachedItems(row: { attached: SectionRow['attached'] }): string[] {
  const live = row.attached.filter((a) => a.alive).map((a) => String(a.pid));
  const dead = row.attached.filter((a) => !a.alive).map((a) => `${a.pid}†`);
  return [...live, ...dead];
}

/** The attached pids as a table cell: as many as fit, then "+N" (with † if dead ones are among them). */
function attachedCell(row: SectionRow): Cell {
  const items = attachedItems(row);
  return {
    text: attachedText(row),
    fit(width) {
      let shown = '';
      for (let k = 0; k < items.length; k++) {
        const rest = items.slice(k + 1);
        const more = rest.length === 0 ? '' : ` +${rest.length}${rest.some((item) => item.endsWith('†')) ? '†' : ''}`;
        const next = shown ? `${shown} ${items[k]}` : items[k]!;
        if (`${next}${more}`.length > width) {
          const left = items.slice(k);
          return `${shown ? `${shown} ` : ''}+${left.length}${left.some((item) => item.endsWith('†')) ? '†' : ''}`;
        }
        shown = next;
      }
      return shown;
    },
  };
}

const COLUMNS: Column[] = [
  { header: 'NAME', flexible: true, cut: 'middle', min: 12, max: 28 },
  { header: 'KIND' },
  { header: 'SIZE', right: true },
  { header: 'COMMITTED', right: true },
  { header: 'CREATOR', right: true },
  { header: 'STATE' },
  { header: 'ATTACHED', flexible: true, min: 8 },
];

/** The `ls` table: one line per section, fitting `width` columns. */
export function renderSectionTable(rows: SectionRow[], width: number): string {
  if (rows.length === 0) return 'no sections\n';
  const table = renderTable(
    COLUMNS,
    rows.map((row) => [row.name, row.kind, formatBytes(row.size), row.committed === null ? '-' : formatBytes(row.committed), row.creatorPid ? String(row.creatorPid) : '-', statusWord(row), attachedCell(row)]),
    width,
  );
  const dead = rows.some((row) => row.attached.some((a) => !a.alive));
  return dead ? `${table}† died without detaching\n` : table;
}
