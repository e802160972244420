// The receiving side of the stream rows, in this process: one session per transport, kept for
// many rounds (one producer process or thread per session, not one per round: starting Node
// and loading shmkit costs ~0.3 s). A round sends the command, lines up with the producer,
// counts what arrives from the moment both leave the lineup to the end marker, and checks the
// count against what the producer says it sent. Timing from the lineup, not from the first
// message, keeps a slow transport honest (a round in which one 1 MiB message takes 150 ms to
// cross still counts it) and counts nothing sent before the clock started.
// See lib/stream-protocol.mjs for the protocol.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { atExit } from './cleanup.mjs';
import { benchName, CHILDREN, createChannel, createLineup, joinLineup, removeChannel, removeLineup, startChild } from './processes.mjs';
import { BATCH, isControl, OBJECT_END, ringCapacity, SOCKET_END } from './stream-protocol.mjs';

const WAIT = { timeout: 60_000 };

/** What one round measured: messages, and the time from the lineup to the end marker. */
function measured(count, started) {
  return { count, elapsedMs: performance.now() - started };
}

/** Receivers of the shmkit transports: each reads one round from `channel` up to its end marker. */
const shmkitReceivers = {
  /** Zero copy: pollSync hands every message there to the handler in place. */
  'spsc-batch'(channel) {
    let count = 0;
    let ended = false;
    const onMessage = (bytes, offset, length) => {
      if (length === 0) ended = true;
      else if (!ended) count++;
    };
    const started = performance.now();
    while (!ended) channel.pollSync(onMessage, Infinity, WAIT);
    return measured(count, started);
  },
  'spsc-raw'(channel, size) {
    const target = new Uint8Array(size);
    let count = 0;
    const started = performance.now();
    for (;;) {
      const length = channel.readIntoSync(target, WAIT);
      if (length === 0) break;
      count++;
    }
    return measured(count, started);
  },
  async 'raw-async'(channel) {
    let count = 0;
    const started = performance.now();
    for (;;) {
      const bytes = await channel.read();
      if (bytes.length === 0) break;
      count++;
    }
    return measured(count, started);
  },
  async 'raw-many'(channel) {
    let count = 0;
    const started = performance.now();
    for (;;) {
      let list = await channel.readMany(BATCH);
      if (list.length === 0) list = [await channel.read()];
      const endAt = list.findIndex((bytes) => bytes.length === 0);
      count += endAt < 0 ? list.length : endAt;
      if (endAt >= 0) break;
    }
    return measured(count, started);
  },
  async 'object-async'(channel) {
    let count = 0;
    const started = performance.now();
    for await (const value of channel) {
      if (value === OBJECT_END) break;
      count++;
    }
    return measured(count, started);
  },
  'object-try'(channel) {
    let count = 0;
    const started = performance.now();
    for (;;) {
      const got = channel.tryReceive();
      const value = got === undefined ? channel.receiveSync(WAIT) : got.value;
      if (value === OBJECT_END) break;
      count++;
    }
    return measured(count, started);
  },
  async 'object-many'(channel) {
    let count = 0;
    const started = performance.now();
    for (;;) {
      let list = await channel.receiveMany(BATCH);
      if (list.length === 0) list = [await channel.receive()];
      const endAt = list.indexOf(OBJECT_END);
      count += endAt < 0 ? list.length : endAt;
      if (endAt >= 0) break;
    }
    return measured(count, started);
  },
};

export const SHMKIT_TRANSPORTS = Object.keys(shmkitReceivers);

/**
 * Opens a session for `transport`: one of SHMKIT_TRANSPORTS, 'ipc-json', 'ipc-advanced',
 * 'socket', 'worker' or 'message-channel'. Resolves once its producer is ready.
 * session.round({ size, payload, ms }) -> { count, elapsedMs }; session.close().
 */
export async function openStream(transport) {
  if (transport === 'worker' || transport === 'message-channel') return openWorkerStream(transport === 'message-channel');
  return openForkedStream(transport);
}

async function openForkedStream(transport) {
  const lineupName = benchName('stream-lineup');
  const section = createLineup(lineupName, 2, 0);
  const lineup = joinLineup(section);
  const serialization = transport === 'ipc-advanced' ? 'advanced' : 'json';
  const producer = startChild('stream-producer.mjs', [transport, lineupName], { collect: false, serialization });
  const { child } = producer;

  // Routing of what the producer sends: replies, and for process.send the payload and END.
  const replies = [];
  const replyWaiters = [];
  let ipcRound = null;
  child.on('message', (message) => {
    if (isControl(message) && message.bench !== 'end') {
      if (replyWaiters.length > 0) replyWaiters.shift().resolve(message);
      else replies.push(message);
    } else if (ipcRound) ipcRound.receive(message);
  });
  const reply = () =>
    replies.length > 0
      ? Promise.resolve(replies.shift())
      : new Promise((resolve, reject) => {
          const waiter = { resolve, reject };
          replyWaiters.push(waiter);
        });
  child.once('close', (code, signal) => {
    const error = new Error(`stream-producer ${transport} exited (${code ?? signal})`);
    for (const waiter of replyWaiters.splice(0)) waiter.reject(error);
    ipcRound?.fail(error);
  });
  await reply(); // ready

  let channel = null;
  let channelName = null;
  let channelKey = null;
  let retired = null; // the previous size's channel, removed once the producer has let go of it
  let server = null;
  let socketPath = null;
  let socketRound = null;

  /** The channel for this size and payload: one per size, kept for its rounds. */
  function channelFor(size, payload) {
    const key = `${payload}:${size}`;
    if (key !== channelKey) {
      if (channel) retired = { channel, name: channelName };
      channelName = benchName('stream');
      const raw = payload === 'bytes';
      channel = createChannel(channelName, { capacity: raw ? ringCapacity(size) : 1 << 20, kind: 'spsc', ...(raw ? { codec: 'raw' } : {}) });
      channelKey = key;
    }
    return channelName;
  }

  async function listen() {
    socketPath = path.join(os.tmpdir(), `${benchName('sock')}.sock`);
    atExit(() => fs.rmSync(socketPath, { force: true }));
    // Frames are parsed as they come, each body copied once into a frame buffer (as a
    // consumer that wants whole messages must, and as readIntoSync copies out of the ring);
    // no chunk is concatenated to another, which would copy a 1 MiB frame many times over.
    server = net.createServer((connection) => {
      const header = Buffer.alloc(4);
      let headerFilled = 0;
      let frame = Buffer.alloc(0);
      let bodyFilled = 0;
      let bodyLength = -1; // -1: reading a header
      connection.on('data', (chunk) => {
        let at = 0;
        while (at < chunk.length) {
          if (bodyLength < 0) {
            const take = Math.min(4 - headerFilled, chunk.length - at);
            chunk.copy(header, headerFilled, at, at + take);
            headerFilled += take;
            at += take;
            if (headerFilled < 4) break;
            headerFilled = 0;
            const length = header.readUInt32LE(0);
            if (length === SOCKET_END) {
              socketRound?.end();
              continue;
            }
            if (frame.length < length) frame = Buffer.alloc(length);
            bodyLength = length;
            bodyFilled = 0;
          }
          const take = Math.min(bodyLength - bodyFilled, chunk.length - at);
          chunk.copy(frame, bodyFilled, at, at + take);
          bodyFilled += take;
          at += take;
          if (bodyFilled === bodyLength) {
            bodyLength = -1;
            socketRound?.receive();
          }
        }
      });
    });
    await new Promise((resolve) => server.listen(socketPath, resolve));
  }

  /**
   * A round counted by events (process.send or socket): begin() when the lineup opens; `done`
   * resolves at the end marker. (Nothing arrives before begin(): the producer is lined up too.)
   */
  function countedRound() {
    let count = 0;
    let started = 0;
    let settle;
    const done = new Promise((resolve, reject) => (settle = { resolve, reject }));
    return {
      done,
      begin: () => (started = performance.now()),
      receive(message) {
        if (message !== undefined && isControl(message)) return settle.resolve(measured(count, started));
        count++;
      },
      end: () => settle.resolve(measured(count, started)),
      fail: (error) => settle.reject(error),
    };
  }

  return {
    transport,
    async round({ size, payload, ms }) {
      const command = { size, payload, ms, target: null };
      let result;
      if (transport in shmkitReceivers) {
        command.target = channelFor(size, payload);
        await new Promise((resolve) => child.send(command, resolve));
        lineup.wait();
        result = await shmkitReceivers[transport](channel, size);
      } else if (transport === 'socket') {
        if (!server) await listen();
        command.target = socketPath;
        socketRound = countedRound();
        await new Promise((resolve) => child.send(command, resolve));
        lineup.wait();
        socketRound.begin();
        result = await socketRound.done;
        socketRound = null;
      } else {
        ipcRound = countedRound();
        await new Promise((resolve) => child.send(command, resolve));
        lineup.wait();
        ipcRound.begin();
        result = await ipcRound.done;
        ipcRound = null;
      }
      const { sent } = await reply();
      if (retired) {
        removeChannel(retired.channel, retired.name); // the producer has moved to the new one
        retired = null;
      }
      if (sent !== result.count) throw new Error(`${transport}: ${sent} sent, ${result.count} received`);
      return result;
    },
    async close() {
      if (child.connected) child.send('stop');
      await producer.exit(10_000);
      if (retired) removeChannel(retired.channel, retired.name);
      if (channel) removeChannel(channel, channelName);
      lineup.close();
      removeLineup(section);
      if (server) {
        server.close();
        fs.rmSync(socketPath, { force: true });
      }
    },
  };
}

async function openWorkerStream(viaMessageChannel) {
  let port;
  let local;
  if (viaMessageChannel) {
    const pair = new MessageChannel();
    port = pair.port2;
    local = pair.port1;
  }
  const thread = new Worker(path.join(CHILDREN, 'stream-worker.mjs'), { workerData: { port }, transferList: port ? [port] : [] });
  const source = local ?? thread;
  let round = null;
  let readyResolve;
  const ready = new Promise((resolve) => (readyResolve = resolve));
  let replyResolve;
  source.on('message', (message) => {
    if (isControl(message)) {
      if (message.bench === 'ready') return readyResolve();
      if (message.bench === 'end') return round.end(measured(round.count, round.started));
      if (message.bench === 'sent') return replyResolve(message);
    }
    if ((++round.count & 63) === 0) source.postMessage(round.count);
  });
  const failed = new Promise((resolve, reject) => thread.once('error', reject));
  failed.catch(() => {});
  await Promise.race([ready, failed]);
  return {
    transport: viaMessageChannel ? 'message-channel' : 'worker',
    // No lineup for a thread: the clock starts when the command is posted.
    async round({ size, ms }) {
      const ended = new Promise((resolve) => (round = { count: 0, started: performance.now(), end: resolve }));
      const replied = new Promise((resolve) => (replyResolve = resolve));
      source.postMessage({ size, ms });
      const result = await Promise.race([ended, failed]);
      const { sent } = await Promise.race([replied, failed]);
      if (sent !== round.count) throw new Error(`worker postMessage: ${sent} sent, ${round.count} received`);
      return result;
    },
    async close() {
      source.postMessage('stop');
      await thread.terminate();
      local?.close();
    },
  };
}
