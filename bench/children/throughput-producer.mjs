// Sends messages of `size` bytes as fast as its transport allows for `seconds`, then an end
// marker. Transports: shmkit (SPSC channel, raw bytes), ipc-json / ipc-advanced
// (process.send), socket (a Unix domain socket, length-prefixed frames).
import net from 'node:net';
import { Channel } from '../../dist/index.js';
import { lineUp } from '../lib/processes.mjs';
import { Section } from '../../dist/index.js';

const [transport, size, seconds, target, lineup] = process.argv.slice(2);
const length = Number(size);
const payload = new Uint8Array(length).fill(7);
const section = Section.open(lineup);
const WAIT = { timeout: 60_000 };

async function run() {
  let end;
  const start = () => {
    lineUp(section);
    end = performance.now() + Number(seconds) * 1000;
  };
  if (transport === 'shmkit') {
    const channel = Channel.open(target, { codec: 'raw' });
    start();
    let sent = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        if (!channel.tryWrite(payload)) channel.writeSync(payload, WAIT);
      }
      sent += 64;
    }
    channel.writeSync(new Uint8Array(0), WAIT);
    channel.close();
    return sent;
  }
  if (transport === 'ipc-json' || transport === 'ipc-advanced') {
    const message = transport === 'ipc-json' ? 'x'.repeat(length) : Buffer.from(payload);
    start();
    let sent = 0;
    let outstanding = 0;
    let resume;
    const done = () => {
      outstanding--;
      if (resume && outstanding < 256) {
        const r = resume;
        resume = undefined;
        r();
      }
    };
    while (performance.now() < end) {
      outstanding++;
      process.send(message, done);
      sent++;
      if (outstanding >= 1024) await new Promise((resolve) => (resume = resolve));
    }
    await new Promise((resolve) => process.send('end', resolve));
    return sent;
  }
  if (transport === 'socket') {
    const socket = net.connect(target);
    await new Promise((resolve) => socket.once('connect', resolve));
    const frame = Buffer.alloc(4 + length);
    frame.writeUInt32LE(length, 0);
    frame.set(payload, 4);
    start();
    let sent = 0;
    while (performance.now() < end) {
      sent++;
      if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    const endFrame = Buffer.alloc(4);
    endFrame.writeUInt32LE(0xffffffff, 0);
    await new Promise((resolve) => socket.end(endFrame, resolve));
    return sent;
  }
  throw new Error(`unknown transport ${transport}`);
}

run().then(
  (sent) => {
    section.close();
    process.send({ sent }, () => process.disconnect());
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
