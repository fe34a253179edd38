import type { DhtValue } from "../../core/kademlia/mod.ts";

/** A DHT value as JSON: strings, numbers and booleans as they are; big integers and bytes tagged. */
export type JsonDhtValue = string | number | boolean | { bigint: string } | { base64: string };

/** Turns a DHT value into JSON (which has no big integers or bytes). */
export function toJsonValue(value: DhtValue): JsonDhtValue {
  if (typeof value === "bigint") return { bigint: value.toString() };
  if (value instanceof Uint8Array) return { base64: btoa(String.fromCharCode(...value)) };
  return value;
}

/** The DHT value a JSON value stands for (the inverse of {@linkcode toJsonValue}). */
export function fromJsonValue(value: JsonDhtValue): DhtValue {
  if (typeof value !== "object") return value;
  if ("bigint" in value) return BigInt(value.bigint);
  return Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0));
}
