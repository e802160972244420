// Growth under Wine (issue 13, point 3): a namespace opened without size options reserves
// 1 GiB with SEC_RESERVE and commits as it fills (VirtualAlloc MEM_COMMIT through the
// grower's view). Pages committed by one process must be usable through every other
// process's view, including views mapped before the growth, without those processes
// committing anything themselves.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Namespace, Section } from '../../dist/index.js';
import { closeAfter, scratchDir, startChild, test, uniqueName } from './harness.mjs';
import { committedInView } from './view-state.mjs';

const MiB = 1 << 20;
const VALUE_BYTES = 4096;
const COUNT = 2560; // 10 MiB of values per writer

const peer = (config) => startChild('wine/fixtures/grow-peer.mjs', [JSON.stringify(config)]);

async function outcomeOf(child, timeoutMs = 120_000) {
  const outcome = await child.message(timeoutMs);
  assert.equal(outcome.ok, true, outcome.error);
  await child.exit();
  return outcome;
}

test('growth across processes: A fills 10 MiB, B (mapped before) reads it all and writes 10 MiB more', async () => {
  const name = uniqueName('grow');
  const ns = closeAfter(Namespace.open(name)); // no size options: growable
  assert.equal(Section.growable, true);
  assert.equal(ns.section.size >= 1024 * MiB - 64 * 1024, true, `reserve ${ns.section.size}`);
  const fresh = ns.section.committed;
  assert.ok(fresh < 256 * 1024, `a fresh namespace commits ${fresh} bytes`);
  // B opens now and waits: its view is mapped while little is committed.
  const b = peer({
    name, waitGo: true,
    steps: [{ check: { prefix: 'a', count: COUNT, id: 1, valueBytes: VALUE_BYTES } }, { fill: { prefix: 'b', count: COUNT, id: 2, valueBytes: VALUE_BYTES } }],
  });
  const opened = await b.message(30_000);
  assert.equal(opened.opened, true);
  assert.ok(opened.committed < 256 * 1024, `B opened at ${opened.committed} committed bytes`);
  // B maps the whole reserve, committed or not (Section.mappedBy counts both parts of the view).
  const mapped = Section.mappedBy(b.pid).find((row) => row.name === name);
  assert.ok(mapped && mapped.mappedBytes >= ns.section.size, JSON.stringify(mapped));
  const a = peer({ name, steps: [{ fill: { prefix: 'a', count: COUNT, id: 1, valueBytes: VALUE_BYTES } }] });
  assert.equal((await a.message(30_000)).opened, true);
  const filled = await outcomeOf(a);
  assert.equal(filled.written, COUNT);
  assert.equal(filled.refused, null);
  assert.ok(filled.committed >= 10 * MiB, `A left ${filled.committed} committed`);
  b.process.send('go');
  const second = await outcomeOf(b);
  // B's view, mapped before A grew and never committed by B, reports A's commits as its own.
  assert.ok(second.viewCommitted[0] > filled.committed, `B's view: ${second.viewCommitted[0]} committed after A's ${filled.committed}`);
  assert.equal(second.checked, COUNT);
  assert.equal(second.written, COUNT);
  assert.ok(second.committed >= 20 * MiB, `B left ${second.committed} committed`);
  // This process mapped the section first of all and committed nothing since.
  assert.equal(ns.section.committed, second.committed);
  assert.ok(committedInView(ns.section.mapping) > second.committed, 'the creator\'s view reports B\'s commits');
  for (const [prefix, id] of [['a', 1], ['b', 2]]) {
    for (let n = 0; n < COUNT; n += 97) assert.equal(ns.get(`${prefix}${n}`)[0], (n * 31 + id) & 255, `${prefix}${n}`);
  }
  ns.set('last', 'written by the creator over the grown heap');
  ns.verify();
  // A late opener maps a section 20 MiB of which is committed: its size check (VirtualQuery
  // of the committed prefix) must agree with the header.
  const late = peer({ name, steps: [{ check: { prefix: 'b', count: COUNT, id: 2, valueBytes: VALUE_BYTES } }] });
  assert.equal((await late.message(30_000)).committed, second.committed);
  assert.equal((await outcomeOf(late)).checked, COUNT);
}, 300_000);

test('a commit the paging file cannot back is NoSpaceError at grow time, and the namespace goes on', async () => {
  const name = uniqueName('nospace');
  const ns = closeAfter(Namespace.open(name));
  // Wine commits without limit: the child fails its commits through the test hook
  // (SHMKIT_TEST_GROW_WINERROR=1455, ERROR_COMMITMENT_LIMIT), inherited by fork.
  process.env.SHMKIT_TEST_GROW_WINERROR = '1455';
  let child;
  try {
    child = peer({ name, steps: [{ fill: { prefix: 'x', count: COUNT, id: 3, valueBytes: VALUE_BYTES } }] });
  } finally {
    delete process.env.SHMKIT_TEST_GROW_WINERROR;
  }
  assert.equal((await child.message(30_000)).opened, true);
  const outcome = await outcomeOf(child);
  assert.equal(outcome.refused, 'ERR_SHMKIT_NO_SPACE');
  assert.ok(outcome.written > 0 && outcome.written < COUNT, `wrote ${outcome.written} before the refusal`);
  // The refused write left nothing behind; this process (no hook) grows past it.
  assert.equal(ns.get(`x${outcome.written}`), undefined);
  for (let n = 0; n < 2 * outcome.written + 64; n++) ns.set(`y${n}`, new Uint8Array(VALUE_BYTES).fill(7));
  assert.ok(ns.section.committed > outcome.committed);
  ns.verify();
}, 180_000);

test('a file-backed namespace without size options: the file holds the whole reserve, growth is the header', async () => {
  const file = path.join(scratchDir(), 'grow.shm');
  const name = uniqueName('growfile');
  const ns = closeAfter(Namespace.open(name, { file }));
  const fresh = ns.section.committed;
  const child = peer({ name, file, steps: [{ fill: { prefix: 'f', count: 1024, id: 4, valueBytes: VALUE_BYTES } }] });
  assert.equal((await child.message(30_000)).opened, true);
  const outcome = await outcomeOf(child);
  assert.equal(outcome.written, 1024);
  assert.ok(outcome.committed > fresh && ns.section.committed === outcome.committed);
  assert.equal(ns.get('f1023')[0], (1023 * 31 + 4) & 255);
  ns.verify();
}, 180_000);
