/**
 * The contacts of every routing table of a process, shared. A host process of a thousand nodes holds the same few
 * thousand peers in hundreds of thousands of table slots: one object per peer (its id, its host string and its
 * address key shared too) instead of one per slot keeps a slot down to the tables' map entries.
 *
 * @module
 */
import type { Contact } from "./contact.ts";
import { NodeId } from "./node_id.ts";

interface Pooled {
  readonly contact: Contact;
  /** `host:port`, the key of the tables' address index. */
  readonly address: string;
}

/** Peers kept; past this the pool starts over (the tables keep the contacts they hold). */
const POOL_LIMIT = 1 << 17;

const byId = new Map<string, Pooled>();
const hosts = new Map<string, string>();

/**
 * The shared contact of `contact`'s id at its address: only its id, host and port (a sender's proof or a tier is
 * dropped), the same object for every table that asks while the peer keeps its address.
 */
export function sharedContact(contact: Contact): Contact {
  const known = byId.get(contact.id.hex);
  if (known !== undefined && known.contact.port === contact.port && known.contact.host === contact.host) {
    return known.contact;
  }
  if (byId.size >= POOL_LIMIT) byId.clear();
  if (hosts.size >= POOL_LIMIT) hosts.clear();
  let host = hosts.get(contact.host);
  if (host === undefined) hosts.set(contact.host, host = contact.host);
  const shared = { id: NodeId.intern(contact.id), host, port: contact.port };
  byId.set(shared.id.hex, { contact: shared, address: `${host}:${shared.port}` });
  return shared;
}

/** `host:port` of a contact: the pool's string for a shared one, a new one otherwise. */
export function addressOf(contact: Contact): string {
  const known = byId.get(contact.id.hex);
  return known?.contact === contact ? known.address : `${contact.host}:${contact.port}`;
}
