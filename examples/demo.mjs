// npm run demo: two processes share one section. The parent writes a greeting, a forked child
// opens the section by name and prints what it sees, answers, and both count to a million on
// one shared word with Atomics.add: the total is exact because the memory is truly shared.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Section } from '../dist/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const COUNT = 1_000_000;

function readText(bytes, offset) {
  const end = bytes.indexOf(0, offset);
  return decoder.decode(bytes.subarray(offset, end));
}

if (process.argv[2] === 'child') {
  const section = Section.open(process.argv[3]);
  const bytes = new Uint8Array(section.buffer);
  console.log(`[child  ${process.pid}] opened '${section.name}' (${section.size} bytes) and read: "${readText(bytes, 8)}"`);
  bytes.set(encoder.encode(`hello back from pid ${process.pid}`), 128);
  const counter = new Int32Array(section.buffer, 0, 1);
  for (let i = 0; i < COUNT; i++) Atomics.add(counter, 0, 1);
  section.close();
} else {
  const name = `demo-${process.pid}`;
  const section = Section.create(name, { size: 4096 });
  try {
    const bytes = new Uint8Array(section.buffer);
    bytes.set(encoder.encode(`hello from pid ${process.pid}`), 8);
    console.log(`[parent ${process.pid}] created section '${name}' and wrote a greeting`);
    const child = fork(fileURLToPath(import.meta.url), ['child', name]);
    const counter = new Int32Array(section.buffer, 0, 1);
    for (let i = 0; i < COUNT; i++) Atomics.add(counter, 0, 1);
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`child exited with ${code}`);
    console.log(`[parent ${process.pid}] the child answered: "${readText(bytes, 128)}"`);
    console.log(`[parent ${process.pid}] shared counter: ${Atomics.load(counter, 0)} (2 processes x ${COUNT} Atomics.add)`);
    const info = Section.list().find((entry) => entry.name === name);
    console.log(`[parent ${process.pid}] Section.list():`, { size: info.size, kind: info.kind, attachedPids: info.attachedPids, stale: info.stale });
  } finally {
    section.close();
    Section.unlink(name);
  }
}
