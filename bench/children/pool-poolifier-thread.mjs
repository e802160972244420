// The pool benchmark's tasks as a poolifier ThreadWorker (named task functions).
import { ThreadWorker } from 'poolifier';
import { add, heavy } from './pool-task-functions.cjs';

export default new ThreadWorker({ add, heavy });
