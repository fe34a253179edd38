import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import { formatPeer } from "../../core/net/mod.ts";
import { waitFor } from "../../tests/_wait_for.ts";
import { ATTEMPT_TIMEOUT_MS, deadPort, Tree } from "./_test_util.ts";
import type { BootstrapInfo } from "./info.ts";
import { joinNetwork, MAX_REDIRECT_HOPS } from "./join.ts";
import { type JoinAttempt, JoinError } from "./join_error.ts";
import { BOOTSTRAP_RPC } from "./protocol.ts";
import { BootstrapService } from "./service.ts";

const outcomes = (attempts: JoinAttempt[]) => attempts.map((a) => `${a.tier ?? "?"} ${a.outcome}`);
const attachedName = (attachedTo: BootstrapInfo | { host: string }) => "name" in attachedTo ? attachedTo.name : "";

Deno.test("joinNetwork() attaches a worker to a local bootstrap, entering through a super", async () => {
  await using tree = await Tree.build();
  const seen: JoinAttempt[] = [];
  const node = tree.host.start();
  await using attachment = await joinNetwork(node, { seeds: tree.seeds(), role: "worker" }, {
    onAttempt: (a) => seen.push(a),
  });
  assert.deepEqual(attachment.entry, { ...tree.tiers.super[0]!.node.address, tier: "super" });
  assert.equal(attachment.fallback, false);
  assert.ok(!attachment.fallback && "tier" in attachment.attachedTo && attachment.attachedTo.tier === "local");
  assert.deepEqual(outcomes(attachment.attempts), ["super redirect", "local accepted"]);
  assert.deepEqual(seen, attachment.attempts);
  const local = tree.tiers.local.find((b) => b.service.name === attachedName(attachment.attachedTo))!;
  assert.equal(local.service.load, 1);
  assert.ok(local.node.table.get(node.id) !== undefined, "the Kademlia join went through the local");
  assert.ok(attachment.contacts >= 2 && attachment.contacts === node.table.size);
  await attachment.leave();
  await attachment.leave();
  assert.equal(local.service.load, 0, "leave() frees the slot, once");
});

Deno.test("joinNetwork() spreads workers over the locals and never exceeds their capacity", async () => {
  await using tree = await Tree.build();
  const s0 = tree.tiers.super[0]!;
  const loads = () => tree.tiers.local.map((b) => b.service.load);
  // One at a time, with heartbeats: each goes to the local with most spare capacity.
  for (let i = 0; i < 8; i++) {
    const best = s0.service.ranked("worker", 1)[0]!;
    const attachment = await tree.worker();
    assert.equal(attachedName(attachment.attachedTo), best.name, `worker ${i}`);
    await tree.heartbeat();
  }
  assert.deepEqual(loads(), Array(8).fill(1));
  // All at once, with no heartbeat in between: the promises spread them out.
  const crowd = await Promise.all(Array.from({ length: 20 }, () => tree.worker()));
  assert.ok(loads().every((load) => load <= 3), `local loads ${loads()}`);
  assert.equal(loads().reduce((a, b) => a + b), 24, "every local slot is taken");
  const elsewhere = crowd.filter((a) => "tier" in a.attachedTo && a.attachedTo.tier !== "local");
  assert.equal(elsewhere.length, 4, "the overflow is admitted by the tiers above");
});

Deno.test("joinNetwork() enters through a regional when every super is down", async () => {
  await using tree = await Tree.build();
  await tree.stopTier("super");
  const attachment = await tree.worker();
  assert.equal(attachment.entry.tier, "regional");
  assert.deepEqual(outcomes(attachment.attempts), [
    "super timeout",
    "super timeout",
    "regional redirect",
    "local accepted",
  ]);
  assert.equal(attachment.attempts[0]!.detail, `no answer within ${ATTEMPT_TIMEOUT_MS} ms`);
});

Deno.test("joinNetwork() enters through a local when the super and regional tiers are down", async () => {
  await using tree = await Tree.build();
  await tree.stopTier("super");
  await tree.stopTier("regional");
  const attachment = await tree.worker();
  assert.deepEqual(attachment.entry, { ...tree.tiers.local[0]!.node.address, tier: "local" });
  assert.deepEqual(attachedName(attachment.attachedTo), "local-0");
  const down = [...Array(2).fill("super timeout"), ...Array(4).fill("regional timeout")];
  assert.deepEqual(outcomes(attachment.attempts), [...down, "local accepted"]);
});

Deno.test("joinNetwork() joins through the fallback list when every tier is down", async () => {
  await using tree = await Tree.build();
  const plain = tree.host.start();
  const seeds = tree.seeds().filter((_, i, all) => i === 0 || all[i - 1]!.tier !== all[i]!.tier);
  assert.deepEqual(seeds.map((s) => s.tier), ["super", "regional", "local"]);
  for (const tier of ["super", "regional", "local"] as const) await tree.stopTier(tier);
  const attachment = await tree.worker(seeds, [plain.address]);
  assert.equal(attachment.fallback, true);
  assert.deepEqual(attachment.attachedTo, plain.address);
  assert.deepEqual(attachment.entry, plain.address);
  assert.equal(attachment.contacts, 1);
  assert.deepEqual(outcomes(attachment.attempts), [
    "super timeout",
    "regional timeout",
    "local timeout",
    "? timeout",
    "? accepted",
  ]);
  assert.match(attachment.attempts.at(-2)!.detail!, /answers ping but not cqkd_bootstrap_join/);
});

Deno.test("joinNetwork() joins through plain DHT seeds that do not speak the bootstrap RPCs", async () => {
  await using host = new NodeHost();
  const legacy = host.start();
  const node = host.start();
  const attachment = await joinNetwork(node, { seeds: [legacy.address], role: "worker", attemptTimeoutMs: 100 });
  assert.deepEqual(attachment.attachedTo, legacy.address);
  assert.equal(attachment.fallback, false);
  assert.ok(legacy.table.get(node.id) !== undefined);
  await attachment.leave();
});

Deno.test("joinNetwork() throws JoinError naming every address tried when nothing answers", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const [a, b, c] = [deadPort(), deadPort(), deadPort()].map((port) => ({ host: "127.0.0.1", port }));
  const plan = { seeds: [{ ...a!, tier: "super" as const }, b!, node.address], fallback: [c!, a!], role: "worker" };
  await assert.rejects(joinNetwork(node, { ...plan, attemptTimeoutMs: 50 }), (error) => {
    assert.ok(error instanceof JoinError);
    assert.equal(
      error.message,
      `Cannot join the network: ${formatPeer(a!)} (super) timeout: no answer within 50 ms; ` +
        `${formatPeer(b!)} timeout: no answer within 50 ms; ${formatPeer(c!)} timeout: no answer within 50 ms`,
    );
    assert.deepEqual(error.attempts.map((t) => t.peer), [a, b, c], "never itself, never twice");
    return true;
  });
  await assert.rejects(joinNetwork(node, { seeds: [], role: "worker" }), /^JoinError: .*no bootstrap address to try/);
  await assert.rejects(joinNetwork(node, { seeds: [], role: "wizard" }), RangeError);
});

Deno.test("joinNetwork() follows at most MAX_REDIRECT_HOPS redirects and never revisits an address", async () => {
  await using host = new NodeHost();
  // A chain of nodes, each redirecting to the next and back to the first.
  const chain = Array.from({ length: MAX_REDIRECT_HOPS + 2 }, () => host.start());
  const info = (i: number): BootstrapInfo => ({
    tier: "local",
    region: "",
    name: `hop-${i}`,
    id: chain[i]!.id.hex,
    ...chain[i]!.address,
    load: 0,
    capacity: 1,
  });
  chain.forEach((node, i) => {
    const to = i + 1 < chain.length ? [info(0), info(i + 1)] : [];
    node.rpc.register(BOOTSTRAP_RPC.join, () => ({ status: "redirect", to }));
  });
  const node = host.start();
  await assert.rejects(joinNetwork(node, { seeds: [chain[0]!.address], role: "worker" }), (error) => {
    assert.ok(error instanceof JoinError);
    assert.deepEqual(error.attempts.map((a) => a.detail), [0, 1, 2, 3].map((i) => `to hop-0, hop-${i + 1}`));
    return true;
  });
  assert.equal(chain.at(-1)!.transport.stats.requestsIn, 0);
});

Deno.test("joinNetwork() renews the lease until leave() and stops when aborted", async () => {
  await using host = new NodeHost();
  const bootstrap = host.start();
  const service = BootstrapService.attach(bootstrap, { tier: "local", leaseMs: 60 });
  try {
    const attachment = await joinNetwork(host.start(), { seeds: [bootstrap.address], role: "worker" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(service.load, 1, "renewed every 30 ms");
    await attachment.leave();
    assert.equal(service.load, 0);
    const controller = new AbortController();
    const dead = { host: "127.0.0.1", port: deadPort() };
    const joining = joinNetwork(host.start(), { seeds: [dead], role: "worker", attemptTimeoutMs: 10_000 }, {
      signal: controller.signal,
    });
    controller.abort(new Error("enough"));
    await assert.rejects(joining, /^Error: enough$/);
  } finally {
    await service.stop();
  }
});

Deno.test("joinNetwork() releases the slot of a bootstrap whose answer came too late", async () => {
  await using host = new NodeHost();
  const slow = host.start();
  const held = new Set<string>();
  // Admits at once, but its answer is late.
  slow.rpc.register(BOOTSTRAP_RPC.join, async ([id]) => {
    held.add(String(id));
    await new Promise((resolve) => setTimeout(resolve, 60));
    return { status: "accepted", info: {}, leaseMs: 1000 };
  });
  slow.rpc.register(BOOTSTRAP_RPC.leave, ([id]) => held.delete(String(id)));
  const local = host.start();
  await using service = BootstrapService.attach(local, { tier: "local" });
  const node = host.start();
  const plan = { seeds: [slow.address, local.address], role: "worker", attemptTimeoutMs: 30 };
  await using attachment = await joinNetwork(node, plan);
  assert.deepEqual(outcomes(attachment.attempts), ["? timeout", "? accepted"]);
  assert.equal(service.load, 1);
  await waitFor(() => held.size === 0, { timeoutMs: 2000, what: "the late slot is released" });
});
