// Codecs side by side, in this process: encode + decode per second of the 165-byte sample
// object (lib/samples.mjs; 64 of them, in turn) for shmkit's own codec (msgpackCodec, what a
// channel or namespace uses by default), @msgpack/msgpack, msgpackr plain, msgpackr with record
// structures, JSON and v8.serialize. Each encoder and decoder is made once and reused, as a
// channel does. Timed loops, in turns (lib/micro.mjs). Each row says how many bytes its
// encoding of the sample takes, and whether the sample comes back equal, with its Date.
import { isDeepStrictEqual } from 'node:util';
import v8 from 'node:v8';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr } from 'msgpackr';
import { msgpackCodec } from '../../dist/index.js';
import { microTrials } from '../lib/micro.mjs';
import { rateRow } from '../lib/rows.mjs';
import { sampleObjects } from '../lib/samples.mjs';

export const family = 'codec';

function codecs() {
  const shmkit = msgpackCodec();
  const encoder = new Encoder();
  const decoder = new Decoder();
  const plain = new Packr({ useRecords: false });
  // Record structures: the structure list is kept in `structures` and shared by encode and
  // decode (one Packr for both, as a channel whose ends share the list would).
  const records = new Packr({ useRecords: true, structures: [] });
  return [
    { name: 'shmkit msgpackCodec()', kind: 'shmkit', encode: (v) => shmkit.encode(v), decode: (b) => shmkit.decode(b) },
    { name: '@msgpack/msgpack', kind: 'peer', encode: (v) => encoder.encode(v), decode: (b) => decoder.decode(b) },
    { name: 'msgpackr, plain', kind: 'peer', encode: (v) => plain.pack(v), decode: (b) => plain.unpack(b) },
    { name: 'msgpackr, records (useRecords + structures)', kind: 'peer', encode: (v) => records.pack(v), decode: (b) => records.unpack(b) },
    { name: 'JSON.stringify / parse', kind: 'peer', encode: (v) => JSON.stringify(v), decode: (s) => JSON.parse(s) },
    { name: 'v8.serialize / deserialize', kind: 'peer', encode: (v) => v8.serialize(v), decode: (b) => v8.deserialize(b) },
  ];
}

/** Bytes of the encoding (a steady-state one: records have sent their structure already). */
function describe(codec, objects) {
  codec.decode(codec.encode(objects[0]));
  const encoded = codec.encode(objects[1]);
  const bytes = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length;
  const back = codec.decode(encoded);
  const roundTrips = isDeepStrictEqual(back, objects[1]);
  const note = roundTrips ? '' : back.createdAt instanceof Date ? ', not equal back' : ', Date comes back a string';
  return { bytes, roundTrips, note };
}

export default async function run({ quick, trials }) {
  const timing = quick ? { warmupMs: 100, trialMs: 100 } : { warmupMs: 300, trialMs: 1000 };
  const objects = sampleObjects(64);
  const group = 'encode + decode of the 165 B sample object (1 process)';
  const entries = codecs().map((codec) => {
    const { bytes, roundTrips, note } = describe(codec, objects);
    let i = 0;
    return {
      ...codec,
      bytes,
      roundTrips,
      note,
      operation: () => codec.decode(codec.encode(objects[i++ & 63])),
    };
  });
  const measured = await microTrials(entries, { trials, ...timing });
  return entries.map((entry, i) => {
    return rateRow(group, `${entry.name} (${entry.bytes} B${entry.note})`, entry.kind, measured[i].samples, {
      unit: 'ops/s',
      encodedBytes: entry.bytes,
      roundTrips: entry.roundTrips,
    });
  });
}
