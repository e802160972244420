// Latency histograms (perf_hooks, nanoseconds) and their summary, shared by every scenario.
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
