// The pool benchmark's task functions, written once and loaded by every pool's worker file.
// CommonJS so that both kinds of worker file can load them: the ESM ones (pool-tasks.mjs and
// the rest) import it, and poolifier's cluster worker, which must be CommonJS
// (pool-poolifier-cluster.cjs says why), requires it.
'use strict';

/** The tiny task: what a pool costs per task when the task itself costs nothing. */
exports.add = function add({ a, b }) {
  return a + b;
};

/**
 * The CPU-heavy task: about 5 ms of integer arithmetic on the 2-core bench machine for the input
 * the scenario sends ({ iterations: 1_000_000, seed: 7 }). No allocation, no I/O: next to it
 * the pool's own cost should vanish.
 */
exports.heavy = function heavy({ iterations, seed }) {
  let x = seed;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
  return x;
};
