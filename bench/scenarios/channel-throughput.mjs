// Throughput between two processes by message size: shmkit's SPSC channel (raw bytes) next to
// process.send (json, advanced), worker postMessage, MessageChannel and a Unix domain socket,
// each moving the same messages for the same time in this run. The parent consumes.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Channel } from '../../dist/index.js';
import { CHILDREN, createLineup, lineUp, startChild } from '../lib/processes.mjs';

const SIZES = [16, 64, 1024, 4096, 65536, 1 << 20];

function rate(count, bytes, ms) {
  const seconds = ms / 1000;
  return { opsPerSec: count / seconds, gbPerSec: bytes / seconds / 1e9, messages: count };
}

async function shmkit(size, seconds) {
  const name = `bench-tp-${process.pid}`;
  const lineupName = `bench-tp-lineup-${process.pid}`;
  Channel.unlink(name);
  const channel = Channel.create(name, { capacity: size >= 65536 ? 1 << 23 : 1 << 21, kind: 'spsc', codec: 'raw' });
  const lineup = createLineup(lineupName, 2, 0);
  try {
    const producer = startChild('throughput-producer.mjs', ['shmkit', size, seconds, name, lineupName]);
    lineUp(lineup);
    const target = new Uint8Array(size);
    let count = 0;
    let started = 0;
    for (;;) {
      const length = channel.readIntoSync(target, { timeout: 60_000 });
      if (length === 0) break;
      if (count++ === 0) started = performance.now();
    }
    const elapsed = performance.now() - started;
    await producer.result();
    await producer.exit();
    return rate(count - 1, (count - 1) * size, elapsed);
  } finally {
    channel.close();
    Channel.unlink(name);
    lineup.close();
    lineup.unlink();
  }
}

async function ipc(serialization, size, seconds) {
  const lineupName = `bench-tp-lineup-${process.pid}`;
  const lineup = createLineup(lineupName, 2, 0);
  try {
    const producer = startChild('throughput-producer.mjs', [`ipc-${serialization}`, size, seconds, '-', lineupName], { serialization, collect: false });
    let count = 0;
    let started = 0;
    const finished = new Promise((resolve) => {
      producer.child.on('message', (message) => {
        if (message === 'end') resolve(performance.now());
        else if (typeof message === 'object' && message && 'sent' in message) return;
        else if (count++ === 0) started = performance.now();
      });
    });
    lineUp(lineup);
    const ended = await finished;
    await producer.exit();
    return rate(count - 1, (count - 1) * size, ended - started);
  } finally {
    lineup.close();
    lineup.unlink();
  }
}

async function socket(size, seconds) {
  const lineupName = `bench-tp-lineup-${process.pid}`;
  const lineup = createLineup(lineupName, 2, 0);
  const socketPath = path.join(os.tmpdir(), `shmkit-bench-${process.pid}.sock`);
  fs.rmSync(socketPath, { force: true });
  let count = 0;
  let started = 0;
  let resolveEnd;
  const ended = new Promise((resolve) => (resolveEnd = resolve));
  const server = net.createServer((connection) => {
    let pending = Buffer.alloc(0);
    connection.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (pending.length - at >= 4) {
        const length = pending.readUInt32LE(at);
        if (length === 0xffffffff) return resolveEnd(performance.now());
        if (pending.length - at < 4 + length) break;
        if (count++ === 0) started = performance.now();
        at += 4 + length;
      }
      pending = pending.subarray(at);
    });
  });
  await new Promise((resolve) => server.listen(socketPath, resolve));
  try {
    const producer = startChild('throughput-producer.mjs', ['socket', size, seconds, socketPath, lineupName]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    lineUp(lineup);
    const end = await ended;
    await producer.exit();
    return rate(count - 1, (count - 1) * size, end - started);
  } finally {
    server.close();
    fs.rmSync(socketPath, { force: true });
    lineup.close();
    lineup.unlink();
  }
}

async function worker(viaChannel, size, seconds) {
  let port;
  let transferList = [];
  let local;
  if (viaChannel) {
    const pair = new MessageChannel();
    port = pair.port2;
    local = pair.port1;
    transferList = [port];
  }
  const thread = new Worker(path.join(CHILDREN, 'throughput-worker.mjs'), { workerData: { size, seconds, port }, transferList });
  const source = local ?? thread;
  let count = 0;
  let started = 0;
  const ended = new Promise((resolve) => {
    source.on('message', (message) => {
      if (message === 'ready') return source.postMessage('go');
      if (message === 'end') return resolve(performance.now());
      if (count++ === 0) started = performance.now();
      if ((count & 63) === 0) source.postMessage(count);
    });
  });
  const end = await ended;
  await thread.terminate();
  local?.close();
  return rate(count - 1, (count - 1) * size, end - started);
}

export default async function run({ quick }) {
  const seconds = quick ? 0.3 : 1;
  const rows = [];
  for (const size of SIZES) {
    const group = `throughput, ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} messages (2 processes)`;
    const add = (name, kind, measured) => rows.push({ group, name, kind, size, ...measured });
    add('shmkit Channel (SPSC, raw bytes)', 'shmkit', await shmkit(size, seconds));
    add('process.send (json)', 'peer', await ipc('json', size, seconds));
    add('process.send (advanced)', 'peer', await ipc('advanced', size, seconds));
    add('worker postMessage (thread)', 'peer', await worker(false, size, seconds));
    add('MessageChannel (thread)', 'peer', await worker(true, size, seconds));
    add('Unix domain socket', 'peer', await socket(size, seconds));
  }
  return rows;
}
