// The codec layer: values to bytes and back, for channels and the store alike (SPEC.md's layer
// table: codec/ imports only errors).
export * from './codec.js';
