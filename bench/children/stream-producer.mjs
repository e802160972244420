// The sending side of the stream rows (channel-throughput, under-load, channel-paths): one
// process per transport, for many rounds. On each command from the parent it opens the
// round's channel if it changed, lines up with the parent on the Barrier, sends its payload
// for `ms`, then the end marker, and replies how many it sent (lib/stream-protocol.mjs).
//
// argv: transport, lineup section name. 'stop' or the IPC channel closing ends it.
import net from 'node:net';
import { Channel, Section } from '../../dist/index.js';
import { joinLineup } from '../lib/processes.mjs';
import { sampleObjects } from '../lib/samples.mjs';
import { BATCH, END, OBJECT_END, RAW_END, SOCKET_END, payloadBytes } from '../lib/stream-protocol.mjs';

const [transport, lineupName] = process.argv.slice(2);
const section = Section.open(lineupName);
const lineup = joinLineup(section);
const WAIT = { timeout: 60_000 };
const OBJECTS = sampleObjects(64);

let channel = null;
let channelTarget = null;
/** The round's channel, opened once per target (the parent makes one per message size). */
function channelFor(target, codec) {
  if (target !== channelTarget) {
    channel?.close();
    channel = Channel.open(target, codec ? { codec } : {});
    channelTarget = target;
  }
  return channel;
}

/** Lines up with the parent; returns when the round must stop sending. */
function start(ms) {
  lineup.wait();
  return performance.now() + ms;
}

/**
 * Hands a batch to a *Many call whose contract this file predates: it may return a promise,
 * a count of what it took (the rest is sent one by one with `sendOne`), or nothing (all taken).
 */
async function sendBatch(many, batch, sendOne) {
  let taken = many(batch);
  if (taken && typeof taken.then === 'function') taken = await taken;
  const count = typeof taken === 'number' ? taken : batch.length;
  for (let i = count; i < batch.length; i++) await sendOne(batch[i]);
}

const producers = {
  /** Batches: writeManySync of BATCH messages a call (one tail store per batch). */
  'spsc-batch'(round) {
    const ch = channelFor(round.target, 'raw');
    const batch = Array.from({ length: BATCH }, () => payloadBytes(round.size));
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      ch.writeManySync(batch, WAIT);
      sent += BATCH;
    }
    ch.writeSync(RAW_END, WAIT);
    return sent;
  },
  /** The fastest raw path: tryWrite, and writeSync when the ring is full. */
  'spsc-raw'(round) {
    const ch = channelFor(round.target, 'raw');
    const payload = payloadBytes(round.size);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) if (!ch.tryWrite(payload)) ch.writeSync(payload, WAIT);
      sent += 64;
    }
    ch.writeSync(RAW_END, WAIT);
    return sent;
  },
  /** What a user writes first: await channel.write(bytes). */
  async 'raw-async'(round) {
    const ch = channelFor(round.target, 'raw');
    const payload = payloadBytes(round.size);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) await ch.write(payload);
      sent += 16;
    }
    await ch.write(RAW_END);
    return sent;
  },
  async 'raw-many'(round) {
    const ch = channelFor(round.target, 'raw');
    const batch = Array.from({ length: BATCH }, () => payloadBytes(round.size));
    const many = (list) => ch.writeMany(list);
    const one = (bytes) => ch.write(bytes);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      await sendBatch(many, batch, one);
      sent += BATCH;
    }
    await ch.write(RAW_END);
    return sent;
  },
  async 'object-async'(round) {
    const ch = channelFor(round.target);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) await ch.send(OBJECTS[(sent + i) & 63]);
      sent += 16;
    }
    await ch.send(OBJECT_END);
    return sent;
  },
  /** trySend, and sendSync when the ring is full. */
  'object-try'(round) {
    const ch = channelFor(round.target);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        const value = OBJECTS[(sent + i) & 63];
        if (!ch.trySend(value)) ch.sendSync(value, WAIT);
      }
      sent += 64;
    }
    ch.sendSync(OBJECT_END, WAIT);
    return sent;
  },
  async 'object-many'(round) {
    const ch = channelFor(round.target);
    const batch = OBJECTS.slice(0, BATCH);
    const many = (list) => ch.sendMany(list);
    const one = (value) => ch.send(value);
    const end = start(round.ms);
    let sent = 0;
    while (performance.now() < end) {
      await sendBatch(many, batch, one);
      sent += BATCH;
    }
    await ch.send(OBJECT_END);
    return sent;
  },
  'ipc-json': (round) => ipc(round),
  'ipc-advanced': (round) => ipc(round),
  socket: (round) => socketRound(round),
};

/**
 * process.send with at most 1,024 sends in flight (send callbacks), resuming at 256: the
 * window keeps the IPC queue bounded. json sends a string of `size` characters (a Buffer
 * would become a JSON array of numbers); advanced sends a Buffer; objects go as they are.
 */
async function ipc(round) {
  const message = round.payload === 'object' ? null : transport === 'ipc-json' ? 'x'.repeat(round.size) : Buffer.from(payloadBytes(round.size));
  const end = start(round.ms);
  let sent = 0;
  let outstanding = 0;
  let resume;
  const done = () => {
    outstanding--;
    if (resume && outstanding < 256) {
      const go = resume;
      resume = undefined;
      go();
    }
  };
  while (performance.now() < end) {
    outstanding++;
    process.send(message ?? OBJECTS[sent & 63], done);
    sent++;
    if (outstanding >= 1024) await new Promise((resolve) => (resume = resolve));
  }
  await new Promise((resolve) => process.send(END, resolve));
  return sent;
}

let socket = null;
/** Length-prefixed frames over a Unix domain socket, waiting for 'drain' when the kernel is full. */
async function socketRound(round) {
  if (!socket) {
    socket = net.connect(round.target);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  }
  const frame = Buffer.alloc(4 + round.size);
  frame.writeUInt32LE(round.size, 0);
  frame.set(payloadBytes(round.size), 4);
  const end = start(round.ms);
  let sent = 0;
  while (performance.now() < end) {
    sent++;
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const endFrame = Buffer.alloc(4);
  endFrame.writeUInt32LE(SOCKET_END, 0);
  // The end frame must reach the kernel before the next lineup blocks this thread.
  await new Promise((resolve) => socket.write(endFrame, resolve));
  return sent;
}

function stop() {
  channel?.close();
  socket?.destroy();
  lineup.close();
  section.close();
  process.disconnect();
}

const producer = producers[transport];
if (!producer) throw new Error(`stream-producer: unknown transport ${transport}`);
process.on('disconnect', () => process.exit(0)); // the parent is gone or done
let chain = Promise.resolve();
process.on('message', (command) => {
  chain = chain
    .then(async () => {
      if (command === 'stop') return stop();
      const sent = await producer(command);
      process.send({ bench: 'sent', sent });
    })
    .catch((error) => {
      console.error(`stream-producer ${transport}:`, error);
      process.exit(1);
    });
});
process.send({ bench: 'ready' });
