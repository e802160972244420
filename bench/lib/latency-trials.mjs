// Round-trip latencies split into trials: the first `warmup` round trips are not recorded,
// then each run of `rounds` round trips fills one trial's histogram. A trial's figure is its
// p50; the row's figure is the median of those, and its p99 the median of the trials' p99s.
import { latencyHistogram, median, summarize } from './stats.mjs';

export class LatencyTrials {
  constructor({ warmup, rounds, trials }) {
    this.warmup = warmup;
    this.rounds = rounds;
    this.total = warmup + rounds * trials;
    this.histograms = Array.from({ length: trials }, () => latencyHistogram());
  }

  /** Records round trip `i` (0 .. total-1) of `ns` nanoseconds. */
  record(i, ns) {
    if (i >= this.warmup) this.histograms[Math.floor((i - this.warmup) / this.rounds)].record(ns || 1);
  }

  /** { samples: p50 µs per trial, p99us: median of the trials' p99, p99Samples }. */
  summary() {
    const trials = this.histograms.map((histogram) => summarize(histogram));
    const p99Samples = trials.map((trial) => trial.p99us);
    return { samples: trials.map((trial) => trial.p50us), p99us: median(p99Samples), p99Samples, roundsPerTrial: this.rounds };
  }
}
