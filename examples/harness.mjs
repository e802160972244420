// A benchmark harness: start N processes, line them up behind a Barrier so they all start at
// the same moment, let each run a timed loop on shared state, and collect their results
// through a channel. Each process adds to one shared counter with ns.update (an atomic
// read-modify-write under the namespace lock); the total must equal the sum of the counts.
//
//   node examples/harness.mjs [processes=3] [milliseconds=500] [name]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Namespace } from 'shmkit';

if (process.argv[2] === '--runner') {
  const [, , , name, millisecondsText] = process.argv;
  const ns = Namespace.open(name, { reuse: true });
  const start = ns.barrier('start'); // made with its parties by the coordinator
  const results = ns.channel('results');
  await start.waitAsync({ timeout: 30_000 }); // everyone leaves this line together
  const until = performance.now() + Number(millisecondsText);
  let count = 0;
  while (performance.now() < until) {
    ns.update('total', (total = 0) => total + 1);
    count++;
  }
  await results.send({ pid: process.pid, count }, { timeout: 30_000 });
  ns.close();
} else {
  const processes = Number(process.argv[2] ?? 3);
  const milliseconds = Number(process.argv[3] ?? 500);
  const name = process.argv[4] ?? `harness-${process.pid}`;
  const ns = Namespace.open(name);
  try {
    const start = ns.barrier('start', processes + 1); // the runners and this coordinator
    const results = ns.channel('results', { kind: 'mpsc' });
    const runners = Array.from({ length: processes }, () => fork(fileURLToPath(import.meta.url), ['--runner', name, String(milliseconds)]));
    const exits = runners.map((runner) => once(runner, 'exit')); // listen now: a runner may be done before we look
    await start.waitAsync({ timeout: 30_000 }); // returns once every runner has started
    const reports = [];
    for (let i = 0; i < processes; i++) reports.push(await results.receive({ timeout: 30_000 }));
    for (const exit of exits) {
      const [code] = await exit;
      if (code !== 0) throw new Error(`a runner exited with code ${code}`);
    }
    const sum = reports.reduce((total, report) => total + report.count, 0);
    for (const report of reports) console.log(`pid ${report.pid}: ${report.count} updates, ${(report.count / milliseconds).toFixed(0)}k/s`);
    const total = ns.get('total');
    console.log(total === sum ? `ok: ${processes} processes, ${total} updates, none lost` : `WRONG: counter ${total}, runners counted ${sum}`);
    if (total !== sum) process.exitCode = 1;
  } finally {
    ns.destroy();
  }
}
