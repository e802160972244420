// Numbers with their units, three significant figures, for the table and the chart alike:
// 12.3 M/s, 845 k/s, 0.215 µs, 14.2 µs, 1.52 ms, 5.21 GB/s, 12.3x.

/** Three significant figures, without exponent notation. */
export function sig3(value) {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude === 0) return '0';
  return value.toPrecision(3);
}

const PREFIXES = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
];

/** A rate: '12.3 M/s', '845 k/s', '12.0 /s'; `unit` 'B/s' gives '5.21 GB/s'. */
export function formatRate(perSecond, unit = '/s') {
  const [scale, prefix] = PREFIXES.find(([limit]) => Math.abs(perSecond) >= limit) ?? PREFIXES.at(-1);
  return `${sig3(perSecond / scale)} ${prefix}${unit}`;
}

/** A time in µs: '0.215 µs', '14.2 µs', '1.52 ms', '1.20 s'. */
export function formatMicros(us) {
  if (us >= 1e6) return `${sig3(us / 1e6)} s`;
  if (us >= 1e3) return `${sig3(us / 1e3)} ms`;
  return `${sig3(us)} µs`;
}

/** A share of one core: '0.42 %'. */
export function formatPercent(value) {
  return `${sig3(value)} %`;
}

/** A row's value in its metric. */
export function formatValue(row, value) {
  if (row.metric === 'latency') return formatMicros(value);
  if (row.metric === 'cpu') return formatPercent(value);
  return formatRate(value);
}

/**
 * The spread of a row's trials: '11.9–13.0 M/s', the unit written once when both ends have it
 * ('18.6 /s–22.7 k/s' when they do not: a trial 1,000 times slower than another must not read
 * as 18.6 k/s).
 */
export function formatRange(row) {
  const [low, high] = [formatValue(row, row.min), formatValue(row, row.max)];
  const unit = (text) => text.replace(/^\S+ /, '');
  return unit(low) === unit(high) ? `${low.replace(/ .*$/, '')}–${high}` : `${low}–${high}`;
}

export function formatRatio(ratio) {
  return `${sig3(ratio)}x`;
}

/** What a metric's value is, for headings and axes. */
export function metricTitle(row) {
  if (row.metric === 'latency') return 'µs, p50 of each trial; lower is better';
  if (row.metric === 'cpu') return '% of one core; lower is better';
  return `${rateNoun(row.unit)} per second; higher is better`;
}

/** What a rate counts, from its unit: 'operations', 'tasks', 'messages'. */
export function rateNoun(unit) {
  if (unit === 'ops/s') return 'operations';
  if (unit === 'tasks/s') return 'tasks';
  return 'messages';
}
