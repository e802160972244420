/**
 * `shmkit inspect NAME`: a section's header and, by its kind, what it holds — a namespace's
 * heap, variables and named objects (rings, locks, barriers, caches), or a standalone
 * channel, mailbox or broadcast. Read-only: nothing in the section changes.
 */
import { HELP, toJson, type Command } from './command.js';
import { inspectSection, openForReading } from './inspect-report.js';
import { renderInspect } from './inspect-text.js';
import { expectPositionals, parseCommandLine, sectionName, stringOption } from './usage.js';

interface InspectOptions {
  name: string;
  file: string | undefined;
  json: boolean;
}

export const inspectCommand: Command<InspectOptions> = {
  name: 'inspect',
  summary: "show a section's header and what it holds: rings, locks, caches",
  help: `Usage: shmkit inspect NAME [--file PATH] [--json]

Show section NAME: size, kind, format version, creator, attached processes,
and what it holds:
  namespace  lock, write counters, variables, heap; then each named object:
             channels and mailboxes: head, tail, used bytes, messages, parked
               consumers and producers, pending claims (and those of dead
               producers), ended, the consumer/producer holding the ring;
             mutexes: owner and whether it lives; semaphores: count;
             events: set or reset; barriers: parties, arrived, generation,
             broken; broadcasts: messages published, writer; caches:
             entries, bytes, hits, misses, evictions, expirations, limits
  channel, mailbox, broadcast (made with Channel.create, ...): the same, alone

The section is opened read-only and without attaching: nothing changes.

Options:
  --file PATH  a file-backed section (NAME as it was created)
  --json       one JSON object
  -h, --help   this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('inspect', args, { file: { type: 'string' } });
    if (values['help']) return HELP;
    const [name] = expectPositionals('inspect', positionals, ['NAME']);
    return { name: sectionName(name!), file: stringOption(values, 'file'), json: values['json'] === true };
  },
  run(options, io) {
    const section = openForReading(options.name, options.file);
    try {
      const report = inspectSection(section);
      io.out(options.json ? toJson(report) : renderInspect(report, io.columns));
      if (report.error) {
        io.err(`shmkit: cannot read what section '${options.name}' holds: ${report.error}\n`);
        return 1;
      }
      return 0;
    } finally {
      section.close();
    }
  },
};
