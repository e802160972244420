// node bench/medians.mjs a.json b.json c.json: several runs of `npm run bench` (bench/out/*.json)
// side by side: per row the median of the runs' medians (min–max across runs), and per shmkit
// row the median ratio to each peer. ROWS=regex picks rows. The README's figures come from it.
import fs from 'node:fs';
const runs = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const key = (r) => `${r.group} | ${r.name}`;
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (v, unit) => unit === 'msg/s' || unit === 'op/s' || unit === 'ops/s' ? (v >= 1e6 ? (v / 1e6).toFixed(2) + ' M' : (v / 1e3).toFixed(1) + ' k') : v.toFixed(2);
const rows = new Map();
for (const run of runs) for (const r of run.rows) { if (!rows.has(key(r))) rows.set(key(r), []); rows.get(key(r)).push(r); }
const want = process.env.ROWS ? new RegExp(process.env.ROWS) : /./;
for (const [k, rs] of rows) {
  if (!want.test(k)) continue;
  const meds = rs.map((r) => r.median);
  let line = `${k}: ${fmt(med(meds), rs[0].unit)} (${fmt(Math.min(...meds), rs[0].unit)}–${fmt(Math.max(...meds), rs[0].unit)}) ${rs[0].unit}`;
  if (rs[0].ratios) {
    const peers = new Map();
    for (const r of rs) for (const p of r.ratios ?? []) { if (!peers.has(p.peer)) peers.set(p.peer, []); peers.get(p.peer).push(p.ratio); }
    line += '\n      ' + [...peers].map(([p, xs]) => `${med(xs).toFixed(2)}x ${p} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`).join('; ');
  }
  console.log(line);
}
console.log('load averages:', runs.map((r) => r.loadAverage.start.join('/')).join('  '), 'seconds:', runs.map((r) => r.seconds.toFixed(0)).join(' '));
