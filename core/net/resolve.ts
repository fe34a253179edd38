import { lookup } from "node:dns/promises";
import { formatPeer, type Peer } from "./peer.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Raised when a host name does not resolve. */
export class ResolveError extends Error {
  override name = "ResolveError";
}

/**
 * Resolves host names (compose service names, `localhost`) to IP addresses with the system resolver, which reads
 * /etc/hosts as well as DNS. IP literals are returned as they are.
 * @throws {ResolveError} naming the address that does not resolve
 */
export async function resolvePeer(peer: Peer): Promise<Peer> {
  if (IPV4.test(peer.host) || peer.host.includes(":")) return peer;
  try {
    const { address } = await lookup(peer.host, { family: 4 });
    return { host: address, port: peer.port };
  } catch (cause) {
    throw new ResolveError(`Cannot resolve ${formatPeer(peer)}: ${(cause as Error).message}`, { cause });
  }
}
