import { equalBytes } from "../bytes.ts";
import { ForgedIdentityError, RpcArgumentError, type Sender } from "../net/mod.ts";
import type { Contact } from "./contact.ts";
import { ID_BYTES, NodeId } from "./node_id.ts";
import { isStoredValue, type StoredValue } from "./value.ts";

/**
 * Conversions between the legacy RPC shapes and cqkd types, in both directions. Parsers throw
 * {@linkcode RpcArgumentError} so that a bad request is dropped and counted, never answered with garbage.
 */

/** Reads a 20-byte id argument. */
export function parseId(value: unknown, what: string): NodeId {
  if (!(value instanceof Uint8Array) || value.length !== ID_BYTES) {
    throw new RpcArgumentError(`Expected ${what} to be ${ID_BYTES} bytes`);
  }
  return NodeId.fromBytes(value);
}

/** Checks the argument count of a request. */
export function expectArgs(args: unknown[], count: number, method: string): void {
  if (args.length !== count) {
    throw new RpcArgumentError(`Expected ${count} arguments to ${method}, got ${args.length}`);
  }
}

/** Reads a stored value argument. */
export function parseValue(value: unknown): StoredValue {
  if (!isStoredValue(value)) throw new RpcArgumentError("Expected the value to be a string, bytes, number or boolean");
  return value;
}

/** A contact triple `[id, ip, port]` as find_node answers it. */
export function contactToWire(contact: Contact): [Uint8Array, string, number] {
  return [contact.id.bytes, contact.host, contact.port];
}

/**
 * Reads the contact triples of a find_node / find_value answer; entries that are not valid triples are skipped
 * (a peer's bad entry must not spoil the good ones).
 */
export function parseContacts(value: unknown): Contact[] {
  if (!Array.isArray(value)) throw new TypeError("Expected a list of contacts");
  const contacts: Contact[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [id, host, port] = entry;
    if (!(id instanceof Uint8Array) || id.length !== ID_BYTES) continue;
    if (typeof host !== "string" || host === "" || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    contacts.push({ id: NodeId.fromBytes(id), host, port });
  }
  return contacts;
}

/** A find_value answer: `{value}` or contacts. */
export function parseFindValueAnswer(value: unknown): { value: StoredValue } | { contacts: Contact[] } {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    const found = (value as Record<string, unknown>).value;
    if (!isStoredValue(found)) throw new TypeError("Expected the found value to be a string, bytes, number or boolean");
    return { value: found };
  }
  return { contacts: parseContacts(value) };
}

/**
 * The sender of a request as a contact, with the id it claims.
 * @throws {ForgedIdentityError} in secure mode, when the sender proved another id than the one it claims
 */
export function contactAt(id: NodeId, from: Sender): Contact {
  if (from.provenId !== undefined && !equalBytes(from.provenId, id.bytes)) throw new ForgedIdentityError(from, id.hex);
  return { id, host: from.host, port: from.port };
}
