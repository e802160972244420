/**
 * `shmkit rm NAME`: removes a section's name (Section.unlink). One that live processes other
 * than this command have attached is refused unless --force; they keep their mapping either
 * way, later openers no longer find it.
 */
import { SectionInUseError, SectionNotFoundError } from '../errors.js';
import { Section } from '../section/section.js';
import { HELP, toJson, type Command } from './command.js';
import { expectPositionals, parseCommandLine, sectionName, stringOption } from './usage.js';

interface RmOptions {
  name: string;
  file: string | undefined;
  force: boolean;
  json: boolean;
}

export const rmCommand: Command<RmOptions> = {
  name: 'rm',
  summary: 'remove a section (refuses one in use unless --force)',
  help: `Usage: shmkit rm NAME [--file PATH] [--force] [--json]

Remove section NAME. A section that live processes have attached is refused
(exit 1) unless --force: those processes keep using their mapping, but nobody
can open the name any more. A stale section (every attached process died) is
removed without --force; 'shmkit gc' removes all of them.

Options:
  --file PATH  a file-backed section: remove its file
  --force      remove it even while live processes use it
  --json       {"name": ..., "removed": true}
  -h, --help   this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('rm', args, {
      file: { type: 'string' },
      force: { type: 'boolean', short: 'f' },
    });
    if (values['help']) return HELP;
    const [name] = expectPositionals('rm', positionals, ['NAME']);
    return { name: sectionName(name!), file: stringOption(values, 'file'), force: values['force'] === true, json: values['json'] === true };
  },
  run(options, io) {
    const { name, file, force } = options;
    let removed: boolean;
    try {
      removed = Section.unlink(name, { force, ...(file === undefined ? {} : { file }) });
    } catch (error) {
      if (error instanceof SectionInUseError) {
        const pids = error.pids;
        error.message =
          `section '${name}' is in use by live process${pids.length > 1 ? 'es' : ''} ${pids.join(', ')}; close it there first, ` +
          `or run 'shmkit rm ${name}${file === undefined ? '' : ` --file ${file}`} --force' to remove it anyway (they keep their mapping)`;
      }
      throw error;
    }
    if (!removed) {
      const error = new SectionNotFoundError(name);
      error.message = file === undefined ? `no section named '${name}' (run 'shmkit ls' to list them)` : `no section file ${file}`;
      throw error;
    }
    io.out(options.json ? toJson({ name, file: file ?? null, removed: true }) : `removed ${name}\n`);
    return 0;
  },
};
