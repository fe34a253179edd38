import { encodeValue, MAX_REQUEST_PAYLOAD_BYTES, MsgpackFloat } from "../net/mod.ts";

/**
 * The values a DHT key can hold, as the legacy nodes allow them on the wire. Integers beyond 32 bits that arrive
 * as msgpack int64/uint64 are bigints, so that they come back exact.
 */
export type DhtValue = string | number | bigint | boolean | Uint8Array;

/**
 * A value as nodes store and forward it: a {@linkcode DhtValue}, or a float that must keep its msgpack type (a
 * legacy node's 2.0 stays a float on its way back). Callers of `get()` see the plain number.
 */
export type StoredValue = DhtValue | MsgpackFloat;

/**
 * Largest encoded value that fits one store request within the legacy 8 KiB payload limit: the request's other
 * parts (`[ "store", [sender, key, value] ]`) take 52 bytes.
 */
export const MAX_VALUE_BYTES = MAX_REQUEST_PAYLOAD_BYTES - 52;

/** Raised for a value the DHT cannot hold (wrong type or too large); nothing is stored. */
export class InvalidValueError extends TypeError {
  override name = "InvalidValueError";
}

/** True for a value of one of the four wire types (finite numbers only), as a caller gives it. */
export function isDhtValue(value: unknown): value is DhtValue {
  return typeof value === "string" || typeof value === "boolean" || value instanceof Uint8Array ||
    (typeof value === "bigint" && value >= -(2n ** 63n) && value < 2n ** 64n) ||
    (typeof value === "number" && Number.isFinite(value));
}

/** True for a value a node may hold: a DhtValue or a kept msgpack float. */
export function isStoredValue(value: unknown): value is StoredValue {
  return value instanceof MsgpackFloat || isDhtValue(value);
}

/** The value a caller sees: kept msgpack floats become plain numbers. */
export function toDhtValueView(value: StoredValue): DhtValue {
  return value instanceof MsgpackFloat ? value.value : value;
}

/**
 * {@linkcode toDhtValue}, refused when its msgpack encoding exceeds `maxBytes`.
 * @throws {InvalidValueError} for a value of the wrong type or too large
 */
export function toBoundedDhtValue(value: unknown, maxBytes: number): DhtValue {
  const dhtValue = toDhtValue(value);
  const size = encodeValue(dhtValue).length;
  if (size > maxBytes) {
    throw new InvalidValueError(`Cannot store the value: it is ${size} bytes encoded, the limit is ${maxBytes}`);
  }
  return dhtValue;
}

/**
 * Turns what a caller wants to store into a wire value: objects and arrays become JSON strings, as legacy nodes
 * store them. @throws {InvalidValueError} for null, undefined, functions, non-finite numbers and the like
 */
export function toDhtValue(value: unknown): DhtValue {
  if (isDhtValue(value)) return value;
  if (value !== null && typeof value === "object") {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (cause) {
      // Cycles and bigints: the caller must get an InvalidValueError, not the engine's TypeError.
      const reason = (cause as Error).message.split("\n")[0];
      throw new InvalidValueError(`Cannot store the value: it cannot be encoded as JSON: ${reason}`, { cause });
    }
    // A toJSON() may yield undefined, which has no wire form.
    if (typeof json === "string") return json;
  }
  throw new InvalidValueError(
    `Cannot store the value: ${describe(value)} is not a string, bytes, number, boolean or JSON`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "number") return `the number ${value}`;
  return value === null ? "null" : typeof value;
}
