/**
 * Test helper run inside a network namespace (`ip netns exec NS deno run -A tests/_hardening_net_actor.ts ROLE …`)
 * by the hardening tests, printing one JSON line:
 * - `victim KEYS PORT TARGET`: a secure node bound to 0.0.0.0:PORT (as in a container) that joins through TARGET
 *   (host:port) and prints its id, then runs until its stdin closes;
 * - `impostor KEYS PORT VICTIM TARGET`: an insider bound to 0.0.0.0 on the victim's port on another host (a replica
 *   of the same deployment): it asks the victim something, copies the certificate from the sealed answer, and
 *   presents it to TARGET as its own; prints whether TARGET answered.
 */
import { SigningIdentity } from "../core/crypto/mod.ts";
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { decodeFrame, encodeRequest, parsePeer, type Peer } from "../core/net/mod.ts";
import { ClusterKeyring, parseKeyringEnv, SecureEnvelope } from "../core/security/mod.ts";
import { open as openSealed, seal } from "../core/crypto/aead.ts";
import { certificateLength } from "../core/security/node_certificate.ts";
import {
  ADDRESSED_ENVELOPE_VERSION,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_VERSION,
} from "../core/security/secure_envelope.ts";
import { newId } from "./_sealed_peer.ts";

const [role, ...args] = Deno.args;

async function victim(keys: string, port: number, target: Peer): Promise<void> {
  await using node = KademliaNode.start({ host: "0.0.0.0", port, secure: { keyring: parseKeyringEnv(keys) } });
  await node.bootstrap([target], { join: false });
  console.log(JSON.stringify({ id: node.id.hex }));
  for await (const _ of Deno.stdin.readable) { /* runs until the test closes stdin */ }
}

/** Waits up to `ms` for one datagram from `from`; undefined when none comes. */
async function receiveFrom(conn: Deno.DatagramConn, from: Peer, ms: number): Promise<Uint8Array | undefined> {
  const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));
  const receive = (async () => {
    while (true) {
      const [datagram, addr] = await conn.receive();
      if ((addr as Deno.NetAddr).port === from.port && (addr as Deno.NetAddr).hostname === from.host) return datagram;
    }
  })().catch(() => undefined);
  return await Promise.race([receive, timer]);
}

async function impostor(keys: string, port: number, victimAt: Peer, target: Peer): Promise<void> {
  const keyring: ClusterKeyring = parseKeyringEnv(keys);
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port });
  const self = { host: "0.0.0.0", port };
  const own = new SecureEnvelope({ keyring, identity: SigningIdentity.generate() });
  // 1. Any request to the victim: its sealed answer carries its certificate, since it has not met us.
  const ping = encodeRequest(newId(), "ping", [own.nodeId.bytes]);
  await conn.send(own.seal(ping, victimAt, self), { transport: "udp", hostname: victimAt.host, port: victimAt.port });
  const answer = await receiveFrom(conn, victimAt, 2000);
  const addressedToUs = answer?.[0] === ADDRESSED_ENVELOPE_VERSION ? own.nodeId.bytes : undefined;
  const inner = answer && openSealed(answer, ENVELOPE_HEADER_BYTES, keyring.primary.secret, addressedToUs);
  if (inner === undefined || (inner[0]! & 1) === 0) throw new Error("The victim's answer carried no certificate");
  const certificate = inner.subarray(1, 1 + certificateLength(inner.subarray(1))!);
  const pong = decodeFrame(inner.subarray(1 + certificate.length));
  if (pong.kind !== "response" || !(pong.result instanceof Uint8Array)) throw new Error("Unexpected ping answer");
  const victimId = NodeId.fromBytes(pong.result);
  // 2. The copied certificate, sealed under the cluster key, from our address, to the target.
  const header = new Uint8Array(ENVELOPE_HEADER_BYTES);
  header[0] = ENVELOPE_VERSION;
  new DataView(header.buffer).setUint32(1, keyring.primaryWireId);
  new DataView(header.buffer).setBigUint64(5, BigInt(Date.now()));
  const frame = encodeRequest(newId(), "ping", [victimId.bytes]);
  const forged = seal(header, [Uint8Array.of(1), certificate, frame], keyring.primary.secret);
  await conn.send(forged, { transport: "udp", hostname: target.host, port: target.port });
  const reply = await receiveFrom(conn, target, 1000);
  console.log(JSON.stringify({ victimId: victimId.hex, answered: reply !== undefined }));
  conn.close();
}

if (role === "victim") await victim(args[0]!, Number(args[1]), parsePeer(args[2]!));
else if (role === "impostor") await impostor(args[0]!, Number(args[1]), parsePeer(args[2]!), parsePeer(args[3]!));
else throw new Error(`Unknown role ${role}`);
