// Worker pools (issue 10, point 5): shmkit's Pool in thread and process mode next to piscina,
// tinypool, workerpool, poolifier and a hand-written fork + process.send pool, in one run.
// Groups, each once for threads and once for processes:
// - tiny tasks add({a, b}) per second with TINY_WINDOW in flight (refilled as they settle),
//   1 worker and 2 workers;
// - round trip with one task in flight (1 worker): p50 per trial, p99 as detail;
// - CPU-heavy tasks (~5 ms each) per second, 2 workers, 2 in flight per worker;
// - idle CPU: 2 workers started and warmed, then left idle: CPU time of the whole process tree
//   (this process's threads and every child process) as % of one core.
// Every row starts its pool fresh and destroys it, also on error; the measured groups keep the
// pools of a group alive together so that their trials run in turns (A B C, A B C), the idle
// group runs one pool at a time (a second live pool would be counted in the tree). Children a
// pool leaves behind are killed at the end of its group and named on stderr.
import { heavy } from '../children/pool-task-functions.cjs';
import { atExit } from '../lib/cleanup.mjs';
import { latencyCaps, LatencyTrials } from '../lib/latency-trials.mjs';
import { PROCESS_POOL_LIBRARIES, POOLS } from '../lib/pools.mjs';
import { cpuOver, descendants, killDescendants } from '../lib/process-tree.mjs';
import { latencyRow, rateRow, skippedRow } from '../lib/rows.mjs';
import { summarizeSamples } from '../lib/stats.mjs';

export const family = 'pool';

const TINY = { a: 1, b: 2 };
const TINY_RESULT = 3;
const HEAVY = { iterations: 1_000_000, seed: 7 };
const HEAVY_RESULT = heavy(HEAVY);
const TINY_WINDOW = 512;
const HEAVY_WINDOW = 4;
const START_TIMEOUT_MS = 30_000;
const DESTROY_TIMEOUT_MS = 10_000;
const TRIAL_SLACK_MS = 30_000; // a trial longer than its time by this much: the pool hangs
const MODES = { thread: 'threads', process: 'processes' };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), late]).finally(() => clearTimeout(timer));
}

/**
 * Keeps `window` tasks in flight on `pool` for `ms`, and until `window` tasks are done, refilling
 * as each settles; resolves to tasks per second (tasks done / time, both up to the completion
 * that ended it), after every task still in flight has settled, so nothing runs on into the next
 * row. The minimum count keeps a trial whose pool (or machine) stalled for its whole time from
 * being the rate of one task. A wrong result or a failed task fails the trial.
 */
function pump(pool, name, task, expected, window, ms) {
  const trial = new Promise((resolve, reject) => {
    let inFlight = 0;
    let done = 0;
    let stopped = false;
    let rate = 0;
    let failure = null;
    const started = performance.now();
    const deadline = started + ms;
    const settle = () => {
      if (inFlight > 0) return;
      if (failure) reject(failure);
      else resolve(rate);
    };
    const onError = (error) => {
      inFlight--;
      failure ??= error instanceof Error ? error : new Error(String(error));
      stopped = true;
      settle();
    };
    const onResult = (result) => {
      if (result !== expected) return onError(new Error(`${name} returned ${result}, expected ${expected}`));
      inFlight--;
      done++;
      if (!stopped) {
        const now = performance.now();
        if (now < deadline || done < window) return launch();
        stopped = true;
        rate = (done * 1000) / (now - started);
      }
      settle();
    };
    const launch = () => {
      inFlight++;
      try {
        pool.run(name, task).then(onResult, onError);
      } catch (error) {
        onError(error);
      }
    };
    for (let i = 0; i < window; i++) launch();
  });
  return withTimeout(trial, ms + TRIAL_SLACK_MS, `${name} tasks did not settle`);
}

/** Throughput rows: a warm-up, then trials of `window` tasks in flight. */
function throughput(name, task, expected, window, { warmupMs, trialMs }) {
  return () => ({
    warmup: (pool) => pump(pool, name, task, expected, window, warmupMs),
    trial: (pool) => pump(pool, name, task, expected, window, trialMs),
    row: (group, entry, samples) => rateRow(group, entry.name, entry.kind, samples, { unit: 'tasks/s' }),
  });
}

/** Round-trip rows: one task in flight, each run awaited; LatencyTrials splits them into phases. */
function roundTrip(plan) {
  return () => {
    const trials = new LatencyTrials(plan);
    const phase = async (pool) => {
      const current = trials.phase;
      while (trials.phase === current) {
        const started = process.hrtime.bigint();
        const result = await pool.run('add', TINY);
        if (result !== TINY_RESULT) throw new Error(`add returned ${result}, expected ${TINY_RESULT}`);
        trials.record(Number(process.hrtime.bigint() - started));
      }
    };
    return {
      warmup: phase,
      trial: phase, // its sample is taken from the trials' histograms at the end
      row: (group, entry) => {
        const { samples, ...figures } = trials.summary();
        return latencyRow(group, entry.name, entry.kind, samples, figures);
      },
    };
  };
}

/** Starts a fresh pool of `entry` and runs one task on it (the pool is up and answering). */
async function startPool(entry, workers) {
  const pool = await withTimeout(entry.start(workers), START_TIMEOUT_MS, `${entry.name} did not start`);
  try {
    const result = await withTimeout(pool.run('add', TINY), START_TIMEOUT_MS, `${entry.name} ran no first task`);
    if (result !== TINY_RESULT) throw new Error(`add returned ${result}, expected ${TINY_RESULT}`);
  } catch (error) {
    await destroyPool(entry, pool);
    throw error;
  }
  return pool;
}

async function destroyPool(entry, pool) {
  try {
    await withTimeout(pool.destroy(), DESTROY_TIMEOUT_MS, `${entry.name} was not destroyed`);
  } catch (error) {
    console.error(`  pool: ${error.message}`);
  }
}

/**
 * After a group: waits (up to 3 s) for the children its pools made to exit, then kills those
 * still there and says so. `baseline`: this process's descendants from before the scenario.
 */
async function reapChildren(baseline, group) {
  for (let waited = 0; waited < 3_000; waited += 50) {
    if (descendants().every((pid) => baseline.has(pid))) return;
    await sleep(50);
  }
  const killed = killDescendants(baseline);
  if (killed.length > 0) console.error(`  pool: killed ${killed.length} child process(es) left after "${group}": ${killed.join(', ')}`);
}

/** The measured groups: every pool of the group started, then warm-ups and trials in turns. */
async function inTurns(group, entries, workers, measure, trials, extra) {
  const live = [];
  const failures = new Map();
  try {
    for (const entry of entries) {
      try {
        live.push({ entry, pool: await startPool(entry, workers), measure: measure(), samples: [] });
      } catch (error) {
        failures.set(entry, error);
      }
    }
    for (let phase = -1; phase < trials; phase++) {
      for (const item of live) {
        if (failures.has(item.entry)) continue;
        try {
          const value = await (phase < 0 ? item.measure.warmup(item.pool) : item.measure.trial(item.pool));
          if (phase >= 0) item.samples.push(value);
        } catch (error) {
          failures.set(item.entry, error);
        }
      }
    }
  } finally {
    await Promise.all(live.map((item) => destroyPool(item.entry, item.pool)));
  }
  return entries.map((entry) => {
    if (failures.has(entry)) return skippedRow(group, entry.name, `failed: ${failures.get(entry).message}`);
    const item = live.find((candidate) => candidate.entry === entry);
    return { ...item.measure.row(group, entry, item.samples), ...extra(entry) };
  });
}

/**
 * The idle row of one pool: started (2 workers), warmed with tiny tasks, then `trials` windows
 * of `windowMs` with nothing to do; each window's CPU time of the process tree (children that
 * were there before the scenario aside) as % of one core. A child that comes or goes while idle
 * fails the row: the figure would miss its time.
 */
async function idleRow(group, entry, { workers, warmupMs, windowMs, trials }, baseline) {
  const pool = await startPool(entry, workers);
  const samples = [];
  try {
    await pump(pool, 'add', TINY, TINY_RESULT, TINY_WINDOW, warmupMs);
    const children = descendants().filter((pid) => !baseline.has(pid));
    for (let i = 0; i < trials; i++) {
      const { nanos, elapsed } = await cpuOver(children, windowMs);
      samples.push((nanos / elapsed) * 100);
    }
    const now = descendants().filter((pid) => !baseline.has(pid));
    if (now.length !== children.length || now.some((pid) => !children.includes(pid))) {
      throw new Error(`child processes changed while idle (${children.join(' ')} -> ${now.join(' ')})`);
    }
  } finally {
    await destroyPool(entry, pool);
  }
  return { group, name: entry.name, kind: entry.kind, metric: 'cpu', unit: '% core', samples, ...summarizeSamples(samples) };
}

/** The "best process pool" ratio of shmkit's process rows (ratios.mjs). */
function bestOf(entry) {
  return entry.kind === 'shmkit' && entry.mode === 'process' ? { best: { label: 'best process pool', among: PROCESS_POOL_LIBRARIES } } : {};
}

export default async function run({ quick, trials }) {
  const baseline = new Set(descendants());
  const forget = atExit(() => killDescendants(baseline)); // Ctrl-C mid-row: no pool child survives
  const tiny = quick ? { warmupMs: 100, trialMs: 120 } : { warmupMs: 300, trialMs: 500 };
  const cpuHeavy = quick ? { warmupMs: 150, trialMs: 200 } : { warmupMs: 300, trialMs: 1_000 };
  const rounds = { warmup: quick ? 200 : 2_000, rounds: quick ? 500 : 5_000, trials, ...latencyCaps(quick) };
  const idle = { workers: 2, warmupMs: quick ? 100 : 300, windowMs: quick ? 333 : 1_000, trials };
  const measured = [
    [1, `tiny tasks add({a, b}), ${TINY_WINDOW} in flight, 1 worker`, throughput('add', TINY, TINY_RESULT, TINY_WINDOW, tiny)],
    [2, `tiny tasks add({a, b}), ${TINY_WINDOW} in flight, 2 workers`, throughput('add', TINY, TINY_RESULT, TINY_WINDOW, tiny)],
    [1, 'round trip, 1 task in flight, 1 worker', roundTrip(rounds)],
    [2, `CPU-heavy tasks (~5 ms), ${HEAVY_WINDOW} in flight, 2 workers`, throughput('heavy', HEAVY, HEAVY_RESULT, HEAVY_WINDOW, cpuHeavy)],
  ];
  const unavailable = new Map();
  for (const entry of POOLS) {
    const reason = await entry.unavailable?.();
    if (reason) unavailable.set(entry, reason);
  }
  const rows = [];
  try {
    for (const [mode, modeLabel] of Object.entries(MODES)) {
      const ofMode = POOLS.filter((entry) => entry.mode === mode);
      const ready = ofMode.filter((entry) => !unavailable.has(entry));
      const skipped = (group) => ofMode.filter((entry) => unavailable.has(entry)).map((entry) => skippedRow(group, entry.name, unavailable.get(entry)));
      for (const [workers, title, measure] of measured) {
        const group = `${title}: ${modeLabel}`;
        rows.push(...skipped(group), ...(await inTurns(group, ready, workers, measure, trials, bestOf)));
        await reapChildren(baseline, group);
      }
      const group = `idle CPU (% of a core), 2 workers warmed, then ${idle.windowMs} ms windows: ${modeLabel}`;
      rows.push(...skipped(group));
      for (const entry of ready) {
        try {
          rows.push({ ...(await idleRow(group, entry, idle, baseline)), ...bestOf(entry) });
        } catch (error) {
          rows.push(skippedRow(group, entry.name, `failed: ${error.message}`));
        }
        await reapChildren(baseline, group);
      }
    }
  } finally {
    killDescendants(baseline);
    forget();
  }
  return rows;
}
