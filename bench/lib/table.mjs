// The results table on stdout, at most 100 columns wide: per scenario, per group, each row's
// median, the spread of its trials (min–max, and max/min), a detail (GB/s or p99), and under
// each shmkit row its ratios to the peers of the group.
import { formatMicros, formatRange, formatRate, formatRatio, formatValue, metricTitle } from './format.mjs';
import { ratios } from './ratios.mjs';

export const WIDTH = 100;
const NAME = 44;

function detail(row) {
  if (row.p99us !== undefined) return `p99 ${formatMicros(row.p99us)}`;
  if (row.size >= 1024 && row.metric === 'rate') return formatRate(row.median * row.size, 'B/s');
  return '';
}

/** `items` joined by `joiner` into lines of at most WIDTH columns, each starting with `indent`. */
function wrap(items, indent, joiner = ' · ') {
  const lines = [];
  let line = indent;
  for (const item of items) {
    const piece = line === indent ? item : `${joiner}${item}`;
    if (line !== indent && line.length + piece.length > WIDTH) {
      lines.push(line);
      line = indent + item;
    } else line += piece;
  }
  if (line !== indent) lines.push(line);
  return lines;
}

function figures(row) {
  return [
    formatValue(row, row.median).padStart(10),
    formatRange(row).padStart(19),
    formatRatio(row.spread).padStart(7),
    detail(row).padStart(13),
  ].join(' ');
}

function rowLines(row, rows) {
  const marker = { shmkit: '* ', peer: '  ', info: '· ', skipped: '- ' }[row.kind] ?? '  ';
  if (row.kind === 'skipped') return [`${marker}${row.name}`, ...wrap(`skipped: ${row.reason}`.split(' '), '    ', ' ')];
  if (!row.metric) return [`${marker}${row.name}`];
  const lines = [];
  if (row.name.length <= NAME) lines.push(`${marker}${row.name.padEnd(NAME)} ${figures(row)}`.trimEnd());
  else lines.push(`${marker}${row.name}`, `${' '.repeat(2 + NAME)} ${figures(row)}`.trimEnd());
  const versus = ratios(row, rows).map(({ peer, ratio }) => `${formatRatio(ratio)} ${peer}`);
  if (versus.length > 0) lines.push(...wrap(versus, '      vs '));
  return lines;
}

export function formatTable(rows, { trials }) {
  const lines = [
    `Each figure is the median of ${trials} trials after a warm-up; min–max and max/min show how far`,
    'apart the trials were. "vs": how many times better the * shmkit row is than each peer',
    '(ratio of medians from this run; above 1 shmkit is better).',
  ];
  for (const scenario of [...new Set(rows.map((row) => row.scenario))]) {
    lines.push('', `━━ ${scenario} ${'━'.repeat(Math.max(0, WIDTH - scenario.length - 4))}`);
    const ofScenario = rows.filter((row) => row.scenario === scenario);
    for (const group of [...new Set(ofScenario.map((row) => row.group))]) {
      const members = ofScenario.filter((row) => row.group === group);
      const measured = members.find((row) => row.metric);
      lines.push('', `## ${group}`);
      if (measured) {
        lines.push(`  ${`(${metricTitle(measured)})`.padEnd(NAME)} ${'median'.padStart(10)} ${'min–max'.padStart(19)} ${'max/min'.padStart(7)}`);
      }
      for (const row of members) lines.push(...rowLines(row, rows));
    }
  }
  return lines.join('\n');
}
