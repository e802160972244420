/**
 * Task, result and control records (layouts in src/layout/pool.ts): little-endian words
 * written and read byte by byte into buffers the caller owns, so the hot path allocates only
 * the record itself.
 */
import { RESULT_HEADER_LENGTH, TASK_FLAG_NAMED, TASK_HEADER_LENGTH } from '../layout/pool.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

/** The bytes of a handler name in a task record (at most 255 bytes of UTF-8). */
export function encodeName(name: string): Uint8Array {
  return utf8.encode(name);
}

/** A task record: header, optional name, then `payload`. */
export function taskRecord(id: number, slot: number, flags: number, generation: number, deadline: number, name: Uint8Array | undefined, payload: Uint8Array): Uint8Array {
  const nameLength = name ? 1 + name.length : 0;
  const record = new Uint8Array(TASK_HEADER_LENGTH + nameLength + payload.length);
  writeU32(record, 0, id);
  record[4] = slot;
  record[5] = slot >>> 8;
  record[6] = flags | (name ? TASK_FLAG_NAMED : 0);
  record[7] = 0;
  writeU32(record, 8, generation);
  writeU32(record, 12, deadline);
  let at = TASK_HEADER_LENGTH;
  if (name) {
    record[at++] = name.length;
    record.set(name, at);
    at += name.length;
  }
  record.set(payload, at);
  return record;
}

/** Where the payload of a task record starts, and the handler name it names (or undefined). */
export function taskName(record: Uint8Array): { name: string | undefined; payloadAt: number } {
  if ((record[6]! & TASK_FLAG_NAMED) === 0) return { name: undefined, payloadAt: TASK_HEADER_LENGTH };
  const length = record[TASK_HEADER_LENGTH]!;
  const start = TASK_HEADER_LENGTH + 1;
  return { name: utf8Decoder.decode(record.subarray(start, start + length)), payloadAt: start + length };
}

/** Writes a result header at `at` of `bytes`. */
export function writeResultHeader(bytes: Uint8Array, at: number, id: number, status: number, generation: number, runMicros: number): void {
  writeU32(bytes, at, id);
  writeU32(bytes, at + 4, status);
  writeU32(bytes, at + 8, generation);
  writeU32(bytes, at + 12, runMicros);
}

/** A whole result record carrying `payload` (an error's JSON, or a copy of codec bytes). */
export function resultRecord(id: number, status: number, generation: number, runMicros: number, payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(RESULT_HEADER_LENGTH + payload.length);
  writeResultHeader(record, 0, id, status, generation, runMicros);
  record.set(payload, RESULT_HEADER_LENGTH);
  return record;
}

/** What crosses the result channel for a failed task. */
export interface ErrorDescription {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** An error as JSON bytes (name, message, code, stack), whatever was thrown. */
export function encodeError(error: unknown): Uint8Array {
  let described: ErrorDescription;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    described = { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  } else {
    described = { name: 'Error', message: `a non-Error value was thrown: ${safeString(error)}` };
  }
  return utf8.encode(JSON.stringify(described));
}

export function decodeError(bytes: Uint8Array): ErrorDescription {
  try {
    return JSON.parse(utf8Decoder.decode(bytes)) as ErrorDescription;
  } catch {
    return { name: 'Error', message: 'the worker sent an error that could not be read' };
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
