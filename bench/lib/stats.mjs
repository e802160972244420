// The figures of a row: per-trial samples summarised as median and spread; latency
// histograms (perf_hooks, nanoseconds) for the round-trip rows.
import { createHistogram } from 'node:perf_hooks';

export function latencyHistogram() {
  return createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
}

/** p50 / p99 / mean in microseconds, from a perf_hooks histogram of nanoseconds. */
export function summarize(histogram) {
  return {
    count: histogram.count,
    p50us: histogram.percentile(50) / 1000,
    p99us: histogram.percentile(99) / 1000,
    meanUs: histogram.mean / 1000,
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A row's figure from its trials: the median (the middle trial: with 3 or 5 trials one slow or
 * fast outlier does not move it), the extremes, and max/min, how far apart the trials were.
 */
export function summarizeSamples(samples) {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  return { median: median(samples), min, max, spread: min > 0 ? max / min : Infinity };
}
