// The pool benchmark's tasks as a worker module of the shape shmkit's Pool, piscina and tinypool
// load: the default export is the handler, named exports are chosen with `{ name }`. The other
// pools' worker files register the same functions (pool-task-functions.cjs).
import { add, heavy } from './pool-task-functions.cjs';

export { add, heavy };
export default add;
