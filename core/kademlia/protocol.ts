import type { RpcRegistry } from "../net/mod.ts";
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

/** Registers the five legacy RPCs of SPEC §2.1: ping, store, find_node, find_value and stun. */
export function registerKademliaRpcs(registry: RpcRegistry, host: ProtocolHost): void {
  const neighbours = (target: NodeId, requester: NodeId) =>
    host.table.closest(target, host.table.k, requester).map(contactToWire);

  registry.register("ping", (args, from) => {
    expectArgs(args, 1, "ping");
    host.welcome(contactAt(parseId(args[0], "sender id"), from));
    return host.id.bytes;
  });

  registry.register("store", (args, from) => {
    expectArgs(args, 3, "store");
    const sender = parseId(args[0], "sender id");
    const key = parseId(args[1], "key");
    const value = parseValue(args[2]);
    const contact = contactAt(sender, from);
    host.welcome(contact);
    return host.store(key, value, contact);
  });

  registry.register("find_node", (args, from) => {
    expectArgs(args, 2, "find_node");
    const sender = parseId(args[0], "sender id");
    const target = parseId(args[1], "target");
    host.welcome(contactAt(sender, from));
    return neighbours(target, sender);
  });

  registry.register("find_value", (args, from) => {
    expectArgs(args, 2, "find_value");
    const sender = parseId(args[0], "sender id");
    const key = parseId(args[1], "key");
    host.welcome(contactAt(sender, from));
    const value = host.records.get(key);
    return value === undefined ? neighbours(key, sender) : { value };
  });

  registry.register("stun", (args, from) => {
    expectArgs(args, 0, "stun");
    return [from.host, from.port];
  });
}
