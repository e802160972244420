/**
 * `shmkit watch NAME`: the counters of a section refreshed in place, with rates, as Aeron's
 * AeronStat shows a media driver's. On a terminal each tick redraws the screen; otherwise
 * (or with --json) each tick appends a block (one JSON line), so the output can be logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { platform } from '../platform/index.js';
import { describeSection } from '../section/list.js';
import { HELP, type Command, type Io } from './command.js';
import { formatBytes, formatRate, renderTable, truncateMiddle } from './format.js';
import { inspectSection, openForReading } from './inspect-report.js';
import { countersOf, withRates, type Counter, type CounterWithRate } from './watch-counters.js';
import { expectPositionals, integerOption, parseCommandLine, sectionName, stringOption } from './usage.js';

interface WatchOptions {
  name: string;
  file: string | undefined;
  interval: number;
  count: number | undefined;
  json: boolean;
}

/** Redraw a terminal: cursor home, then clear the screen. */
const HOME_AND_CLEAR = '\x1b[H\x1b[2J';

export const watchCommand: Command<WatchOptions> = {
  name: 'watch',
  summary: "follow a section's counters and their rates, refreshed in place",
  help: `Usage: shmkit watch NAME [--interval MS] [--count N] [--file PATH] [--json]

Show the counters of section NAME every interval, with their rates per second:
namespace writes, rollbacks and recoveries, heap use; for each ring the bytes
in and out (and their rates), used bytes, messages, parked threads, claims of
dead producers; cache hits, misses, evictions, expirations; mutex recoveries,
barrier openings, event sets, semaphore counts, broadcast messages.

On a terminal the screen is redrawn in place; otherwise, or with --json, each
tick is appended (with --json: one JSON object per line). Ctrl-C stops.

Options:
  --interval MS  time between ticks (default 1000, at least 10)
  --count N      stop after N ticks (default: until interrupted)
  --file PATH    a file-backed section
  --json         one JSON line per tick
  -h, --help     this help
`,
  parse(args) {
    const { values, positionals } = parseCommandLine('watch', args, {
      interval: { type: 'string', short: 'i' },
      count: { type: 'string', short: 'c' },
      file: { type: 'string' },
    });
    if (values['help']) return HELP;
    const [name] = expectPositionals('watch', positionals, ['NAME']);
    return {
      name: sectionName(name!),
      file: stringOption(values, 'file'),
      interval: integerOption('watch', values, 'interval', 10, 3_600_000) ?? 1000,
      count: integerOption('watch', values, 'count', 1, Number.MAX_SAFE_INTEGER),
      json: values['json'] === true,
    };
  },
  async run(options, io) {
    const section = openForReading(options.name, options.file);
    try {
      let previous: { time: number; counters: Counter[] } | undefined;
      for (let tick = 1; options.count === undefined || tick <= options.count; tick++) {
        if (tick > 1) {
          try {
            await sleep(options.interval, undefined, { signal: io.signal });
          } catch {
            return 0; // interrupted: a normal way to stop watching
          }
        }
        if (describeSection(platform(), options.name, options.file) === undefined) {
          io.err(`shmkit: section '${options.name}' was removed\n`);
          return 1;
        }
        const time = performance.now();
        const counters = countersOf(inspectSection(section));
        const rated = withRates(counters, previous?.counters, previous ? time - previous.time : 0);
        previous = { time, counters };
        io.out(render(options, io, tick, rated));
      }
      return 0;
    } finally {
      section.close();
    }
  },
};

function render(options: WatchOptions, io: Io, tick: number, counters: CounterWithRate[]): string {
  const time = new Date().toISOString();
  if (options.json) {
    const rows = counters.map(({ object, kind, counter, value, rate }) => ({ object, kind, counter, value, rate }));
    return `${JSON.stringify({ tick, time, name: options.name, intervalMs: options.interval, counters: rows })}\n`;
  }
  const rest = `   every ${options.interval} ms   ${time.replace(/\.\d{3}Z$/, 'Z')}   tick ${tick}`;
  const title = `shmkit watch ${truncateMiddle(options.name, Math.max(12, io.columns - 13 - rest.length))}${rest}\n`;
  const table = renderTable(
    [
      { header: 'OBJECT', flexible: true, cut: 'middle', min: 10 },
      { header: 'KIND' },
      { header: 'COUNTER' },
      { header: 'VALUE', right: true },
      { header: 'RATE/S', right: true },
    ],
    counters.map((c) => [
      c.object,
      c.kind,
      c.counter,
      c.bytes ? formatBytes(c.value) : String(c.value),
      c.monotonic ? (c.bytes && c.rate !== null ? `${formatBytes(Math.round(c.rate))}` : formatRate(c.rate)) : '',
    ]),
    io.columns,
  );
  return io.isTTY ? `${HOME_AND_CLEAR}${title}${table}` : `${title}${table}\n`;
}
