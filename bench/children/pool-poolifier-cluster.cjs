// The pool benchmark's tasks as a poolifier ClusterWorker, started by FixedClusterPool through
// node:cluster. CommonJS on purpose: as an ES module the worker registers its message listener
// only after its imports have loaded, and the pool's first message, sent when the worker comes
// online, is lost by then (seen with poolifier 5.3 on Node 20: the pool never ran a task).
'use strict';
const { ClusterWorker } = require('poolifier');
const { add, heavy } = require('./pool-task-functions.cjs');

module.exports = new ClusterWorker({ add, heavy });
