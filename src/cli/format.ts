/**
 * Text formatting for the `shmkit` command: byte sizes, names cut to a column with an
 * ellipsis, and tables that fit the terminal (80 columns when the output is not one).
 */

/** Columns a table may use: the terminal's width, 80 when the output is not a terminal. */
export const DEFAULT_WIDTH = 80;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 512 B, 1.5 KiB, 16 MiB: at most 8 characters up to 1023 TiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 && !Number.isInteger(value) ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A rate for display: 0, 12, 1.5k, 2.3M (per second). */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '-';
  const abs = Math.abs(perSecond);
  if (abs >= 1e9) return `${(perSecond / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k`;
  if (abs >= 100 || Number.isInteger(perSecond)) return String(Math.round(perSecond));
  return perSecond.toFixed(1);
}

/**
 * `text` cut to `width` characters. Names keep their start and their end (test and worker
 * names differ in a suffix: a pid, a counter), with an ellipsis in the middle.
 */
export function truncateMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}

/** `text` cut to `width` characters with an ellipsis at the end (for free-form cells). */
export function truncateEnd(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  return `${text.slice(0, width - 1)}…`;
}

/** A table cell: text, or text with its own way of getting shorter (a list that says "+3 more"). */
export type Cell = string | { text: string; fit: (width: number) => string };

function cellText(cell: Cell | undefined): string {
  return cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text;
}

export interface Column {
  header: string;
  /** Right-aligned (numbers and sizes). */
  right?: boolean;
  /** The column takes what the others leave, up to its widest cell. */
  flexible?: boolean;
  /** How a cell too wide is cut: 'middle' for names, 'end' otherwise. */
  cut?: 'middle' | 'end';
  /** Fewest characters a flexible column keeps. */
  min?: number;
  /** Most characters a flexible column takes while later flexible columns need them. */
  max?: number;
}

/**
 * Lays out rows under the headers in `width` columns (two spaces between columns). Fixed
 * columns take their widest cell; flexible ones share the rest and cut what does not fit.
 */
export function renderTable(columns: Column[], rows: Cell[][], width = DEFAULT_WIDTH): string {
  const natural = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => cellText(row[i]).length)));
  const gaps = 2 * (columns.length - 1);
  const fixed = columns.reduce((sum, column, i) => sum + (column.flexible ? 0 : natural[i]!), 0);
  const flexible = columns.map((column, i) => (column.flexible ? i : -1)).filter((i) => i >= 0);
  let room = Math.max(0, width - gaps - fixed);
  const widths = [...natural];
  // Flexible columns take the room the fixed ones leave in the order they are declared (the
  // name first), each up to its widest cell or its `max`, leaving the later ones their `min`.
  flexible.forEach((i, k) => {
    const later = flexible.slice(k + 1);
    const reserved = later.reduce((sum, j) => sum + (columns[j]!.min ?? 4), 0);
    // Past `max` only with room the later columns do not need whole.
    const spare = room - later.reduce((sum, j) => sum + natural[j]!, 0);
    const cap = Math.min(natural[i]!, Math.max(columns[i]!.max ?? Infinity, spare));
    widths[i] = Math.max(columns[i]!.min ?? 4, Math.min(cap, room - reserved));
    room = Math.max(0, room - widths[i]!);
  });
  const line = (cells: Cell[]): string =>
    columns
      .map((column, i) => {
        const w = widths[i]!;
        const given = cells[i];
        const raw = cellText(given);
        const shorter = raw.length > w && typeof given === 'object' ? given.fit(w) : raw;
        const cell = column.cut === 'middle' ? truncateMiddle(shorter, w) : truncateEnd(shorter, w);
        return column.right ? cell.padStart(w) : i === columns.length - 1 ? cell : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n') + '\n';
}

/** yes / no for flags in text output. */
export function yesNo(flag: boolean): string {
  return flag ? 'yes' : 'no';
}

/** A date for text output: ISO 8601 to the second, or '-'. */
export function formatDate(iso: string | null): string {
  return iso === null ? '-' : iso.replace(/\.\d{3}Z$/, 'Z');
}
