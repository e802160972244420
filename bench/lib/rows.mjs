// The rows scenarios return. A measured row carries its per-trial samples and their summary
// (median, min, max, spread = max/min); `metric` says which way is better. The report adds the
// scenario and family, and the ratios to peers.
//
// kind: 'shmkit' (a shmkit path, compared with every peer of its group), 'peer' (what a Node
// user would use instead), 'info' (a figure without ratios), 'skipped' (not measured: reason).
import { summarizeSamples } from './stats.mjs';

/** A rate (higher is better): `samples` per second, one per trial; unit 'msg/s' or 'ops/s'. */
export function rateRow(group, name, kind, samples, extra = {}) {
  return { group, name, kind, metric: 'rate', unit: 'msg/s', ...extra, samples, ...summarizeSamples(samples) };
}

/** A latency (lower is better): `samples` in µs, one per trial (each trial's p50). */
export function latencyRow(group, name, kind, samples, extra = {}) {
  return { group, name, kind, metric: 'latency', unit: 'µs', ...extra, samples, ...summarizeSamples(samples) };
}

/** A row that was not measured, and why (printed, kept in the JSON, drawn as a note). */
export function skippedRow(group, name, reason) {
  return { group, name, kind: 'skipped', reason };
}
