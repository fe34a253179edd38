/** The values a DHT key can hold, as the legacy nodes allow them on the wire. */
export type DhtValue = string | number | boolean | Uint8Array;

/** Raised for a value the DHT cannot hold (wrong type or too large); nothing is stored. */
export class InvalidValueError extends TypeError {
  override name = "InvalidValueError";
}

/** True for a value of one of the four wire types (finite numbers only). */
export function isDhtValue(value: unknown): value is DhtValue {
  return typeof value === "string" || typeof value === "boolean" || value instanceof Uint8Array ||
    (typeof value === "number" && Number.isFinite(value));
}

/**
 * Turns what a caller wants to store into a wire value: objects and arrays become JSON strings, as legacy nodes
 * store them. @throws {InvalidValueError} for null, undefined, functions, non-finite numbers and the like
 */
export function toDhtValue(value: unknown): DhtValue {
  if (isDhtValue(value)) return value;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  throw new InvalidValueError(
    `Cannot store the value: ${describe(value)} is not a string, bytes, number, boolean or JSON`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "number") return `the number ${value}`;
  return value === null ? "null" : typeof value;
}
