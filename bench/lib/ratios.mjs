// Ratios of each shmkit row to the peers of its group, from the medians of this run: how many
// times better the shmkit row is (rate: shmkit / peer; latency: peer / shmkit). Above 1,
// shmkit is better; below 1, the peer is.
export function ratios(row, rows) {
  if (row.kind !== 'shmkit') return [];
  return rows
    .filter((other) => other.group === row.group && other.kind === 'peer' && other.metric === row.metric)
    .map((peer) => ({
      peer: peer.name,
      ratio: row.metric === 'latency' ? peer.median / row.median : row.median / peer.median,
    }));
}
