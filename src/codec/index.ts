// The codec layer: values to bytes and back, for channels and the store alike (SPEC.md's layer
// table: codec/ imports only errors). The value rules and the wire format are described at the
// top of msgpack-codec.ts; docs/decisions.md ("Codec (issue 11)") says why it is built so.
export type { Codec, CodecOption } from './codec-types.js';
export { msgpackCodec, type MsgpackCodecOptions } from './msgpack-codec.js';
export { msgpackJavascriptCodec } from './msgpack-javascript-codec.js';
export { rawCodec } from './raw.js';
export { resolveCodec, encodeValue } from './resolve.js';
export { freezeValue } from './freeze.js';
export { VALUE_RULES, MAX_DEPTH, type ValueRule } from './value-rules.js';
export type { Structure, StructureStore } from './structure-store.js';
export { MAX_SHARED_STRUCTURES, MAX_RECORD_KEYS } from './records-format.js';
