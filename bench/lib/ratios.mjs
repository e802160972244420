// Ratios of each shmkit row to the peers of its group, from the medians of this run: how many
// times better the shmkit row is (rate: shmkit / peer; latency and cpu, where lower is better:
// peer / shmkit). Above 1, shmkit is better; below 1, the peer is. A row with
// `best: { label, among }` also gets its ratio to the best of the peers named in `among`
// (the pool scenario: "vs the best process pool"), listed first.
const better = (metric, a, b) => (metric === 'rate' ? a.median > b.median : a.median < b.median);

export function ratios(row, rows) {
  if (row.kind !== 'shmkit') return [];
  const peers = rows.filter((other) => other.group === row.group && other.kind === 'peer' && other.metric === row.metric);
  const ratio = (peer) => (row.metric === 'rate' ? row.median / peer.median : peer.median / row.median);
  const listed = peers.map((peer) => ({ peer: peer.name, ratio: ratio(peer) }));
  const candidates = row.best ? peers.filter((peer) => row.best.among.includes(peer.name)) : [];
  if (candidates.length === 0) return listed;
  const best = candidates.reduce((a, b) => (better(row.metric, b, a) ? b : a));
  return [{ peer: `${row.best.label} (${best.name})`, ratio: ratio(best) }, ...listed];
}
