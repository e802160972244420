// One child of the hand-written fork + process.send pool (lib/fork-pool.mjs): each message
// { id, name, task } is answered with { id, result } or { id, error }. Ends when the parent
// disconnects or goes away.
import { add, heavy } from './pool-task-functions.cjs';

const HANDLERS = { add, heavy };

process.on('message', ({ id, name, task }) => {
  try {
    process.send({ id, result: HANDLERS[name](task) });
  } catch (error) {
    process.send({ id, error: String(error?.message ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send('ready');
