/**
 * `shmkit gc`: removes stale sections — every process recorded as attached has died, or the
 * creator died while creating it (Section.list()'s `stale`). Sections nobody has open but
 * that were closed cleanly are idle, not stale, and stay: they may hold data left on purpose.
 * A normal exit without close() counts as clean (the slot is released at exit), and dead
 * attachers are freed by the next open or close, so stale means the last users were killed.
 */
import { platform } from '../platform/index.js';
import { describeSection } from '../section/list.js';
import { Section } from '../section/section.js';
import { HELP, toJson, type Command } from './command.js';
import { formatBytes, renderTable } from './format.js';
import { sectionRow, statusWord, type SectionRow } from './section-rows.js';
import { expectPositionals, parseCommandLine, stringOption } from './usage.js';

interface GcOptions {
  dryRun: boolean;
  prefix: string | undefined;
  json: boolean;
}

export interface GcEntry {
  name: string;
  kind: string;
  size: number;
  /** 'stale' (attached processes all dead) or 'abandoned' (creator died during creation). */
  reason: 'stale' | 'abandoned';
  /** Pids that were attached and died. */
  deadPids: number[];
  /** Removed by this run (always false with --dry-run). */
  removed: boolean;
  /** Why it was not removed: gone meanwhile, attached again, or the OS refused (`failed`); null otherwise. */
  note: string | null;
  /** The removal failed (the command exits with 1). */
  failed: boolean;
}

export const gcCommand: Command<GcOptions> = {
  name: 'gc',
  summary: 'remove stale sections (every attached process dead); --dry-run',
  help: `Usage: shmkit gc [--dry-run] [--prefix TEXT] [--json]

Remove the stale sections: those whose last users were killed without
detaching (SIGKILL, a crash) with nobody opening or closing them since, and
those whose creator died while creating them. Idle sections (their users
closed them or exited normally) are left alone: they may hold data left on
purpose. Each one is checked again just before it is removed.

Options:
  --dry-run      list what would be removed, remove nothing
  --prefix TEXT  only sections whose name starts with TEXT
  --json         {"dryRun": ..., "sections": [...]}
  -h, --help     this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('gc', args, {
      'dry-run': { type: 'boolean', short: 'n' },
      prefix: { type: 'string' },
    });
    if (values['help']) return HELP;
    expectPositionals('gc', positionals, []);
    return { dryRun: values['dry-run'] === true, prefix: stringOption(values, 'prefix'), json: values['json'] === true };
  },
  run(options, io) {
    const stale = Section.list()
      .filter((info) => info.stale && (options.prefix === undefined || info.name.startsWith(options.prefix)))
      .map((info) => sectionRow(info));
    const entries = stale.map((row) => (options.dryRun ? entry(row, false, null) : collect(row)));
    const failed = entries.filter((e) => e.failed).length;
    if (options.json) {
      io.out(toJson({ dryRun: options.dryRun, sections: entries }));
    } else {
      io.out(renderGc(entries, options.dryRun, io.columns));
    }
    return failed > 0 ? 1 : 0;
  },
};

function entry(row: SectionRow, removed: boolean, note: string | null, failed = false): GcEntry {
  return {
    name: row.name,
    kind: row.kind,
    size: row.size,
    reason: row.state === 'abandoned' ? 'abandoned' : 'stale',
    deadPids: row.attached.filter((a) => !a.alive).map((a) => a.pid),
    removed,
    note,
    failed,
  };
}

/** Removes one stale section, after checking again that it still is (a process may have attached since). */
function collect(row: SectionRow): GcEntry {
  const now = describeSection(platform(), row.name);
  if (now === undefined) return entry(row, false, 'already gone');
  if (!now.stale) return entry(row, false, `no longer stale (${statusWord(sectionRow(now))})`);
  try {
    // No force: a live process that attached in between makes this refuse.
    const removed = Section.unlink(row.name);
    return entry(row, removed, removed ? null : 'already gone');
  } catch (error) {
    return entry(row, false, (error as Error).message, true);
  }
}

function renderGc(entries: GcEntry[], dryRun: boolean, width: number): string {
  if (entries.length === 0) return 'no stale sections\n';
  const table = renderTable(
    [
      { header: dryRun ? 'WOULD REMOVE' : 'NAME', flexible: true, cut: 'middle', min: 12, max: 36 },
      { header: 'KIND' },
      { header: 'SIZE', right: true },
      { header: 'WHY' },
      { header: dryRun ? 'DEAD PIDS' : 'RESULT', flexible: true, min: 8 },
    ],
    entries.map((e) => [
      e.name,
      e.kind,
      formatBytes(e.size),
      e.reason,
      dryRun ? e.deadPids.join(' ') || '-' : e.removed ? 'removed' : `${e.failed ? 'failed' : 'kept'}: ${e.note}`,
    ]),
    width,
  );
  const removed = entries.filter((e) => e.removed).length;
  const summary = dryRun
    ? `${entries.length} stale section${entries.length === 1 ? '' : 's'} (dry run: nothing removed)`
    : `removed ${removed} of ${entries.length} stale section${entries.length === 1 ? '' : 's'}`;
  return `${table}${summary}\n`;
}
