/**
 * Node certificates: a node's Ed25519 public key signed by itself together with the addresses it sends from. A
 * certificate proves that whoever sends from one of those addresses owns the key, hence the node id (SHA-1 of the
 * key): copied to another address it proves nothing. A certificate naming no host (what nodes bound to 0.0.0.0
 * used to issue) is refused: any replica on the same port could present it.
 *
 * ```
 * public key (32) | signature (64) | port (2, big-endian) | hosts length (1) | hosts (UTF-8, comma-separated)
 * signature over: "cqkd node certificate v1" | public key | port | hosts length | hosts
 * ```
 */
import { nodeIdOfPublicKey, type SigningIdentity, verifySignature } from "../crypto/mod.ts";
import type { NodeId } from "../kademlia/node_id.ts";
import type { Peer } from "../net/mod.ts";
import { GenerationalMap } from "../net/generational_map.ts";

const LABEL = new TextEncoder().encode("cqkd node certificate v1");
const UTF8 = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });
/** Public key and signature. */
const FIXED_BYTES = 32 + 64;
/** Smallest certificate (no host: refused, but its length can be read). */
export const MIN_CERTIFICATE_BYTES = FIXED_BYTES + 3;

/** A certificate that verified. */
export interface VerifiedCertificate {
  readonly publicKey: Uint8Array;
  readonly nodeId: NodeId;
  readonly port: number;
  /** The hosts it may send from. */
  readonly hosts: readonly string[];
}

/**
 * Issues the certificate of `identity` for sending from `port` on any of `hosts` (see certified_hosts.ts).
 * @throws {RangeError} for no host, or hosts longer than 255 bytes together
 */
export function issueCertificate(identity: SigningIdentity, port: number, hosts: readonly string[]): Uint8Array {
  const host = UTF8.encode(hosts.join(","));
  if (hosts.length === 0 || host.length > 255) {
    throw new RangeError(`Cannot issue a certificate for ${hosts.length} hosts of ${host.length} bytes: 1 to 255`);
  }
  const certificate = new Uint8Array(MIN_CERTIFICATE_BYTES + host.length);
  certificate.set(identity.publicKey);
  certificate[FIXED_BYTES] = port >> 8;
  certificate[FIXED_BYTES + 1] = port & 0xff;
  certificate[FIXED_BYTES + 2] = host.length;
  certificate.set(host, MIN_CERTIFICATE_BYTES);
  certificate.set(identity.sign(signedPart(certificate)), 32);
  return certificate;
}

/** Length of the certificate at the start of `bytes`, or undefined when they are too short to hold one. */
export function certificateLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < MIN_CERTIFICATE_BYTES) return undefined;
  const length = MIN_CERTIFICATE_BYTES + bytes[FIXED_BYTES + 2]!;
  return length <= bytes.length ? length : undefined;
}

/**
 * Verifies a certificate and that it names `from`, the address the datagram came from. Verified certificates are
 * remembered process-wide (bounded), so that the many nodes of one host check each peer's signature once.
 * @returns the certificate's content, or undefined when it is forged, malformed or names another address
 */
export function verifyCertificate(certificate: Uint8Array, from: Peer): VerifiedCertificate | undefined {
  if (certificateLength(certificate) !== certificate.length) return undefined;
  const port = (certificate[FIXED_BYTES]! << 8) | certificate[FIXED_BYTES + 1]!;
  let hosts: string[];
  try {
    hosts = UTF8_DECODER.decode(certificate.subarray(MIN_CERTIFICATE_BYTES)).split(",");
  } catch {
    return undefined;
  }
  // The address first: a certificate replayed from elsewhere costs no signature check and takes no cache slot.
  if (port !== from.port || !hosts.includes(unmapped(from.host))) return undefined;
  const cacheKey = String.fromCharCode.apply(null, certificate as unknown as number[]);
  let verified = verifiedCertificates.get(cacheKey);
  if (verified === undefined) {
    const publicKey = certificate.slice(0, 32);
    if (!verifySignature(publicKey, signedPart(certificate), certificate.subarray(32, FIXED_BYTES))) return undefined;
    verified = { publicKey, nodeId: nodeIdOfPublicKey(publicKey), port, hosts };
    verifiedCertificates.set(cacheKey, verified);
  }
  return verified;
}

const verifiedCertificates = new GenerationalMap<string, VerifiedCertificate>(16384);

/** An IPv4 sender as a dual-stack socket reports it (`::ffff:10.0.0.1`) is the IPv4 address it certifies. */
function unmapped(host: string): string {
  return host.startsWith("::ffff:") && host.includes(".") ? host.slice(7) : host;
}

function signedPart(certificate: Uint8Array): Uint8Array {
  const data = new Uint8Array(LABEL.length + certificate.length - 64);
  data.set(LABEL);
  data.set(certificate.subarray(0, 32), LABEL.length);
  data.set(certificate.subarray(FIXED_BYTES), LABEL.length + 32);
  return data;
}
