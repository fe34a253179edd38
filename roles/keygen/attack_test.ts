/**
 * The key exchange under attack, on real UDP nodes: strangers and curious workers try to steer or read the key
 * Alice and Bob agree on. Each attack worked before the channel was authenticated and role traffic bound to its
 * assignment; now each is dropped, counted, and the session either ends with a good key or aborts.
 */
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { toHex } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { encodeRanges } from "../postprocess/mod.ts";
import { encodePositions, METHOD, type RoleCommand } from "./messages.ts";
import { RemoteHandlerError, SealedMessenger, type SealedPeer } from "./sealed_messenger.ts";
import { newSessionId, sessionKey } from "./session_ids.ts";
import { startTestNetwork, type TestNetwork } from "./_test_network.ts";
import { issueRoleCertificate } from "./role_certificate.ts";
import { encodeRoleData } from "./role_data.ts";
import { PeerTrust } from "./peer_trust.ts";

/** A node outside the session, with a sealed messenger of its own, joined to the network. */
async function stranger(net: TestNetwork): Promise<{ node: KademliaNode; messenger: SealedMessenger }> {
  const node = net.host.start({ role: "worker" });
  await node.bootstrap([net.seed]);
  return { node, messenger: await SealedMessenger.attach(node) };
}

function isAllZero(bits: Uint8Array | undefined): boolean {
  return bits !== undefined && bits.every((b) => b === 0);
}

Deno.test("attack: a stranger who learns the batches sends all-zero spins, readings and 'all sifted': dropped, keys stay random", async () => {
  const commands: RoleCommand[] = [];
  await using net = await startTestNetwork(12, {}, { tap: (command) => commands.push(command) });
  const { messenger } = await stranger(net);
  const sent: Promise<unknown>[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      commands.length = 0;
      const [alice, bob] = [net.alice.self, await messenger.publicKey(net.bobNode.address)];
      const session = net.alice.generateKey({ keyBits: 128, bob: net.bobNode.address });
      // As each batch is assigned, inject its data to both sides before the workers produce theirs.
      const injected = new Set<string>();
      let finished = false;
      session.finally(() => finished = true);
      while (!finished) {
        for (const command of commands.filter((c) => c.role === "qpc" && !injected.has(c.batch))) {
          injected.add(command.batch);
          const { session: id, batch, count } = command;
          const zeros = new Uint8Array(count);
          const everyPosition = encodePositions(Uint32Array.from({ length: count }, (_, p) => p), count);
          const inject = (to: SealedPeer, name: string, data: Uint8Array) =>
            sent.push(messenger.request(to, METHOD.data, { session: id, batch, name, data }).catch((e) => e));
          for (const name of ["spins", "bases"]) inject(alice, name, encodeRoleData(name, zeros));
          inject(alice, "sifted", everyPosition);
          for (const name of ["bases", "readings"]) inject(bob, name, encodeRoleData(name, zeros));
          inject(bob, "sifted", everyPosition);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const result = await session;
      assert.equal(result.ok, true, result.reason);
      const keys = net.takeKeys(result);
      assert.deepEqual(keys.bob, keys.alice);
      assert.equal(isAllZero(keys.alice), false, "the stranger did not choose the key");
      assert.ok(injected.size > 0, "the stranger injected into every batch it saw");
    }
    await Promise.all(sent);
    // Alice knows each batch's senders before it starts: she refuses every copy on arrival. Bob learns them when
    // Alice asks him to collect: he drops the copies that came before then, and refuses the later ones.
    const toAlice = sent.length / 2;
    assert.equal(net.rejected.alice.filter((r) => r === "unexpected_sender").length, toAlice);
    assert.equal(net.rejected.bob.filter((r) => r === "unexpected_sender").length, sent.length - toAlice);
  } finally {
    messenger.stop();
  }
});

Deno.test("attack: a stranger asking Alice for parities, or telling Bob to abort, of a running session is refused", async () => {
  let strangerMessenger!: SealedMessenger;
  const attempts: Promise<unknown>[] = [];
  const net: TestNetwork = await startTestNetwork(12, {
    onStep: (event) => {
      if (event.side !== "alice" || event.step !== "qber estimation") return;
      // Alice now opens her parities to Bob: the stranger asks for single bits, and tells Bob to abort.
      const ask = (to: SealedPeer, method: string, body: Record<string, unknown>) =>
        attempts.push(strangerMessenger.request(to, method, body).then(() => "answered", (e) => e));
      // Single bits of pass 0: (0, q, q + 1).
      const ranges = encodeRanges(
        Uint32Array.from({ length: 3 * 64 }, (_, i) => i % 3 === 0 ? 0 : (i / 3 | 0) + i % 3 - 1),
      );
      ask(net.alice.self, METHOD.parity, { session: event.session, seq: 1_000_000, round: 0, ranges });
      ask(net.bob.self, METHOD.abort, { session: event.session, seq: 1_000_000, reason: "stranger" });
    },
  });
  try {
    strangerMessenger = (await stranger(net)).messenger;
    const result = await net.alice.generateKey({ keyBits: 256, bob: net.bobNode.address });
    assert.equal(result.ok, true, result.reason);
    const keys = net.takeKeys(result);
    assert.deepEqual(keys.bob, keys.alice);
    const outcomes = await Promise.all(attempts);
    assert.ok(outcomes.length >= 2);
    for (const outcome of outcomes) {
      assert.ok(outcome instanceof RemoteHandlerError, String(outcome));
      assert.match(outcome.message, /not the session's peer/);
    }
    assert.ok(net.rejected.alice.includes("unexpected_sender"));
    assert.ok(net.rejected.bob.includes("unexpected_sender"));
  } finally {
    strangerMessenger?.stop();
    await net[Symbol.asyncDispose]();
  }
});

Deno.test("attack: a worker of the batch sends data of a slot it does not hold (another worker's readings): dropped", async () => {
  const commands: Array<{ command: RoleCommand; worker: import("../worker/mod.ts").WorkerService }> = [];
  await using net = await startTestNetwork(12, {}, { tap: (command, worker) => commands.push({ command, worker }) });
  const replays: Promise<unknown>[] = [];
  const session = net.alice.generateKey({ keyBits: 128, bob: net.bobNode.address });
  const done = new Set<string>();
  let finished = false;
  session.finally(() => finished = true);
  while (!finished) {
    // The batch's QPC (it sees both bases, not the bits) sends Bob zero readings, which are QPM's to send.
    for (const { command, worker } of commands.filter((c) => c.command.role === "qpc" && !done.has(c.command.batch))) {
      done.add(command.batch);
      const { session: id, batch, count } = command;
      replays.push(
        worker.messenger.request(net.bob.self, METHOD.data, {
          session: id,
          batch,
          name: "readings",
          data: encodeRoleData("readings", new Uint8Array(count)),
        }).catch((e) => e),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const result = await session;
  assert.equal(result.ok, true, result.reason);
  const keys = net.takeKeys(result);
  assert.deepEqual(keys.bob, keys.alice);
  assert.ok(replays.length > 0);
  await Promise.all(replays);
  assert.equal(net.rejected.bob.filter((r) => r === "unexpected_sender").length, replays.length);
});

Deno.test("attack: the assigned QPM sends Bob truncated readings first: Bob drops the batch for its length, it runs again", async () => {
  const commands: Array<{ command: RoleCommand; worker: import("../worker/mod.ts").WorkerService }> = [];
  await using net = await startTestNetwork(12, { batchTimeoutMs: 800 }, {
    tap: (command, worker) => commands.push({ command, worker }),
  });
  let truncated = 0;
  const session = net.alice.generateKey({ keyBits: 128, bob: net.bobNode.address });
  let finished = false;
  session.finally(() => finished = true);
  while (!finished) {
    for (const entry of commands.splice(0)) {
      if (entry.command.role !== "qpm" || truncated > 0) continue;
      truncated++;
      const { session: id, batch, count } = entry.command;
      const data = encodeRoleData("readings", new Uint8Array(Math.floor(count / 2)));
      await entry.worker.messenger.request(net.bob.self, METHOD.data, { session: id, batch, name: "readings", data });
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const result = await session;
  assert.equal(truncated, 1);
  assert.equal(result.ok, true, result.reason);
  const keys = net.takeKeys(result);
  assert.deepEqual(keys.bob, keys.alice);
  assert.ok(net.rejected.bob.includes("bad_length"), `Bob dropped: ${net.rejected.bob.join(", ")}`);
  assert.ok(net.rejected.bob.includes("replay"), "the honest second copy from the same worker is not taken either");
});

Deno.test("attack: a forged announcement and notification make Bob join nothing; a certified Alice is accepted", async () => {
  await using net = await startTestNetwork(8);
  const { node, messenger } = await stranger(net);
  try {
    const session = newSessionId();
    const self = messenger.self;
    const announcement = {
      session,
      alice: { host: self.host, port: self.port, key: self.key, identity: self.identity },
      keyBits: 256,
      positions: 640,
      sortingRule: "batch order, then ascending position",
    };
    await node.set(sessionKey(session), encode(announcement));
    const bob = await messenger.publicKey(net.bobNode.address);
    await assert.rejects(
      messenger.request(bob, METHOD.notify, { session, seq: 1, keyBits: 256, positions: 640 }),
      /is not a trusted peer/,
    );
    assert.equal(net.bob.session(session), undefined);
    assert.deepEqual(net.rejected.bob, ["untrusted_peer"]);
    // Alice's identity named in the DHT, but the notification signed by the stranger: refused as well.
    await assert.rejects(
      messenger.request(bob, METHOD.collect, { session, seq: 2, batches: [], timeoutMs: 10 }),
      /Bob was not notified/,
    );
  } finally {
    messenger.stop();
  }
  // With an authority instead of pins: Bob accepts an Alice certified as alice, and only as alice.
  const authority = SigningIdentity.generate();
  const aliceIdentity = SigningIdentity.generate();
  const trust = new PeerTrust({ authorityKey: authority.publicKey });
  const peer = (role: "alice" | "bob") => ({
    host: "127.0.0.1",
    port: 1,
    key: new Uint8Array(32),
    identity: aliceIdentity.publicKey,
    certificate: issueRoleCertificate(authority, aliceIdentity.publicKey, role).bytes,
  });
  assert.equal(trust.problem(peer("alice"), "alice"), undefined);
  assert.match(trust.problem(peer("bob"), "alice") ?? "", /certificate is for bob, not alice/);
  assert.match(trust.problem({ ...peer("alice"), identity: new Uint8Array(32) }, "alice") ?? "", /another key/);
  assert.ok(toHex(aliceIdentity.publicKey).length === 64);
});

Deno.test("attack: Alice refuses a Bob she does not trust, before any worker or DHT write", async () => {
  await using net = await startTestNetwork(8);
  const { node, messenger } = await stranger(net);
  try {
    const result = await net.alice.generateKey({ keyBits: 128, bob: node.address });
    assert.equal(result.ok, false);
    assert.equal(result.aborted, true);
    assert.match(result.reason ?? "", /Cannot run a session with Bob: bob .* is not a trusted peer/);
    assert.deepEqual(net.rejected.alice, ["untrusted_peer"]);
    assert.equal(net.alice.keyStore.size, 0);
  } finally {
    messenger.stop();
  }
});
