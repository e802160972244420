/**
 * Argument checks shared by every layer. Each failure names the option the caller passed, so
 * the message alone says what to fix ("options.size must be a positive integer, got 1.5").
 */
import { InvalidArgTypeError, InvalidArgValueError, InvalidNameError, OutOfRangeError } from './errors.js';

export const MAX_NAME_LENGTH = 200;
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** Names of sections and of objects inside them: 1–200 of [A-Za-z0-9._-], not starting with '.'. */
export function validateName(name: unknown, label = 'name'): string {
  if (typeof name !== 'string') {
    throw new InvalidNameError(`${label} must be a string, got ${describe(name)}`);
  }
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(`${label} must be 1 to ${MAX_NAME_LENGTH} characters long, got ${name.length}`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidNameError(
      `${label} ${describe(name)} may only contain A-Z a-z 0-9 . _ - and must not start with '.'`,
    );
  }
  return name;
}

/** True if `text` is well-formed UTF-16 (no lone surrogates), so UTF-8 carries it unchanged. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

export function validateObject<T extends object>(value: unknown, label: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgTypeError(`${label} must be an object, got ${describe(value)}`);
  }
  return value as T;
}

/** Rejects keys the caller did not mean (a typo like `timout` must not pass silently). */
export function validateKnownKeys(options: object, known: readonly string[], label: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgValueError(`${label}.${key} is not a known option (known: ${known.join(', ')})`);
    }
  }
}

export function validateInteger(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new InvalidArgTypeError(`${label} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value)) {
    throw new OutOfRangeError(`${label} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new OutOfRangeError(`${label} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function validateBoolean(value: unknown, label: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgTypeError(`${label} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

export function validateString(value: unknown, label: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgTypeError(`${label} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.includes('\0')) {
    throw new InvalidArgValueError(`${label} must not contain NUL characters`);
  }
  return value;
}

/**
 * Timeouts in milliseconds: a finite number >= 0, or Infinity for "wait forever".
 * Returns Infinity when the caller passed nothing and no default is given.
 */
export function validateTimeout(value: unknown, label: string, fallback = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new InvalidArgTypeError(`${label} must be a number of milliseconds, got ${describe(value)}`);
  }
  if (Number.isNaN(value) || value < 0) {
    throw new OutOfRangeError(`${label} must be >= 0 milliseconds (or Infinity), got ${value}`);
  }
  return value;
}

export function validateAbortSignal(value: unknown, label: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as AbortSignal).aborted !== 'boolean' ||
    typeof (value as AbortSignal).addEventListener !== 'function'
  ) {
    throw new InvalidArgTypeError(`${label} must be an AbortSignal, got ${describe(value)}`);
  }
  return value as AbortSignal;
}
