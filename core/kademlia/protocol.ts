import { BlockedPeerError, type RpcRegistry, type Sender } from "../net/mod.ts";
import type { Contact } from "./contact.ts";
import type { NodeId } from "./node_id.ts";
import type { RecordStore } from "./records.ts";
import type { RoutingTable } from "./routing_table.ts";
import type { StoredValue } from "./value.ts";
import { contactAt, contactToWire, expectArgs, parseId, parseValue } from "./wire_types.ts";

/** What the legacy RPC handlers need from the node that serves them. */
export interface ProtocolHost {
  readonly id: NodeId;
  readonly table: RoutingTable;
  readonly records: RecordStore;
  /** Records that a contact sent us a request (adds it, hands keys over to it). */
  welcome(contact: Contact): void;
  /** Stores a value a peer sent, unless a limit or the signed-value rules refuse it; says whether it did. */
  store(key: NodeId, value: StoredValue, from: Contact): boolean;
}

/** Registers the five legacy RPCs: ping, store, find_node, find_value and stun. */
export function registerKademliaRpcs(registry: RpcRegistry, host: ProtocolHost): void {
  const neighbours = (target: NodeId, requester: NodeId) =>
    host.table.closest(target, host.table.k, requester).map(contactToWire);
  /** The requester as a contact; a blocked one gets no answer at all (it must not learn of anyone through us). */
  const contactOf = (id: unknown, from: Sender): Contact => {
    const contact = contactAt(parseId(id, "sender id"), from);
    if (host.table.isBlocked(contact.id)) throw new BlockedPeerError(from, contact.id.hex);
    return contact;
  };

  registry.register("ping", (args, from) => {
    expectArgs(args, 1, "ping");
    host.welcome(contactOf(args[0], from));
    return host.id.bytes;
  });

  registry.register("store", (args, from) => {
    expectArgs(args, 3, "store");
    const contact = contactOf(args[0], from);
    const key = parseId(args[1], "key");
    const value = parseValue(args[2]);
    host.welcome(contact);
    return host.store(key, value, contact);
  });

  registry.register("find_node", (args, from) => {
    expectArgs(args, 2, "find_node");
    const sender = contactOf(args[0], from);
    const target = parseId(args[1], "target");
    host.welcome(sender);
    return neighbours(target, sender.id);
  });

  registry.register("find_value", (args, from) => {
    expectArgs(args, 2, "find_value");
    const sender = contactOf(args[0], from);
    const key = parseId(args[1], "key");
    host.welcome(sender);
    const value = host.records.get(key);
    return value === undefined ? neighbours(key, sender.id) : { value };
  });

  registry.register("stun", (args, from) => {
    expectArgs(args, 0, "stun");
    return [from.host, from.port];
  });
}
