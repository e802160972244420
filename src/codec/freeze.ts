/**
 * Frozen values: a namespace hands one decoded value to many readers of this process, so it
 * freezes it deeply first (a reader that changed it would change it for the others).
 */
function refuseChange(): never {
  throw new TypeError('a value read from a namespace is frozen: copy it to change it (new Map(value), structuredClone(value), ...)');
}
const MUTATORS = new Map<object, string[]>([
  [Map.prototype, ['set', 'delete', 'clear']],
  [Set.prototype, ['add', 'delete', 'clear']],
  [Date.prototype, Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'))],
]);

/**
 * Deep-freezes a decoded value that will be handed to many readers: Object.freeze, and for
 * Map, Set and Date (whose contents freeze does not protect) own mutator methods that throw.
 * Binary values (typed arrays, ArrayBuffer, DataView, Buffer) cannot be frozen by JavaScript.
 */
export function freezeValue(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  const prototype = Object.getPrototypeOf(value) as object | null;
  const mutators = MUTATORS.get(prototype as object);
  if (mutators) for (const name of mutators) Object.defineProperty(value, name, { value: refuseChange });
  Object.freeze(value);
  if (prototype === Map.prototype) {
    for (const [key, item] of value as Map<unknown, unknown>) (freezeValue(key), freezeValue(item));
  } else if (prototype === Set.prototype) {
    for (const item of value as Set<unknown>) freezeValue(item);
  } else if (value instanceof Error) {
    freezeValue((value as { cause?: unknown }).cause);
    freezeValue((value as { errors?: unknown }).errors);
  }
  for (const key of Object.keys(value)) freezeValue(Object.getOwnPropertyDescriptor(value, key)!.value);
}
