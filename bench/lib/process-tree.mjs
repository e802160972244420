// This process's descendants and the CPU time they use, read from /proc (Linux), for the pool
// benchmark: the idle-CPU rows add the children's time to this process's own cpuUsage(), and
// clean-up makes sure no pool leaves a child behind. Off Linux there are no descendants to see.
import fs from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parens). */
function statFields(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The pids of every live descendant of `root` (default: this process), children first. */
export function descendants(root = process.pid) {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const childrenOf = new Map();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(entry)[1]); // state, ppid, ...
      if (!childrenOf.has(ppid)) childrenOf.set(ppid, []);
      childrenOf.get(ppid).push(Number(entry));
    } catch {
      // gone between readdir and read
    }
  }
  const found = [];
  const next = [root];
  while (next.length > 0) {
    for (const child of childrenOf.get(next.shift()) ?? []) {
      found.push(child);
      next.push(child);
    }
  }
  return found;
}

/**
 * CPU time of process `pid`, all its threads, in nanoseconds; null if it is gone. The
 * scheduler's per-thread counters (schedstat, ns) are used where the kernel has them: the
 * clock ticks of /proc/<pid>/stat (10 ms) are too coarse for an idle process over a second.
 */
export function cpuNanos(pid) {
  try {
    let total = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return total;
  } catch {
    try {
      const fields = statFields(pid); // utime and stime are fields 14 and 15 of the whole line
      return ((Number(fields[11]) + Number(fields[12])) * 1e9) / CLOCK_TICKS;
    } catch {
      return null;
    }
  }
}

/**
 * CPU time used by this process (every thread) and by `pids` over `ms` of idling, in
 * nanoseconds, with the nanoseconds that passed. The children are read outside the window (before
 * it starts, after it ends: reading /proc costs this process CPU, and the children, idle, do not
 * move meanwhile); this process's own time is read at the window's edges.
 */
export async function cpuOver(pids, ms) {
  const childrenBefore = pids.map(cpuNanos);
  const ownBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const own = process.cpuUsage(ownBefore);
  const elapsed = Number(process.hrtime.bigint() - started);
  const childrenAfter = pids.map(cpuNanos);
  let nanos = (own.user + own.system) * 1000;
  for (let i = 0; i < pids.length; i++) {
    if (childrenBefore[i] === null || childrenAfter[i] === null) throw new Error(`child process ${pids[i]} went away during the window`);
    nanos += childrenAfter[i] - childrenBefore[i];
  }
  return { nanos, elapsed };
}

/** SIGKILLs every live descendant of this process but `keep`'s; returns the pids signalled. */
export function killDescendants(keep = new Set()) {
  const killed = [];
  for (const pid of descendants().reverse()) {
    if (keep.has(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  return killed;
}
