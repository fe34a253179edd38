/** The multi-host harness itself: hosts reach each other, a partition cuts and heals, nothing is left behind. */
import assert from "node:assert/strict";
import { netnsUnsupported, TestNetwork } from "./_netns.ts";

const unsupported = await netnsUnsupported();
if (unsupported) console.warn(`skipping the network namespace tests: ${unsupported}`);

async function ipOutput(...args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command("ip", { args, stdin: "null" }).output();
  return new TextDecoder().decode(stdout);
}

/** Whether the test process gets an answer from `url` within `timeoutMs`. */
async function reachable(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "TestNetwork runs nodes on hosts of their own, partitions and heals them, and removes everything it made",
  ignore: unsupported !== undefined,
  async fn() {
    const net = await TestNetwork.create(2, { prefix: "cqkdh" });
    const [first, second] = net.hosts as [typeof net.hosts[0], typeof net.hosts[0]];
    try {
      assert.notEqual(first.address, second.address);
      assert.match(first.address, /^10\.213\.\d+\.10$/);
      const common = (host: typeof first) => ["--host", host.address, "--set", `admin_host=${host.address}`];
      const seed = first.node(["super-bootstrap", ...common(first), "--bootstrap", `${first.address}:1`]);
      const seedEvents = [await seed.event()];
      while (seedEvents.at(-1)!.event !== "ready") seedEvents.push(await seed.event());
      const worker = second.node(["worker", ...common(second), "--bootstrap", `${first.address}:5678`]);
      const workerEvents = [await worker.event()];
      while (workerEvents.at(-1)!.event !== "ready") workerEvents.push(await worker.event());
      assert.equal(workerEvents.find((e) => e.event === "joined")?.attachedTo, "super-bootstrap");
      const admin = workerEvents.find((e) => e.event === "listening")!.admin as string;
      assert.ok(admin.startsWith(`http://${second.address}:`), admin);
      assert.ok(await reachable(`${admin}/health`), "the test process reaches a host's admin API");

      await net.partition([second]);
      assert.equal(await reachable(`${admin}/health`), false, "a cut host is out of reach");
      const [inside] = await second.fetchAll([{ url: `${admin}/health` }]);
      assert.equal(inside?.status, 200, "but reachable from inside");
      await net.heal();
      assert.ok(await reachable(`${admin}/health`, 5000), "healed");

      await second.crash();
      assert.equal(await reachable(`${admin}/health`), false, "a crashed host's node is gone");
    } finally {
      await net.destroy();
    }
    assert.ok(!(await ipOutput("netns", "list")).includes(net.id), "every namespace is deleted");
    assert.ok(!(await ipOutput("-o", "link")).includes(`cqt${net.id}`), "the test process's leg is deleted");
  },
});
