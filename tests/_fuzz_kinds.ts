/**
 * The datagrams of the fuzz (see _fuzz_run.ts), by kind: random bytes, legacy frames whole and mutated, bootstrap
 * RPCs, stores to many keys from many ids, deep msgpack nesting, and sealed datagrams whole, forged, replayed, stale,
 * dated in the future, under a foreign key, or with a certificate copied to another address.
 */
import { encodeRequest, encodeResponse, type Peer } from "../core/net/mod.ts";
import { ClusterKeyring, SecureEnvelope } from "../core/security/mod.ts";
import { BOOTSTRAP_RPC } from "../roles/bootstrap/mod.ts";
import { randomTools } from "./_random_bytes.ts";
import { newId, type SealedPeer } from "./_sealed_peer.ts";

/** One fuzz datagram and the socket it leaves from. */
export interface FuzzDatagram {
  datagram: Uint8Array;
  /**
   * `insider`: the peer holding the cluster keys; `other`: another address (plaintext, and sealed datagrams copied
   * from the insider).
   */
  from: "insider" | "other";
}

/** Builds fuzz datagrams of each kind for `target`, as `insider` (who holds `clusterKeyring`) and another socket. */
export function fuzzKinds(
  rand: () => number,
  insider: SealedPeer,
  target: Peer,
  clusterKeyring: ClusterKeyring,
  only?: readonly string[],
) {
  const { int, bytes, choose, id } = randomTools(rand);
  const self = insider.identity.nodeId.bytes;
  // Legacy stores go to a few keys: the node's memory is to show leaks, not the values it was rightly asked to keep
  // (the "store-many" kinds store to fresh keys from fresh ids, up to the sender's quota).
  const keys = Array.from({ length: 16 }, id);
  const info = () => ({
    tier: choose(["super", "regional", "local", "mega"]),
    region: "",
    name: `fuzz-${int(1000)}`,
    id: int(8) === 0 ? "not hex" : Array.from(bytes(20), (b) => b.toString(16).padStart(2, "0")).join(""),
    host: "127.0.0.66",
    port: 1 + int(65535),
    load: int(10),
    capacity: choose([0, 10, 1_000_000, -1]),
  });
  const bootstrapFrames = () => [
    encodeRequest(newId(), BOOTSTRAP_RPC.info, int(2) === 0 ? [] : [bytes(16)]),
    encodeRequest(newId(), BOOTSTRAP_RPC.nodes, [choose(["worker", "alice", "nobody"]), int(50)]),
    encodeRequest(newId(), BOOTSTRAP_RPC.join, [int(2) === 0 ? self : id(), choose(["worker", "qpc", "x"])]),
    encodeRequest(newId(), BOOTSTRAP_RPC.leave, [id()]),
    encodeRequest(newId(), BOOTSTRAP_RPC.announce, [info(), Array.from({ length: int(30) }, info)]),
  ];
  const storeMany = (sender: Uint8Array) =>
    encodeRequest(newId(), "store", [sender, id(), int(4) === 0 ? bytes(int(2000)) : `many-${int(1e9)}`]);
  /** A request whose argument is `depth` nested one-element arrays (msgpack 0x91 each). */
  const deep = () => {
    const depth = 100 + int(7900);
    const head = encodeRequest(newId(), "ping", [0]);
    const nested = new Uint8Array(head.length - 1 + depth);
    nested.set(head.subarray(0, head.length - 1));
    nested.fill(0x91, head.length - 1, head.length - 1 + depth - 1);
    nested[nested.length - 1] = 0xc0;
    return nested;
  };
  const frames = () => [
    encodeRequest(newId(), "ping", [self]),
    encodeRequest(newId(), "store", [self, choose(keys), "fuzz-value"]),
    encodeRequest(newId(), "find_node", [self, id()]),
    encodeRequest(newId(), "find_value", [self, id()]),
    encodeRequest(newId(), "stun", []),
    encodeRequest(newId(), "ping", [bytes(19)]),
    encodeRequest(newId(), "no_such_method", [self]),
    encodeResponse(newId(), [[id(), "127.0.0.1", 18002]]),
  ];
  const flipBits = (datagram: Uint8Array) => {
    for (let n = 1 + int(4); n > 0; n--) {
      const at = int(datagram.length);
      datagram[at] = datagram[at]! ^ (1 << int(8));
    }
    return datagram;
  };
  const mutate = (datagram: Uint8Array) => {
    const out = flipBits(datagram.slice());
    return int(4) === 0 ? out.subarray(0, int(out.length)) : out;
  };
  const seal = (frame: Uint8Array) => insider.envelope!.seal(frame, target, insider.address);
  const withClock = (offsetMs: number) =>
    new SecureEnvelope({ keyring: clusterKeyring, identity: insider.identity, now: () => Date.now() + offsetMs });
  const foreign = new SecureEnvelope({ keyring: ClusterKeyring.generate(), identity: insider.identity });
  const stale = withClock(-120_000);
  const future = withClock(29_000);
  const forger = new SecureEnvelope({ keyring: clusterKeyring, identity: insider.identity });
  const sentValid: Uint8Array[] = [];
  const plain = (make: () => Uint8Array) => (): FuzzDatagram => ({ datagram: make(), from: "other" });
  const sealed = (make: () => Uint8Array) => (): FuzzDatagram => ({ datagram: make(), from: "insider" });
  const kinds: Record<string, () => FuzzDatagram> = {
    random: plain(() => bytes(int(50) === 0 ? 0 : int(2001))),
    short: plain(() => bytes(int(22))),
    legacy: plain(() => choose(frames())),
    "legacy-mutated": plain(() => mutate(choose(frames()))),
    oversized: plain(() => bytes(16_385 + int(4000))),
    bootstrap: plain(() => choose(bootstrapFrames())),
    "bootstrap-mutated": plain(() => mutate(choose(bootstrapFrames()))),
    "store-many": plain(() => storeMany(id())),
    "deep-nesting": plain(deep),
    sealed: sealed(() => {
      const datagram = seal(choose(frames()));
      sentValid[int(64)] = datagram;
      return datagram;
    }),
    "sealed-bootstrap": sealed(() => seal(choose(bootstrapFrames()))),
    "sealed-store-many": sealed(() => seal(storeMany(int(2) === 0 ? self : id()))),
    "sealed-deep-nesting": sealed(() => seal(deep())),
    "sealed-junk": sealed(() => seal(int(2) === 0 ? mutate(choose(frames())) : bytes(int(300)))),
    "sealed-claiming-another-id": sealed(() => seal(encodeRequest(newId(), "find_node", [id(), id()]))),
    "sealed-flipped": sealed(() => flipBits(seal(choose(frames())))),
    "sealed-truncated": sealed(() => {
      const datagram = seal(choose(frames()));
      return datagram.subarray(0, int(datagram.length));
    }),
    "sealed-wrong-key-id": sealed(() => {
      const datagram = seal(choose(frames()));
      datagram.set(bytes(4), 1);
      return datagram;
    }),
    "sealed-foreign-key": sealed(() => foreign.seal(choose(frames()), target, insider.address)),
    "sealed-replayed": sealed(() => choose(sentValid.filter(Boolean)) ?? seal(choose(frames()))),
    "sealed-stale": sealed(() => stale.seal(choose(frames()), target, insider.address)),
    "sealed-future": sealed(() => future.seal(choose(frames()), target, insider.address)),
    "sealed-certificate-for-another-address": sealed(() =>
      forger.seal(choose(frames()), target, { host: "127.0.0.1", port: 1 + int(65535) })
    ),
    // The insider's own datagram, certificate and all, sent from another address.
    "sealed-copied-certificate": () => ({ datagram: seal(choose(frames())), from: "other" }),
  };
  const unknown = (only ?? []).filter((name) => !(name in kinds));
  if (unknown.length > 0) {
    throw new RangeError(`Unknown fuzz kind ${unknown.join(", ")}: ${Object.keys(kinds).join(", ")}`);
  }
  const names = only === undefined ? Object.keys(kinds) : [...only];
  // Every kind in turn, in an order shuffled once per round: a short run still covers them all.
  let round: string[] = [];
  const pick = () => {
    if (round.length === 0) round = [...names].sort(() => rand() - 0.5);
    return round.pop()!;
  };
  return { kinds, names, pick };
}
