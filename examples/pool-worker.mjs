// The worker module of examples/pool.mjs: the default export handles tasks; `slowSquare`
// shows a named handler that stops when its task is aborted or times out (ctx.signal).
import { setTimeout as sleep } from 'node:timers/promises';

export default function add({ a, b }) {
  return a + b;
}

export async function slowSquare(n, ctx) {
  await sleep(50, undefined, { signal: ctx.signal });
  ctx.namespace.increment('squares'); // the pool's namespace: shared with every process
  return n * n;
}
