/** A UDP endpoint. */
export interface Peer {
  readonly host: string;
  readonly port: number;
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

/** Whether `host` is a wildcard address (bound to every interface), which no other node can send to. */
export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host);
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatPeer(peer: Peer): string {
  return peer.host.includes(":") ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
}

/**
 * Parses `host:port` (or `[v6]:port`). @throws {SyntaxError} naming the bad entry
 */
export function parsePeer(text: string): Peer {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new SyntaxError(`Cannot parse address "${text}": expected host:port with a port from 1 to 65535`);
  }
  return { host: match[1] ?? match[2]!, port };
}
