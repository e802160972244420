// The pool benchmark's tasks, registered the way workerpool's worker scripts do (thread and
// process workers alike load this file).
import workerpool from 'workerpool';
import { add, heavy } from './pool-task-functions.cjs';

workerpool.worker({ add, heavy });
