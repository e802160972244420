// Printing the results table (each shmkit row as ratios to the peers of its group), and
// writing JSON and an SVG bar chart to bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const fmt = (value, digits = 2) => (value >= 100 ? value.toFixed(0) : value.toFixed(digits));

/** The measure a row is judged by, and whether larger is better. */
export function measure(row) {
  if (row.p50us !== undefined) return { value: row.p50us, unit: 'µs p50', higherIsBetter: false };
  if (row.gbPerSec !== undefined) return { value: row.gbPerSec, unit: 'GB/s', higherIsBetter: true };
  return { value: row.opsPerSec, unit: 'ops/s', higherIsBetter: true };
}

function describe(row) {
  const parts = [];
  if (row.p50us !== undefined) parts.push(`p50 ${fmt(row.p50us)} µs`, `p99 ${fmt(row.p99us)} µs`);
  if (row.opsPerSec !== undefined) {
    parts.push(row.opsPerSec >= 1e5 ? `${(row.opsPerSec / 1e6).toFixed(2)} M/s` : `${(row.opsPerSec / 1e3).toFixed(1)} k/s`);
  }
  if (row.gbPerSec !== undefined) parts.push(`${row.gbPerSec.toFixed(2)} GB/s`);
  if (row.rme !== undefined) parts.push(`±${row.rme.toFixed(1)}%`);
  return parts.join(', ');
}

/** "12.3x faster than process.send (json)" for each peer of the row's group. */
export function ratios(row, rows) {
  if (row.kind !== 'shmkit') return [];
  const mine = measure(row);
  return rows
    .filter((other) => other.group === row.group && other.kind === 'peer')
    .map((peer) => {
      const theirs = measure(peer);
      const ratio = mine.higherIsBetter ? mine.value / theirs.value : theirs.value / mine.value;
      return { peer: peer.name, ratio };
    });
}

export function printTable(rows) {
  const groups = [...new Set(rows.map((row) => row.group))];
  for (const group of groups) {
    console.log(`\n## ${group}`);
    for (const row of rows.filter((r) => r.group === group)) {
      console.log(`  ${row.kind === 'shmkit' ? '*' : ' '} ${row.name.padEnd(48)} ${describe(row)}`);
      for (const { peer, ratio } of ratios(row, rows)) {
        console.log(`      ${fmt(ratio)}x ${ratio >= 1 ? 'better than' : 'of'} ${peer}`);
      }
    }
  }
}

export function writeResults(rows, directory) {
  fs.mkdirSync(directory, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const document = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    rows: rows.map((row) => ({ ...row, ratios: ratios(row, rows) })),
  };
  const json = JSON.stringify(document, null, 2);
  fs.writeFileSync(path.join(directory, `${stamp}.json`), json);
  fs.writeFileSync(path.join(directory, 'latest.json'), json);
  fs.writeFileSync(path.join(directory, 'latest.svg'), chart(rows));
  return path.join(directory, 'latest.json');
}

/** One horizontal bar chart per group; bars scaled to the group's best value. */
function chart(rows) {
  const groups = [...new Set(rows.map((row) => row.group))];
  const barHeight = 18;
  const width = 900;
  let y = 30;
  const parts = [];
  for (const group of groups) {
    const members = rows.filter((row) => row.group === group);
    const values = members.map((row) => measure(row));
    const top = Math.max(...values.map((v) => v.value));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(group)} (${values[0].unit}${values[0].higherIsBetter ? ', longer is better' : ', shorter is better'})</text>`);
    y += 8;
    members.forEach((row, i) => {
      const barWidth = Math.max(1, (values[i].value / top) * 480);
      const colour = row.kind === 'shmkit' ? '#2b7bb9' : '#aaaaaa';
      parts.push(`<text x="10" y="${y + 13}" font-size="12">${escape(row.name)}</text>`);
      parts.push(`<rect x="320" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight - 4}" fill="${colour}"/>`);
      parts.push(`<text x="${325 + barWidth}" y="${y + 12}" font-size="11">${fmt(values[i].value)}</text>`);
      y += barHeight;
    });
    y += 24;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
