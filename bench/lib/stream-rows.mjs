// Rows of messages per second for stream transports (channel-throughput, under-load,
// channel-paths). Every transport of a job is measured in the same run, in turns: a warm-up
// round on each, then `trials` rounds each, taken A B C, A B C, ... so that load arriving
// from elsewhere on the shared machine falls on every row of the group alike, and the ratios
// (from the medians) compare like with like.
import { rateRow } from './rows.mjs';
import { openStream } from './streams.mjs';

/** msg/s of each session for one job: [[trial rates of session 0], [of session 1], ...]. */
export async function ratesInTurns(sessions, job, { trials, warmupMs, trialMs }) {
  for (const session of sessions) await session.round({ ...job, ms: warmupMs });
  const samples = sessions.map(() => []);
  for (let trial = 0; trial < trials; trial++) {
    for (const [i, session] of sessions.entries()) {
      const { count, elapsedMs } = await session.round({ ...job, ms: trialMs });
      if (count === 0) throw new Error(`${session.transport}: a ${trialMs} ms round moved no message`);
      samples[i].push(count / (elapsedMs / 1000));
    }
  }
  return samples;
}

/**
 * jobs: [{ group, size, payload: 'bytes' | 'object', rows: [{ transport, name, kind }] }].
 * Opens one session per transport (for all jobs), measures each job's rows in turns, closes
 * the sessions whatever happens. `onSessions` runs once all are open (under-load starts its
 * hogs there, so that starting the producers is not slowed by them).
 */
export async function streamRows(jobs, { trials, warmupMs, trialMs, onSessions }) {
  const transports = [...new Set(jobs.flatMap((job) => job.rows.map((row) => row.transport)))];
  const opened = await Promise.allSettled(transports.map((transport) => openStream(transport)));
  const sessions = new Map();
  opened.forEach((outcome, i) => outcome.status === 'fulfilled' && sessions.set(transports[i], outcome.value));
  const rows = [];
  try {
    const failure = opened.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    await onSessions?.();
    for (const job of jobs) {
      const used = job.rows.map((row) => sessions.get(row.transport));
      const samples = await ratesInTurns(used, { size: job.size, payload: job.payload }, { trials, warmupMs, trialMs });
      job.rows.forEach((row, i) => rows.push(rateRow(job.group, row.name, row.kind, samples[i], { size: job.size, transport: row.transport })));
    }
    return rows;
  } finally {
    await Promise.allSettled([...sessions.values()].map((session) => session.close()));
  }
}

/** "64 B", "4 KiB", "1 MiB". */
export function sizeLabel(size) {
  if (size >= 1 << 20) return `${size / (1 << 20)} MiB`;
  if (size >= 1024) return `${size / 1024} KiB`;
  return `${size} B`;
}
