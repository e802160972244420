// npm run bench [-- --quick] [scenario ...]: runs the benchmark scenarios (each row: a warm-up,
// then 5 trials, 3 with --quick), prints every row's median and spread and each shmkit row's
// ratios to its peers, and writes JSON + SVG to bench/out/ (see bench/README.md).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { install } from './lib/cleanup.mjs';
import { machine, writeRun } from './lib/output.mjs';
import { removeStaleBenchSections } from './lib/processes.mjs';
import { skippedRow } from './lib/rows.mjs';
import { formatTable } from './lib/table.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['channel-throughput', 'under-load', 'channel-paths', 'codec', 'channel-more', 'sync-roundtrip', 'mutex', 'store', 'pool', 'bridge'];

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.SHMKIT_BENCH_QUICK === '1';
const chosen = args.filter((arg) => !arg.startsWith('--'));
const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

install(); // Ctrl-C kills the children (CPU hogs too) and unlinks what the run made
const stale = removeStaleBenchSections();
if (stale > 0) console.error(`removed ${stale} section(s) left by an earlier run that was killed`);
const trials = quick ? 3 : 5;
const run = { date: new Date().toISOString(), node: process.version, quick, trials, machine: machine(), loadAverage: { start: os.loadavg() }, scenarios: [], rows: [] };
const began = performance.now();
let failed = false;
for (const name of chosen.length > 0 ? chosen : SCENARIOS) {
  console.error(`running ${name}${quick ? ' (quick)' : ''}...`);
  const started = performance.now();
  const scenario = await import(path.join(HERE, 'scenarios', `${name}.mjs`));
  let rows;
  try {
    rows = await scenario.default({ quick, trials });
  } catch (error) {
    failed = true;
    console.error(`${name} failed:`, error);
    rows = [skippedRow(name, `${name} did not finish`, error.message)];
  }
  const seconds = (performance.now() - started) / 1000;
  console.error(`  ${name}: ${seconds.toFixed(1)} s`);
  run.scenarios.push({ name, seconds });
  for (const row of rows) run.rows.push({ scenario: name, family: scenario.family ?? name, ...row });
}
run.seconds = (performance.now() - began) / 1000;
run.loadAverage.end = os.loadavg();

console.log(formatTable(run.rows, { trials }));
const written = writeRun(run, path.join(HERE, 'out'));
const [json] = written.map((file) => path.relative(process.cwd(), file));
console.log(`\n${run.seconds.toFixed(0)} s. Output: ${json} and .svg (also latest.*)`);
process.exitCode = failed ? 1 : 0;
