// The SVG chart of a run: one panel per scenario family and metric (rates, latencies), each on
// a log scale with decade gridlines labelled in their unit (1 k/s, 1 M/s; 0.1 µs, 1 ms), so
// that 0.2 µs and 100 µs, or 60 msg/s and 12 M msg/s, can sit in one panel and both read
// right. A row is a bar to its median with a whisker over its trials' min–max and its value
// written beside it. Bars start a third of a decade or more below the panel's smallest value,
// so none is a sliver.
import { formatRate, formatValue, rateNoun, sig3 } from './format.mjs';

const WIDTH = 1060;
const LABEL_X = 12;
const PLOT_X = 360;
const PLOT_WIDTH = 470;
const ROW_HEIGHT = 20;
const BAR_HEIGHT = 13;
const COLOURS = { shmkit: '#2b6cb0', peer: '#8a8a8a', info: '#c9c9c9' };
const MAX_LABEL = 50;

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A decade tick: '1 k/s', '100 k/s', '0.1 µs', '10 ms'. */
function tickLabel(value, metric) {
  if (metric === 'latency') {
    if (value >= 1e6) return `${trim(value / 1e6)} s`;
    if (value >= 1e3) return `${trim(value / 1e3)} ms`;
    return `${trim(value)} µs`;
  }
  if (metric === 'cpu') return `${trim(value)} %`;
  for (const [scale, prefix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) if (value >= scale) return `${trim(value / scale)} ${prefix}/s`;
  return `${trim(value)} /s`;
}
const trim = (value) => String(Number(value.toPrecision(3)));

function axisTitle(metric, unit, trials) {
  const what = {
    latency: 'µs per round trip or hand-off, p50 of each trial; shorter is better',
    cpu: '% of one core used while idle, whole process tree; shorter is better',
  }[metric] ?? `${rateNoun(unit)} per second; longer is better`;
  return `${what}. Log scale; bar: median of ${trials} trials, whisker: min–max.`;
}

/** Panels: rows with a metric, by family and metric, in the order they came. */
function panels(rows) {
  const byKey = new Map();
  for (const row of rows) {
    if (row.chart === false) continue;
    // A skipped row goes to the panel of its group's measured rows (rates if none is measured).
    const metric = row.metric ?? rows.find((other) => other.group === row.group && other.metric)?.metric ?? 'rate';
    const key = `${row.family}|${metric}`;
    if (!byKey.has(key)) byKey.set(key, { family: row.family, metric, rows: [] });
    byKey.get(key).rows.push(row);
  }
  return [...byKey.values()].filter((panel) => panel.rows.some((row) => row.metric));
}

function drawPanel(panel, y, trials, parts) {
  const measured = panel.rows.filter((row) => row.metric);
  const high = Math.max(...measured.map((row) => row.max));
  const positive = measured.map((row) => row.min).filter((value) => value > 0); // an idle row can be 0
  const low = positive.length > 0 ? Math.min(...positive) : high / 1000;
  let from = Math.floor(Math.log10(low) - 0.3);
  let to = Math.ceil(Math.log10(high) + 0.05);
  if (to - from < 2) to = from + 2;
  const x = (value) => PLOT_X + ((Math.log10(Math.max(value, 10 ** from)) - from) / (to - from)) * PLOT_WIDTH; // 0 (an idle row) at the axis
  const mixedUnits = new Set(measured.map((row) => row.unit)).size > 1;

  parts.push(`<text x="${LABEL_X}" y="${y + 16}" font-size="15" font-weight="bold">${escape(panel.family)}${{ latency: ' (latency)', cpu: ' (CPU)' }[panel.metric] ?? ''}</text>`);
  parts.push(`<text x="${LABEL_X}" y="${y + 33}" font-size="11" fill="#444">${escape(axisTitle(panel.metric, mixedUnits ? 'mixed' : measured[0].unit, trials))}</text>`);
  y += 56;
  const top = y;
  const bodyRows = [];
  for (const group of [...new Set(panel.rows.map((row) => row.group))]) {
    bodyRows.push({ heading: group, y });
    y += ROW_HEIGHT;
    for (const row of panel.rows.filter((r) => r.group === group)) {
      bodyRows.push({ row, y });
      y += ROW_HEIGHT;
    }
    y += 4;
  }
  const bottom = y;
  // Decade gridlines and their labels, above and below the panel body.
  for (let decade = from; decade <= to; decade++) {
    const value = 10 ** decade;
    const gx = x(value).toFixed(1);
    parts.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${bottom}" stroke="#e3e3e3"/>`);
    for (const ty of [top - 6, bottom + 12]) parts.push(`<text x="${gx}" y="${ty}" font-size="10" fill="#555" text-anchor="middle">${escape(tickLabel(value, panel.metric))}</text>`);
  }
  parts.push(`<line x1="${PLOT_X}" y1="${top - 4}" x2="${PLOT_X}" y2="${bottom}" stroke="#999"/>`);
  for (const entry of bodyRows) {
    if (entry.heading) {
      parts.push(`<text x="${LABEL_X}" y="${entry.y + 14}" font-size="12" font-weight="bold" fill="#222">${escape(entry.heading)}</text>`);
      continue;
    }
    const { row } = entry;
    const label = row.name.length > MAX_LABEL ? `${row.name.slice(0, MAX_LABEL - 1)}…` : row.name;
    parts.push(`<text x="${LABEL_X + 10}" y="${entry.y + 14}" font-size="12"><title>${escape(row.name)}</title>${escape(label)}</text>`);
    if (!row.metric) {
      parts.push(`<text x="${PLOT_X + 6}" y="${entry.y + 14}" font-size="11" font-style="italic" fill="#777">${escape(`skipped: ${row.reason}`).slice(0, 110)}</text>`);
      continue;
    }
    const barEnd = Math.max(x(row.median), PLOT_X + 6);
    const barY = entry.y + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    parts.push(`<rect x="${PLOT_X}" y="${barY.toFixed(1)}" width="${(barEnd - PLOT_X).toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLOURS[row.kind] ?? COLOURS.info}"><title>${escape(`${row.name}: median ${formatValue(row, row.median)}, trials ${row.samples.map((s) => formatValue(row, s)).join(', ')}`)}</title></rect>`);
    const mid = (barY + BAR_HEIGHT / 2).toFixed(1);
    const [wx1, wx2] = [x(row.min), x(row.max)].map((v) => v.toFixed(1));
    parts.push(`<path d="M${wx1} ${mid}H${wx2}M${wx1} ${barY + 3}V${barY + BAR_HEIGHT - 3}M${wx2} ${barY + 3}V${barY + BAR_HEIGHT - 3}" stroke="#111" stroke-width="1.2" fill="none"/>`);
    const bytes = row.size >= 4096 && row.metric === 'rate' ? ` = ${formatRate(row.median * row.size, 'B/s')}` : '';
    const text = `${formatValue(row, row.median)}${bytes}${row.spread >= 1.5 ? `  (trials ×${sig3(row.spread)} apart)` : ''}`;
    parts.push(`<text x="${(Math.max(barEnd, x(row.max)) + 6).toFixed(1)}" y="${entry.y + 14}" font-size="11">${escape(text)}</text>`);
  }
  return bottom + 30;
}

/** The whole chart as SVG text. */
export function chart(rows, { title, trials }) {
  const parts = [];
  parts.push(`<text x="${LABEL_X}" y="22" font-size="16" font-weight="bold">${escape(title)}</text>`);
  let legendX = LABEL_X;
  for (const [kind, text] of [['shmkit', 'shmkit'], ['peer', 'peer (what a Node user would use instead)'], ['info', 'information']]) {
    parts.push(`<rect x="${legendX}" y="32" width="12" height="12" fill="${COLOURS[kind]}"/>`);
    parts.push(`<text x="${legendX + 16}" y="42" font-size="11">${escape(text)}</text>`);
    legendX += 30 + text.length * 6;
  }
  let y = 56;
  for (const panel of panels(rows)) y = drawPanel(panel, y, trials, parts);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
