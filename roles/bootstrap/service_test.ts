import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import { NodeId } from "../../core/kademlia/mod.ts";
import { formatPeer, type Peer, RpcTimeoutError } from "../../core/net/mod.ts";
import { waitFor } from "../../tests/_wait_for.ts";
import { FakeClock, Tree, TREE_HEARTBEAT_MS } from "./_test_util.ts";
import type { BootstrapInfo } from "./info.ts";
import { joinNetwork } from "./join.ts";
import { JoinError } from "./join_error.ts";
import { BOOTSTRAP_RPC, type JoinAnswer } from "./protocol.ts";
import { BootstrapService } from "./service.ts";

/** A client node that sends raw bootstrap RPCs. */
function client(host: NodeHost) {
  const node = host.start();
  const call = (to: Peer, method: string, args: unknown[], timeoutMs = 500) =>
    node.transport.request(to, method, args, { timeoutMs });
  const join = (to: Peer, id: NodeId, role = "worker") =>
    call(to, BOOTSTRAP_RPC.join, [id.bytes, role]) as Promise<JoinAnswer>;
  return { node, call, join };
}

const ids = (infos: BootstrapInfo[]) => infos.map((i) => i.name);

Deno.test("BootstrapService answers cqkd_bootstrap_info with its tier, address, load and capacity", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const service = BootstrapService.attach(node, { tier: "regional", region: "east", name: "regional-1" });
  try {
    const { call } = client(host);
    assert.deepEqual(await call(node.address, BOOTSTRAP_RPC.info, []), {
      tier: "regional",
      region: "east",
      name: "regional-1",
      id: node.id.hex,
      host: "127.0.0.1",
      port: node.address.port,
      load: 0,
      capacity: 250,
    });
    assert.deepEqual(service.info(), await call(node.address, BOOTSTRAP_RPC.info, []));
  } finally {
    await service.stop();
  }
  const other = host.start({ advertisedHost: "127.0.0.9" });
  await using advertised = BootstrapService.attach(other, { tier: "local" });
  assert.deepEqual([advertised.info().host, advertised.info().name], [
    "127.0.0.9",
    `local-${other.id.hex.slice(0, 8)}`,
  ]);
});

Deno.test("BootstrapService.attach() refuses a bad tier, capacity or interval, and a second service", async () => {
  await using host = new NodeHost();
  const node = host.start();
  assert.throws(() => BootstrapService.attach(node, { tier: "mega" as "super" }), RangeError);
  assert.throws(() => BootstrapService.attach(node, { tier: "local", capacity: -1 }), RangeError);
  assert.throws(() => BootstrapService.attach(node, { tier: "local", heartbeatMs: 0 }), RangeError);
  const service = BootstrapService.attach(node, { tier: "local" });
  assert.throws(() => BootstrapService.attach(node, { tier: "local" }), /already registered/);
  await service.stop();
});

Deno.test("BootstrapService heartbeats announce the subtree upward and bring the parent's directory down", async () => {
  await using host = new NodeHost();
  const [top, middle, bottom] = [host.start(), host.start(), host.start()];
  const options = { heartbeatMs: 20 };
  const services = [
    BootstrapService.attach(top, { tier: "super", name: "s", ...options }),
    BootstrapService.attach(middle, { tier: "regional", name: "r", parent: top.address, ...options }),
    BootstrapService.attach(bottom, { tier: "local", name: "l", parent: middle.address, ...options }),
  ];
  try {
    const names = (s: BootstrapService) => s.directory().map((e) => e.name).sort();
    await waitFor(() => names(services[0]!).join() === "l,r", {
      timeoutMs: 2000,
      what: "the super knows its whole subtree",
    });
    await waitFor(() => names(services[2]!).join() === "r,s", {
      timeoutMs: 2000,
      what: "the local knows the tree above",
    });
    const local = services[0]!.directory().find((e) => e.name === "l")!;
    assert.deepEqual({ ...local, lastSeenMs: 0 }, { ...services[2]!.info(), alive: true, lastSeenMs: 0 });
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
});

Deno.test("BootstrapService.announceNow() rejects when the parent does not answer", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 50 });
  const parent = host.start();
  const node = host.start();
  const service = BootstrapService.attach(node, { tier: "local", parent: parent.address });
  await host.stop(parent);
  await assert.rejects(service.announceNow(), RpcTimeoutError);
  await service.stop();
});

Deno.test("cqkd_bootstrap_join admits a joiner once per id, up to capacity, then answers full with alternatives", async () => {
  await using tree = await Tree.build();
  const [l0, l1] = tree.tiers.local as [typeof tree.tiers.local[0], typeof tree.tiers.local[0]];
  const { join } = client(tree.host);
  const first = NodeId.random();
  const accepted = await join(l0.node.address, first);
  assert.equal(accepted.status, "accepted");
  assert.deepEqual(accepted, { status: "accepted", info: l0.service.info(), leaseMs: 600_000 });
  assert.deepEqual(await join(l0.node.address, first), accepted, "a renewal takes no second slot");
  await join(l0.node.address, NodeId.random());
  await join(l0.node.address, NodeId.random());
  assert.equal(l0.service.load, 3);
  const full = await join(l0.node.address, NodeId.random());
  assert.equal(full.status, "full");
  const alternatives = full.status === "full" ? full.to : [];
  assert.deepEqual(alternatives.slice(0, 7).map((i) => i.tier), Array(7).fill("local"), "the other locals first");
  assert.ok(!ids(alternatives).includes("local-0"), "never itself when full");
  assert.equal(l0.service.load, 3);
  assert.equal((await join(l0.node.address, first)).status, "accepted", "an admitted joiner renews even when full");
  assert.equal((await join(l1.node.address, NodeId.random())).status, "accepted");
});

Deno.test("cqkd_bootstrap_join redirects a joiner whose home tier is below and has room", async () => {
  await using tree = await Tree.build();
  const { join } = client(tree.host);
  const s0 = tree.tiers.super[0]!;
  const toLocal = await join(s0.node.address, NodeId.random(), "worker");
  assert.equal(toLocal.status, "redirect");
  assert.deepEqual(toLocal.status === "redirect" && toLocal.to.map((i) => i.tier), [
    ...Array(8).fill("local"),
  ]);
  const toRegional = await join(s0.node.address, NodeId.random(), "alice");
  assert.ok(toRegional.status === "redirect" && toRegional.to[0]!.tier === "regional");
  assert.equal((await join(s0.node.address, NodeId.random(), "regional-bootstrap")).status, "accepted");
  assert.equal(s0.service.load, 4, "super-1, regional-0 and regional-1 joined through it, and this joiner");
});

Deno.test("a full bootstrap is handed out neither by ranked() nor by cqkd_bootstrap_nodes", async () => {
  await using tree = await Tree.build();
  const { call, join } = client(tree.host);
  const [s0, l0] = [tree.tiers.super[0]!, tree.tiers.local[0]!];
  for (let i = 0; i < 3; i++) await join(l0.node.address, NodeId.random());
  await join(tree.tiers.local[1]!.node.address, NodeId.random());
  await tree.heartbeat();
  assert.equal(s0.service.directory().find((e) => e.name === "local-0")!.load, 3);
  const ranked = s0.service.ranked("worker");
  assert.ok(!ids(ranked).includes("local-0"));
  assert.deepEqual(ranked.slice(0, 7).map((i) => i.capacity - i.load), [3, 3, 3, 3, 3, 3, 2], "most spare first");
  assert.deepEqual(ranked.slice(7).map((i) => i.tier), [
    "regional",
    "regional",
    "regional",
    "regional",
    "super",
    "super",
  ]);
  const listed = await call(s0.node.address, BOOTSTRAP_RPC.nodes, ["worker", 100]) as BootstrapInfo[];
  assert.deepEqual(ids(listed), ids(ranked));
  assert.deepEqual(ids(l0.service.ranked("worker", 3)).includes("local-0"), false);
});

Deno.test("cqkd_bootstrap_nodes spreads simultaneous joiners by counting those it already handed out", async () => {
  await using tree = await Tree.build();
  const { call } = client(tree.host);
  const s0 = tree.tiers.super[0]!;
  const heads = await Promise.all(
    Array.from({ length: 16 }, () => call(s0.node.address, BOOTSTRAP_RPC.nodes, ["worker", 2])),
  ) as BootstrapInfo[][];
  const perLocal = new Map<string, number>();
  for (const [head] of heads) perLocal.set(head!.name, (perLocal.get(head!.name) ?? 0) + 1);
  assert.deepEqual([...perLocal.values()], Array(8).fill(2), "each of the 8 locals is handed out twice");
  assert.deepEqual(s0.service.ranked("worker", 1)[0]!.tier, "local", "ranked() itself promises nothing");
});

Deno.test("a dead bootstrap disappears from its parent's ranked list after 3 heartbeats", async () => {
  await using tree = await Tree.build();
  const r3 = tree.tiers.regional[3]!;
  const l7 = tree.tiers.local[7]!;
  await tree.stop(l7);
  for (let beat = 1; beat <= 3; beat++) {
    await tree.heartbeat(TREE_HEARTBEAT_MS);
    assert.equal(ids(r3.service.ranked("worker")).includes("local-7"), beat < 3, `after ${beat} heartbeats`);
  }
  assert.deepEqual(r3.service.directory().find((e) => e.name === "local-7")?.alive, false);
  assert.ok(ids(r3.service.ranked("worker")).includes("local-6"));
});

Deno.test("cqkd_bootstrap_leave frees the joiner's slot, and so does the end of its lease", async () => {
  await using host = new NodeHost();
  const clock = new FakeClock();
  const node = host.start();
  const service = BootstrapService.attach(node, { tier: "local", capacity: 1, leaseMs: 1000, now: clock.now });
  try {
    const { call, join } = client(host);
    const [a, b] = [NodeId.random(), NodeId.random()];
    assert.equal((await join(node.address, a)).status, "accepted");
    assert.equal((await join(node.address, b)).status, "full");
    assert.equal(await call(node.address, BOOTSTRAP_RPC.leave, [a.bytes]), true);
    assert.equal(service.load, 0);
    assert.equal((await join(node.address, b)).status, "accepted");
    assert.deepEqual(service.joiners(), [b.hex]);
    clock.advance(999);
    assert.equal(service.load, 1);
    clock.advance(1);
    assert.equal(service.load, 0, "the lease ended");
    assert.deepEqual(service.joiners(), []);
    assert.equal((await join(node.address, a)).status, "accepted");
    const worker = host.start();
    await assert.rejects(joinNetwork(worker, { seeds: [node.address], role: "worker" }), (error) => {
      assert.ok(error instanceof JoinError);
      assert.equal(error.message, `Cannot join the network: ${formatPeer(node.address)} full: alternatives none`);
      return true;
    });
  } finally {
    await service.stop();
  }
});

Deno.test("malformed cqkd_bootstrap_* requests are dropped as bad arguments and the node keeps serving", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const service = BootstrapService.attach(node, { tier: "local" });
  try {
    const { call } = client(host);
    const id = NodeId.random().bytes;
    const info = service.info();
    const bad: Array<[string, unknown[]]> = [
      [BOOTSTRAP_RPC.info, [1]],
      [BOOTSTRAP_RPC.announce, []],
      [BOOTSTRAP_RPC.announce, [{ ...info, tier: "mega" }, []]],
      [BOOTSTRAP_RPC.announce, [info, "children"]],
      [BOOTSTRAP_RPC.nodes, ["worker"]],
      [BOOTSTRAP_RPC.nodes, ["wizard", 3]],
      [BOOTSTRAP_RPC.nodes, ["worker", 0]],
      [BOOTSTRAP_RPC.nodes, ["worker", 1.5]],
      [BOOTSTRAP_RPC.join, [new Uint8Array(3), "worker"]],
      [BOOTSTRAP_RPC.join, [id, 7]],
      [BOOTSTRAP_RPC.join, [id]],
      [BOOTSTRAP_RPC.leave, ["abc"]],
    ];
    const answers = await Promise.allSettled(bad.map(([method, args]) => call(node.address, method, args, 100)));
    assert.deepEqual(
      answers.map((a) => a.status === "rejected" && a.reason instanceof RpcTimeoutError),
      bad.map(() => true),
    );
    assert.equal(node.transport.stats.dropped["bad-arguments"], bad.length);
    assert.equal(node.transport.stats.dropped["handler-error"], 0);
    assert.equal(service.load, 0);
    assert.equal(service.directory().length, 0);
    assert.deepEqual(await call(node.address, BOOTSTRAP_RPC.info, []), service.info());
    assert.equal(((await call(node.address, BOOTSTRAP_RPC.join, [id, "worker"])) as JoinAnswer).status, "accepted");
  } finally {
    await service.stop();
  }
});
