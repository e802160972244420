// A run's files: JSON (every row with its samples, summary and ratios, and the machine) and the
// SVG chart, in bench/out/ (ignored by git): run-<time>.json / .svg, and latest.json /
// latest.svg copies. A run never writes anywhere else; bench/reference/ is written by hand.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chart } from './chart.mjs';
import { ratios } from './ratios.mjs';

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    model: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Writes the run's JSON and SVG into `directory`; returns the paths written. */
export function writeRun(run, directory) {
  fs.mkdirSync(directory, { recursive: true });
  const document = { ...run, rows: run.rows.map((row) => ({ ...row, ratios: ratios(row, run.rows) })) };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const svg = chart(run.rows, { trials: run.trials, title: `shmkit bench, ${run.date.slice(0, 16).replace('T', ' ')} UTC, ${run.quick ? 'quick' : 'full'}, median of ${run.trials} trials, node ${run.node}, ${run.machine.availableParallelism} cores` });
  const stamp = run.date.replace(/[:.]/g, '-');
  const written = [];
  for (const [name, text] of [[`run-${stamp}.json`, json], [`run-${stamp}.svg`, svg], ['latest.json', json], ['latest.svg', svg]]) {
    fs.writeFileSync(path.join(directory, name), text);
    written.push(path.join(directory, name));
  }
  return written;
}
