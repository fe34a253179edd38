/**
 * Filling and poisoning a bootstrap node, on real nodes over UDP on 127.0.0.0/8: joins under made-up ids, leaves
 * of other joiners' slots, announces of made-up bootstrap nodes, and a request flood; in plain and secure mode.
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import { RpcTimeoutError } from "../core/net/mod.ts";
import { ClusterKeyring } from "../core/security/mod.ts";
import { BOOTSTRAP_RPC, BootstrapService, type JoinAnswer } from "../roles/bootstrap/mod.ts";

const fakeLocal = (i: number) => ({
  tier: "local",
  region: "",
  name: `fake-${i}`,
  id: NodeId.random().hex,
  host: "127.0.0.66",
  port: 4000 + i,
  load: 0,
  capacity: 1_000_000,
});

Deno.test("Plain mode: one address cannot fill a bootstrap node, free others' slots, or flood its directory", async () => {
  await using host = new NodeHost();
  const superNode = host.start({ role: "super-bootstrap" });
  await using service = BootstrapService.attach(superNode, { tier: "super", capacity: 100 });
  const attacker = host.start({ host: "127.0.0.2" });
  const honest = host.start({ host: "127.0.0.3" });
  const call = (method: string, args: unknown[]) =>
    attacker.transport.request(superNode.address, method, args, { timeoutMs: 2000 });

  // 100 joins under random ids from one address: a quarter of the capacity at most.
  const answers = [];
  for (let i = 0; i < 100; i++) answers.push(await call(BOOTSTRAP_RPC.join, [NodeId.random().bytes, "worker"]));
  const accepted = answers.filter((a) => (a as JoinAnswer).status === "accepted").length;
  assert.equal(accepted, 25);
  assert.equal(service.refusals["source-full"], 75);
  const joined = await honest.transport.request(superNode.address, BOOTSTRAP_RPC.join, [honest.id.bytes, "worker"]);
  assert.equal((joined as JoinAnswer).status, "accepted", "an honest joiner still gets a slot");

  // A leave of the honest joiner's id from another address does not free its slot.
  assert.equal(await call(BOOTSTRAP_RPC.leave, [honest.id.bytes]), true);
  assert.ok(service.joiners().includes(honest.id.hex), "the honest slot survives");
  assert.equal(service.refusals["not-holder"], 1);

  // Announces of 200 made-up bootstrap nodes from one address: 64 directory entries at most.
  for (let i = 0; i < 200; i += 20) {
    await call(BOOTSTRAP_RPC.announce, [fakeLocal(i), Array.from({ length: 19 }, (_, j) => fakeLocal(i + j + 1))]);
  }
  assert.equal(service.directory().length, 64);
  assert.equal(service.refusals["directory-full"], 200 - 64);
});

Deno.test("Plain mode: a request flood from one address is cut to its rate; other addresses are served", async () => {
  await using host = new NodeHost();
  const superNode = host.start({ role: "super-bootstrap" });
  await using service = BootstrapService.attach(superNode, { tier: "super", limits: { ratePerS: 1, burst: 50 } });
  const attacker = host.start({ host: "127.0.0.2" });
  const flood = await Promise.allSettled(
    Array.from(
      { length: 200 },
      () => attacker.transport.request(superNode.address, BOOTSTRAP_RPC.info, [], { timeoutMs: 1000 }),
    ),
  );
  const served = flood.filter((r) => r.status === "fulfilled").length;
  assert.ok(served >= 50 && served <= 52, `${served} of 200 answered`);
  assert.ok(flood.every((r) => r.status === "fulfilled" || r.reason instanceof RpcTimeoutError));
  assert.ok(service.refusals["rate-limited"] >= 148);
  const honest = host.start({ host: "127.0.0.3" });
  const info = await honest.transport.request(superNode.address, BOOTSTRAP_RPC.info, []);
  assert.equal((info as { tier: string }).tier, "super");
});

Deno.test("Secure mode: a member announces, joins and leaves only as the id it proved", async () => {
  await using host = new NodeHost({ secure: { keyring: ClusterKeyring.generate() } });
  const superNode = host.start({ role: "super-bootstrap" });
  await using service = BootstrapService.attach(superNode, { tier: "super" });
  const insider = host.start({ host: "127.0.0.2" });
  const honest = host.start({ host: "127.0.0.3" });
  const call = (method: string, args: unknown[]) =>
    insider.transport.request(superNode.address, method, args, { timeoutMs: 300 });

  const joined = await honest.transport.request(superNode.address, BOOTSTRAP_RPC.join, [honest.id.bytes, "worker"]);
  assert.equal((joined as JoinAnswer).status, "accepted");
  await assert.rejects(call(BOOTSTRAP_RPC.join, [NodeId.random().bytes, "worker"]), RpcTimeoutError);
  await assert.rejects(call(BOOTSTRAP_RPC.leave, [honest.id.bytes]), RpcTimeoutError);
  await assert.rejects(call(BOOTSTRAP_RPC.announce, [fakeLocal(1), []]), RpcTimeoutError);
  assert.deepEqual(service.joiners(), [honest.id.hex]);
  assert.deepEqual(service.directory(), []);
  assert.equal(service.refusals.unproven, 3);
  // Under its own id the insider is an ordinary member.
  const own = await call(BOOTSTRAP_RPC.join, [insider.id.bytes, "worker"]);
  assert.equal((own as JoinAnswer).status, "accepted");
  await call(BOOTSTRAP_RPC.announce, [{ ...fakeLocal(2), id: insider.id.hex }, []]);
  assert.deepEqual(service.directory().map((e) => e.id), [insider.id.hex]);
});
