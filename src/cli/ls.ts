/**
 * `shmkit ls`: the sections on this machine (Section.list()), or with --pid the sections one
 * process maps, read from the OS.
 */
import { platform } from '../platform/index.js';
import { describeSection } from '../section/list.js';
import { Section, type MappedSection } from '../section/section.js';
import { HELP, toJson, type Command, type Io } from './command.js';
import { formatBytes, renderTable } from './format.js';
import { renderSectionTable, sectionRow, statusWord, type SectionRow } from './section-rows.js';
import { expectPositionals, integerOption, parseCommandLine, stringOption } from './usage.js';

interface LsOptions {
  json: boolean;
  pid: number | undefined;
  prefix: string | undefined;
}

/** A row of `ls --pid`: where the process maps the section from, and what the section is now. */
export interface MappedSectionRow extends MappedSection {
  /** The section as Section.list() describes it; null once its name or file is gone. */
  section: SectionRow | null;
}

export const lsCommand: Command<LsOptions> = {
  name: 'ls',
  summary: 'list sections: size, committed memory, kind, creator, attached processes, stale',
  help: `Usage: shmkit ls [--prefix TEXT] [--json]
       shmkit ls --pid PID [--json]

List the shared-memory sections on this machine: name, kind, size, committed
memory, creator pid, state and the attached processes (a dagger marks a
process that died without detaching). SIZE is the usable size (for a
namespace, the most it may grow to); COMMITTED is the memory it holds now,
header included.

States:
  live       some attached process runs
  idle       nobody attached; its users closed it or exited normally
             (kept: it may hold data)
  stale      its last users were killed (SIGKILL, a crash) and nobody has
             opened or closed it since ('shmkit gc' removes it)
  init       being created
  abandoned  its creator died while creating it (gc removes it too)
  bad        not a section this shmkit can read

With --pid, list the sections process PID maps (Section.mappedBy): shared
memory objects and file-backed sections, with the bytes it maps. Linux reads
/proc/PID/maps; Windows walks the process's views (VirtualQueryEx).

Options:
  --pid PID      the sections this process maps (Linux, Windows)
  --prefix TEXT  only sections whose name starts with TEXT
  --json         a JSON array, one object per section
  -h, --help     this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('ls', args, {
      pid: { type: 'string' },
      prefix: { type: 'string' },
    });
    if (values['help']) return HELP;
    expectPositionals('ls', positionals, []);
    return {
      json: values['json'] === true,
      pid: integerOption('ls', values, 'pid', 1, 2 ** 31 - 1),
      prefix: stringOption(values, 'prefix'),
    };
  },
  run(options, io) {
    if (options.pid !== undefined) return listMapped(options.pid, options, io);
    const rows = Section.list()
      .filter((info) => options.prefix === undefined || info.name.startsWith(options.prefix))
      .map((info) => sectionRow(info));
    io.out(options.json ? toJson(rows) : renderSectionTable(rows, io.columns));
    return 0;
  },
};

function listMapped(pid: number, options: LsOptions, io: Io): number {
  const os = platform();
  const rows: MappedSectionRow[] = Section.mappedBy(pid)
    .filter((mapped) => options.prefix === undefined || mapped.name.startsWith(options.prefix))
    .map((mapped) => {
      const info = mapped.deleted ? undefined : describeSection(os, mapped.name, mapped.backing === 'file' ? mapped.path : undefined);
      return { ...mapped, section: info ? sectionRow(info, mapped.backing === 'file' ? mapped.path : undefined) : null };
    });
  if (options.json) {
    io.out(toJson(rows));
    return 0;
  }
  if (rows.length === 0) {
    io.out(`process ${pid} maps no sections\n`);
    return 0;
  }
  io.out(
    renderTable(
      [
        { header: 'NAME', flexible: true, cut: 'middle', min: 12, max: 30 },
        { header: 'KIND' },
        { header: 'SIZE', right: true },
        { header: 'MAPPED', right: true },
        { header: 'STATE' },
        { header: 'FROM', flexible: true, cut: 'middle', min: 8 },
      ],
      rows.map((row) => [
        row.name,
        row.section?.kind ?? '-',
        row.section ? formatBytes(row.section.size) : '-',
        formatBytes(row.mappedBytes),
        row.deleted ? 'removed' : row.section ? statusWord(row.section) : '-',
        row.backing === 'memory' ? 'memory' : row.path,
      ]),
      io.columns,
    ),
  );
  if (rows.some((row) => row.deleted)) io.out('removed: its name is gone; the process keeps the memory mapped\n');
  return 0;
}
