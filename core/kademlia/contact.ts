import type { Peer } from "../net/mod.ts";
import type { NodeId } from "./node_id.ts";

/** A peer of the DHT: its id and the UDP address it answers on. */
export interface Contact extends Peer {
  readonly id: NodeId;
}

/** Contacts sorted by XOR distance to `target`, closest first (a new array). */
export function sortByDistance<T extends Contact>(contacts: readonly T[], target: NodeId): T[] {
  // Sort on the cheap 53-bit distance and compare full distances only on ties.
  const keyed = contacts.map((contact) => ({ contact, rough: contact.id.roughDistanceTo(target) }));
  keyed.sort((a, b) =>
    a.rough - b.rough || compareBig(a.contact.id.distanceTo(target), b.contact.id.distanceTo(target))
  );
  return keyed.map((k) => k.contact);
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
