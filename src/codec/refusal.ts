/**
 * Refusals: why a value cannot be encoded, and where in the value the refused part is. An
 * encoder throws a Refusal from deep inside a value; each level on the way up adds its path
 * segment; the codec turns it into UnserializableValueError ("cannot encode value.users[0].at:
 * an instance of Point ...; nothing was written").
 */
import { UnserializableValueError } from '../errors.js';

/** A refusal on its way up; collects the path to the refused part of the value. */
export class Refusal extends Error {
  readonly path: string[] = [];
}

/** Adds `segment` in front of a Refusal's path; any other error passes unchanged. */
export function at(error: unknown, segment: string): unknown {
  if (error instanceof Refusal) error.path.unshift(segment);
  return error;
}

/** `.name` for identifier-like keys, `["any key"]` otherwise. */
export function formatKey(key: unknown): string {
  return typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

export function refusalError(refusal: Refusal): UnserializableValueError {
  const path = refusal.path.length > 12 ? [...refusal.path.slice(0, 8), '…', ...refusal.path.slice(-3)] : refusal.path;
  return new UnserializableValueError(`cannot encode value${path.join('')}: ${refusal.message}; nothing was written`);
}
