/** joinNetwork() with `retry`: passes again over the addresses while the failures are load, up to a deadline. */
import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { deadPort } from "./_test_util.ts";
import type { BootstrapInfo } from "./info.ts";
import { joinNetwork } from "./join.ts";
import { JoinError } from "./join_error.ts";
import { BOOTSTRAP_RPC } from "./protocol.ts";
import { BootstrapService } from "./service.ts";

const FAST_RETRY = { minDelayMs: 5, maxDelayMs: 20 };

function infoOf(node: KademliaNode, name: string): BootstrapInfo {
  return { tier: "local", region: "", name, id: node.id.hex, ...node.address, load: 50, capacity: 50 };
}

/** A bootstrap that answers "full" to the first `fullTimes` joins, then admits. */
function fillsUp(node: KademliaNode, fullTimes: number, alternatives: BootstrapInfo[] = []): { asked: number } {
  const seen = { asked: 0 };
  node.rpc.register(BOOTSTRAP_RPC.join, () => {
    seen.asked++;
    if (seen.asked <= fullTimes) return { status: "full", to: alternatives };
    return { status: "accepted", info: infoOf(node, "late-room"), leaseMs: 60_000 };
  });
  node.rpc.register(BOOTSTRAP_RPC.leave, () => true);
  return seen;
}

Deno.test("joinNetwork() with retry passes again after 'full' answers and is admitted once there is room", async () => {
  await using host = new NodeHost();
  const bootstrap = host.start();
  const seen = fillsUp(bootstrap, 3);
  const plan = { seeds: [bootstrap.address], role: "worker", retry: { deadlineMs: 10_000, ...FAST_RETRY } };
  await using attachment = await joinNetwork(host.start(), plan);
  assert.equal(seen.asked, 4);
  assert.deepEqual(attachment.attempts.map((a) => a.outcome), ["full", "full", "full", "accepted"]);
  assert.deepEqual(attachment.attachedTo, infoOf(bootstrap, "late-room"));
});

Deno.test("joinNetwork() with retry follows the redirects again on every pass", async () => {
  await using host = new NodeHost();
  const local = host.start();
  const top = host.start();
  // The super sends everyone on to the local, which has room from its third request on.
  top.rpc.register(BOOTSTRAP_RPC.join, () => ({ status: "redirect", to: [infoOf(local, "local-1")] }));
  const seen = fillsUp(local, 2);
  const plan = { seeds: [top.address], role: "worker", retry: { deadlineMs: 10_000, ...FAST_RETRY } };
  await using attachment = await joinNetwork(host.start(), plan);
  assert.equal(seen.asked, 3);
  assert.deepEqual(
    attachment.attempts.map((a) => a.outcome),
    ["redirect", "full", "redirect", "full", "redirect", "accepted"],
  );
});

Deno.test("joinNetwork() with retry rides out a bootstrap that starts late, over real UDP", async () => {
  await using host = new NodeHost();
  const port = deadPort();
  const joiner = host.start();
  const joining = joinNetwork(joiner, {
    seeds: [{ host: "127.0.0.1", port }],
    role: "worker",
    attemptTimeoutMs: 50,
    retry: { deadlineMs: 20_000, ...FAST_RETRY },
  });
  // Nothing listens yet: the first passes time out; the bootstrap then comes up on that very port.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const late = host.start({ port });
  await using _service = BootstrapService.attach(late, { tier: "local" });
  await using attachment = await joining;
  assert.ok(attachment.attempts.length >= 2);
  assert.ok(attachment.attempts.slice(0, -1).every((a) => a.outcome === "timeout"));
  assert.equal(attachment.attempts.at(-1)!.outcome, "accepted");
  assert.equal((attachment.attachedTo as BootstrapInfo).id, late.id.hex);
  assert.ok(joiner.table.get(late.id) !== undefined, "the Kademlia join went through the late bootstrap");
});

Deno.test("joinNetwork() with retry gives up at its deadline, saying how often and how long it tried", async () => {
  await using host = new NodeHost();
  const bootstrap = host.start();
  const seen = fillsUp(bootstrap, Infinity);
  const plan = { seeds: [bootstrap.address], role: "worker", retry: { deadlineMs: 150, ...FAST_RETRY } };
  await assert.rejects(joinNetwork(host.start(), plan), (error) => {
    assert.ok(error instanceof JoinError);
    assert.ok(error.passes !== undefined && error.passes.passes === seen.asked && seen.asked >= 2, `${seen.asked}`);
    assert.match(error.message, /^Cannot join the network after \d+ tries in \d+\.\d s: 127\.0\.0\.1:\d+ full/);
    assert.equal(error.attempts.length, 1, "the last pass's attempts");
    return true;
  });
});

Deno.test("joinNetwork() does not retry what waiting cannot fix, and stops retrying when aborted", async () => {
  await using host = new NodeHost();
  const retry = { deadlineMs: 60_000, ...FAST_RETRY };
  await assert.rejects(
    joinNetwork(host.start(), { seeds: [], role: "worker", retry }),
    (error) => error instanceof JoinError && error.passes === undefined,
  );
  const bootstrap = host.start();
  fillsUp(bootstrap, Infinity);
  const controller = new AbortController();
  const joining = joinNetwork(host.start(), { seeds: [bootstrap.address], role: "worker", retry }, {
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(new Error("enough")), 50);
  await assert.rejects(joining, /^Error: enough$/);
});
