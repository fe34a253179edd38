/**
 * Faults across hosts (issue 9): real `cqkd node` processes on hosts that are Linux network namespaces, through a
 * host crash, a partition and its heal, the loss of the super tier's host, and a lossy, slow network. Needs root;
 * elsewhere the tests are skipped with the reason.
 */
import assert from "node:assert/strict";
import { type ClusterNode, FaultCluster } from "./_fault_cluster.ts";
import { waitFor } from "./_wait_for.ts";
import { netnsUnsupported } from "./_netns.ts";

const unsupported = await netnsUnsupported();
if (unsupported) console.warn(`skipping the multi-host fault tests: ${unsupported}`);

/** Stores `count` values named `prefix-i` through `node`; each must reach more than one node. */
async function storeValues(node: ClusterNode, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const replicas = await node.put(keys);
  keys.forEach((key, i) => assert.ok(replicas[i]! >= 2, `${key} reached ${replicas[i]} node(s) through ${node.name}`));
  return keys;
}

/** Stores `count` values through `node` during a cut: each must soon be held by some node of its side. */
async function storeDuringCut(node: ClusterNode, prefix: string, count: number, inside = false): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const nowhere = await node.putUntilHeld(keys, inside);
  assert.deepEqual(nowhere, [], `stored through ${node.name} on no node`);
  return keys;
}

/** Asserts that `node` reads every one of `keys` with its value. */
async function assertReads(node: ClusterNode, keys: readonly string[], inside = false): Promise<void> {
  const found = await node.found(keys, inside);
  assert.deepEqual(keys.filter((key) => !found.has(key)), [], `values ${node.name} on ${node.host.name} cannot read`);
}

Deno.test({
  name: "cqkd across hosts: survives a partition and its heal, a worker host's crash and the super tier's loss",
  ignore: unsupported !== undefined,
  async fn(t) {
    await using cluster = await FaultCluster.start();
    const [, , cutWorkers] = cluster.workerHosts as [never, never, typeof cluster.workerHosts[0]];
    const before = await storeValues(cluster.alice, "before", 20);

    await t.step(
      "2. both sides of a partition serve what they hold; after the heal, routes and key exchange",
      async () => {
        const cut = [cutWorkers, cluster.bobHost];
        const [insider] = cluster.nodesOn([cutWorkers]);
        const outsider = cluster.workers.find((w) => w.host === cluster.workerHosts[0])!;
        let onA: string[], onB: string[];
        await cluster.net.partition(cut);
        try {
          onA = await storeDuringCut(cluster.alice, "side-a", 5);
          onB = await storeDuringCut(cluster.bob, "side-b", 5, true);
          await assertReads(outsider, onA);
          await assertReads(insider!, onB, true);
        } finally {
          await cluster.net.heal();
        }

        const cutAddresses = new Set(cut.map((host) => host.address));
        const otherAddresses = new Set(cluster.net.hosts.filter((h) => !cut.includes(h)).map((h) => h.address));
        const crosses = async (node: ClusterNode, across: Set<string>) =>
          [...await node.contactHosts()].some((host) => across.has(host));
        await waitFor(
          async () => await crosses(cluster.alice, cutAddresses) && await crosses(cluster.bob, otherAddresses),
          { timeoutMs: 30_000, everyMs: 500, what: "routing tables hold contacts across the former cut again" },
        ).catch(async (error) => {
          const tables = `alice: ${[...await cluster.alice.contactHosts()]}; bob: ${[
            ...await cluster.bob.contactHosts(),
          ]}`;
          throw new Error(`${error.message} (${tables})`, { cause: error });
        });
        const exchange = await cluster.exchange(128);
        assert.ok(exchange.ok, exchange.reason);
        assert.ok(exchange.aliceFingerprint);
        assert.equal(exchange.bobFingerprint, exchange.aliceFingerprint, "Alice and Bob hold the same key");
        // What each side wrote during the cut reaches the other side's holders (hand-over to contacts back).
        const readsAll = async (node: ClusterNode, keys: readonly string[]) =>
          (await node.found(keys)).size === keys.length;
        await waitFor(() => readsAll(outsider, onB), {
          timeoutMs: 30_000,
          everyMs: 500,
          what: "side A reads what side B wrote",
        });
        await assertReads(insider!, onA);
      },
    );

    await t.step("1. after a worker host crashes, lookups succeed and no replicated value is lost", async () => {
      const crashed = cluster.workerHosts[0]!;
      await crashed.crash();
      const survivor = cluster.workers.find((w) => w.host === cluster.workerHosts[1])!;
      await assertReads(cluster.bob, before);
      await assertReads(survivor, before);
    });

    await t.step("3. with the super tier's host down, a new worker joins through the regional tier", async () => {
      await cluster.superHost.crash();
      const joiner = await cluster.startNode(cluster.workerHosts[1]!, "worker", "late-joiner", cluster.seeds);
      const regionalNames = cluster.regionals.map((node) => node.name);
      assert.ok(regionalNames.includes(joiner.attachedTo!), `admitted by ${joiner.attachedTo}`);
      await assertReads(joiner, before);
    });
  },
});

Deno.test({
  name: "cqkd across hosts: with 5 % loss and 50 ms delay on every node, a key exchange completes and agrees",
  ignore: unsupported !== undefined,
  async fn() {
    await using cluster = await FaultCluster.start({
      supers: 1,
      regionals: 1,
      workerHosts: 2,
      workersPerHost: 5,
      settings: ["fault_drop_probability=0.05", "fault_delay_ms=50"],
    });
    const exchange = await cluster.exchange(128);
    assert.ok(exchange.ok, exchange.reason);
    assert.ok(exchange.aliceFingerprint);
    assert.equal(exchange.bobFingerprint, exchange.aliceFingerprint, "Alice and Bob hold the same key");
  },
});
