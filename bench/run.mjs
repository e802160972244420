// npm run bench [-- --quick] [scenario ...]: runs the benchmark scenarios, prints each shmkit
// path next to its peers as ratios, and writes bench/results/latest.json and latest.svg.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, writeResults } from './lib/report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['channel-throughput', 'channel-more', 'sync-roundtrip', 'mutex', 'store'];

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.SHMKIT_BENCH_QUICK === '1';
const chosen = args.filter((arg) => !arg.startsWith('--'));
const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

const rows = [];
for (const name of chosen.length > 0 ? chosen : SCENARIOS) {
  console.error(`running ${name}${quick ? ' (quick)' : ''}...`);
  const { default: run } = await import(path.join(HERE, 'scenarios', `${name}.mjs`));
  rows.push(...(await run({ quick })));
}
printTable(rows);
console.log(`\nresults: ${path.relative(process.cwd(), writeResults(rows, path.join(HERE, 'results')))}`);
