/**
 * Attack: downgrade to legacy plaintext. A secure node in legacy compatibility mode used to mark any address that
 * sent it one plaintext datagram as a legacy peer, and spoke plaintext to it from then on: one spoofed datagram
 * and the node's next store to that address went out in clear. Now only the configured `legacy_peers` speak
 * plaintext, and never once they have spoken sealed. Real nodes over UDP on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import { decodeFrame, encodeRequest, type Peer } from "../core/net/mod.ts";
import { ClusterKeyring, SecureEnvelope } from "../core/security/mod.ts";
import { newId } from "./_sealed_peer.ts";

const FAST = { rpcTimeoutMs: 300, lookupStallMs: 100 };

/** A bare socket on 127.0.0.1: what the attacker sends from, and what the node's datagrams to it look like. */
function socket() {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const address: Peer = { host: "127.0.0.1", port: (conn.addr as Deno.NetAddr).port };
  return {
    address,
    send: (datagram: Uint8Array, to: Peer) =>
      conn.send(datagram, { transport: "udp", hostname: to.host, port: to.port }),
    /** The next datagram received, or undefined after `ms`. */
    next: (ms = 500) =>
      Promise.race([
        conn.receive().then(([datagram]) => datagram, () => undefined),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms)),
      ]),
    [Symbol.dispose]: () => conn.close(),
  };
}

const plaintextPing = () => encodeRequest(newId(), "ping", [NodeId.random().bytes]);

Deno.test("One plaintext datagram from an address that is not a configured legacy peer downgrades nothing", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost(FAST);
  const configured = host.start();
  const secure = host.start({ secure: { keyring, acceptLegacy: true, legacyPeers: [configured.address] } });
  using spoofed = socket();
  // The "legacy" datagram an attacker sends in the name of the address: not answered.
  await spoofed.send(plaintextPing(), secure.address);
  assert.equal(await spoofed.next(), undefined, "the plaintext ping was answered");
  // The node's next store to that address.
  const store = secure.request({ id: NodeId.random(), ...spoofed.address }, "store", [
    secure.id.bytes,
    NodeId.random().bytes,
    "secret value",
  ]).catch(() => {});
  const datagram = await spoofed.next();
  await store;
  assert.ok(datagram !== undefined);
  assert.notEqual(datagram[0], 0x00, "the store went out as a plaintext request");
  assert.ok(!new TextDecoder().decode(datagram).includes("secret value"), "the value travelled in clear");
  assert.equal(secure.transport.stats.dropped["no-envelope"], 1);
  // The configured legacy peer still speaks plaintext, both ways.
  assert.ok((await configured.ping(secure.address)).equals(secure.id));
  assert.ok((await secure.ping(configured.address)).equals(configured.id));
});

Deno.test("A configured legacy address that has spoken sealed is never spoken to, nor heard, in plaintext", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost(FAST);
  using member = socket();
  const envelope = new SecureEnvelope({ keyring, identity: SigningIdentity.generate() });
  const secure = host.start({ secure: { keyring, acceptLegacy: true, legacyPeers: [member.address] } });
  // The member speaks sealed first.
  const ping = encodeRequest(newId(), "ping", [envelope.nodeId.bytes]);
  await member.send(envelope.seal(ping, secure.address, member.address), secure.address);
  const pong = await member.next();
  assert.ok(pong !== undefined && pong[0] !== 0x01, "answered sealed");
  // Plaintext in the member's name, from its own address (as a spoofer would send it): refused.
  await member.send(plaintextPing(), secure.address);
  assert.equal(await member.next(), undefined, "the plaintext ping was answered");
  secure.request({ id: envelope.nodeId, ...member.address }, "ping", [secure.id.bytes]).catch(() => {});
  const sent = await member.next();
  assert.ok(sent !== undefined && sent[0] !== 0x00, "spoken to in plaintext");
  const opened = envelope.open(sent, secure.address);
  assert.ok(typeof opened !== "string" && decodeFrame(opened.frame).kind === "request");
  assert.equal(secure.transport.stats.dropped["no-envelope"], 1);
});
