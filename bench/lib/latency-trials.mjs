// Round-trip latencies split into trials: a warm-up whose round trips are not recorded, then
// trials, each filling a histogram of its own. A phase ends after its number of round trips or
// its time, whichever comes first, so that a machine too busy to answer in microseconds makes
// trials of fewer round trips rather than a run of many minutes. A trial's figure is its p50;
// the row's figure is the median of those, and its p99 the median of the trials' p99s.
import { latencyHistogram, median, summarize } from './stats.mjs';

export class LatencyTrials {
  /** warmup / rounds: round trips of the warm-up / of a trial; warmupMs / trialMs: their time caps. */
  constructor({ warmup, rounds, trials, warmupMs, trialMs }) {
    this.limits = [{ rounds: warmup, ms: warmupMs }, ...Array.from({ length: trials }, () => ({ rounds, ms: trialMs }))];
    this.histograms = Array.from({ length: trials }, () => latencyHistogram());
    this.phase = 0; // 0: warm-up; 1..trials: the trials
    this.inPhase = 0;
    this.phaseStarted = performance.now();
  }

  /** Whether more round trips are wanted. */
  get running() {
    return this.phase < this.limits.length;
  }

  /** Records the round trip just made, of `ns` nanoseconds. */
  record(ns) {
    if (this.phase > 0) this.histograms[this.phase - 1].record(ns || 1);
    this.inPhase++;
    const limit = this.limits[this.phase];
    // The clock is read every 16 round trips: often enough for the cap, rarely enough not to matter.
    if (this.inPhase >= limit.rounds || ((this.inPhase & 15) === 0 && performance.now() - this.phaseStarted > limit.ms)) {
      this.phase++;
      this.inPhase = 0;
      this.phaseStarted = performance.now();
    }
  }

  /** { samples: p50 µs per trial, p99us: median of the trials' p99, p99Samples, roundsPerTrial }. */
  summary() {
    const trials = this.histograms.map((histogram) => summarize(histogram));
    const p99Samples = trials.map((trial) => trial.p99us);
    return { samples: trials.map((trial) => trial.p50us), p99us: median(p99Samples), p99Samples, roundsPerTrial: trials.map((trial) => trial.count) };
  }
}

/** Time caps of the warm-up and of a trial: 100 / 150 ms with --quick, 500 / 1,500 ms without. */
export function latencyCaps(quick) {
  return quick ? { warmupMs: 100, trialMs: 150 } : { warmupMs: 500, trialMs: 1500 };
}
