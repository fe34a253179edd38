/**
 * The hosts a node's certificate names. A node bound to one address certifies it. A node bound to a wildcard
 * address (0.0.0.0 or ::, as in every container) certifies the addresses of its own interfaces, plus the host it
 * advertises when that is an IP address (behind NAT): never "any host", or any replica on the same port could
 * present the certificate as its own.
 */
import { isWildcardHost } from "../net/mod.ts";

/** The certificate's host field is one length byte: the hosts, comma-separated, fit in 255 bytes. */
export const MAX_HOSTS_BYTES = 255;
const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/** Raised when a node bound to a wildcard address has no address to certify. */
export class NoCertifiableAddressError extends Error {
  override name = "NoCertifiableAddressError";
}

/**
 * The hosts to certify for a node bound to `bound`, advertising `advertised` (if set), the interface addresses
 * coming from `interfaces` (for tests).
 * @throws {NoCertifiableAddressError} for a wildcard bind on a machine whose interfaces cannot be read
 */
export function certifiedHosts(
  bound: string,
  advertised?: string,
  interfaces: () => readonly Deno.NetworkInterfaceInfo[] = Deno.networkInterfaces,
): string[] {
  if (!isWildcardHost(bound)) return [bound];
  const ipv4Only = bound === "0.0.0.0";
  let found: readonly Deno.NetworkInterfaceInfo[] = [];
  try {
    found = interfaces();
  } catch { /* no permission to read them: only the advertised host is left */ }
  const addresses = found
    // Link-local IPv6 addresses reach peers only with a scope id, which the sender's address would carry.
    .filter((i) => (i.family === "IPv4" || !ipv4Only) && !i.address.toLowerCase().startsWith("fe80"))
    .toSorted((a, b) => Number(isLoopback(a.address)) - Number(isLoopback(b.address)))
    .map((i) => i.address);
  if (advertised !== undefined && IP_LITERAL.test(advertised)) addresses.unshift(advertised);
  const hosts: string[] = [];
  let bytes = -1;
  for (const host of new Set(addresses)) {
    if (bytes + 1 + host.length > MAX_HOSTS_BYTES) break;
    hosts.push(host);
    bytes += 1 + host.length;
  }
  if (hosts.length === 0) {
    throw new NoCertifiableAddressError(
      `Cannot certify this node's address: it is bound to ${bound} and no interface address can be read ` +
        `(set advertise_host to its IP address)`,
    );
  }
  return hosts;
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1";
}
