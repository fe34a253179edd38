/**
 * Fuzz datagram kinds for the network hardening (docs/hardening.md, "Network and transport"), for the fuzzer to
 * add to its own: deep nesting, future timestamps, copied certificates and Sybil pings. Kinds whose name starts
 * with "sealed" are to be sent from the insider's socket, the others from the plaintext one.
 */
import { SigningIdentity } from "../core/crypto/mod.ts";
import { encodeRequest, type Peer } from "../core/net/mod.ts";
import { type ClusterKeyring, SecureEnvelope } from "../core/security/mod.ts";
import { newId, type SealedPeer } from "./_sealed_peer.ts";

/** A request frame whose argument is `depth` arrays deep. */
export function deepRequest(depth: number): Uint8Array {
  const head = [0x92, 0xa4, ...new TextEncoder().encode("ping"), 0x91];
  const frame = new Uint8Array(21 + head.length + depth + 1);
  frame.set(newId(), 1);
  frame.set(head, 21);
  frame.fill(0x91, 21 + head.length, frame.length - 1);
  frame[frame.length - 1] = 0xc0;
  return frame;
}

/** The kinds, drawing their randomness from `int(n)` (an integer below n). */
export function netFuzzKinds(
  int: (n: number) => number,
  insider: SealedPeer,
  target: Peer,
  keyring: ClusterKeyring,
): Record<string, () => Uint8Array> {
  const self = insider.identity.nodeId.bytes;
  const ping = () => encodeRequest(newId(), "ping", [self]);
  const ahead = new SecureEnvelope({ keyring, identity: insider.identity, now: () => Date.now() + 29_000 });
  // Another member's envelope: its certificate names its own address, not the insider's.
  const victim = new SecureEnvelope({ keyring, identity: SigningIdentity.generate() });
  const victimAt = { host: "127.0.0.1", port: 1 + int(65535) };
  return {
    deep: () => deepRequest(33 + int(16_300)),
    "sealed-deep": () => insider.envelope!.seal(deepRequest(33 + int(16_300)), target, insider.address),
    "sealed-future": () => ahead.seal(ping(), target, insider.address),
    "sealed-copied-certificate": () => victim.seal(ping(), target, victimAt),
    "sybil-ping": () => encodeRequest(newId(), "ping", [crypto.getRandomValues(new Uint8Array(20))]),
  };
}
