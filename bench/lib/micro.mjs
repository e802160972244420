// In-process micro-benchmarks by timed loops (codec and uncontended mutex rows). Each case is
// a function doing one operation, synchronous or returning a promise (`async: true`). Every
// case gets a warm-up, then `trials` trials of `trialMs` each, taken in turns across the cases
// (A B C, A B C, ...) so that a burst of load from elsewhere on the machine falls on all of them
// alike. A trial runs the operation in batches sized to take about a millisecond, reading the
// clock between batches only. Returns the ops/s of each trial, per case.
//
// Each case runs in a loop function of its own (new Function), so the call inside the loop
// sees one callee and V8 can inline it, as a loop written by hand would; a loop shared by all
// cases would be slower for the fastest cases by its megamorphic call alone.
const AsyncFunction = (async () => {}).constructor;
const BATCH_TARGET_MS = 1;

function makeLoop(isAsync) {
  return isAsync
    ? new AsyncFunction('operation', 'count', 'for (let i = 0; i < count; i++) await operation();')
    : new Function('operation', 'count', 'for (let i = 0; i < count; i++) operation();');
}

/** Runs `operation` in batches for `ms`; returns operations per second. */
async function timed(entry, ms) {
  let done = 0;
  const started = performance.now();
  let now = started;
  do {
    const batchStarted = now;
    await entry.loop(entry.operation, entry.batch);
    done += entry.batch;
    now = performance.now();
    const took = now - batchStarted;
    // Aim each batch at ~1 ms: the clock is read rarely, and a trial still ends near its time.
    if (took < BATCH_TARGET_MS / 2) entry.batch *= 2;
    else if (took > BATCH_TARGET_MS * 2 && entry.batch > 1) entry.batch = Math.max(1, entry.batch >> 1);
  } while (now - started < ms);
  return done / ((now - started) / 1000);
}

/**
 * cases: [{ name, operation, async? }]; returns [{ name, samples }] in the order given.
 */
export async function microTrials(cases, { trials, warmupMs, trialMs }) {
  const entries = cases.map((c) => ({ ...c, loop: makeLoop(Boolean(c.async)), batch: 1, samples: [] }));
  for (const entry of entries) await timed(entry, warmupMs);
  for (let trial = 0; trial < trials; trial++) {
    for (const entry of entries) entry.samples.push(await timed(entry, trialMs));
  }
  return entries.map(({ name, samples }) => ({ name, samples }));
}
