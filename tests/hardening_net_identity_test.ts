/**
 * Attack: identity replay against nodes bound to 0.0.0.0 (every container and pod). Such a node used to certify
 * "any host" on its port; an insider on another host, on the same port (Kubernetes replicas share one), copied
 * the certificate from one of its answers and presented it as its own: the receiver bound the victim's node id
 * to the impostor's address. Run on real hosts (Linux network namespaces, root); skipped elsewhere with the reason.
 */
import assert from "node:assert/strict";
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { ClusterKeyring, formatKeyringEnv } from "../core/security/mod.ts";
import { type Host, netnsUnsupported, TestNetwork } from "./_netns.ts";

const unsupported = await netnsUnsupported();
if (unsupported) console.warn(`skipping the identity replay test: ${unsupported}`);
const ACTOR = new URL("./_hardening_net_actor.ts", import.meta.url).pathname;

/** Runs the actor script in `host` with `args`; resolves with the process and its first JSON line. */
async function actor(host: Host, args: string[], keepStdin = false) {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", host.namespace, Deno.execPath(), "run", "-A", ACTOR, ...args],
    stdin: keepStdin ? "piped" : "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The ${args[0]} in ${host.name} ended without a result`);
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { child, result: JSON.parse(text.slice(0, text.indexOf("\n"))) };
}

Deno.test({
  name: "A certificate copied from a node bound to 0.0.0.0 proves nothing from another host on the same port",
  ignore: unsupported !== undefined,
  async fn() {
    await using net = await TestNetwork.create(2);
    const [victimHost, impostorHost] = net.hosts as [Host, Host];
    const keyring = ClusterKeyring.generate();
    const keys = formatKeyringEnv(keyring);
    await using target = KademliaNode.start({ host: net.gateway, secure: { keyring }, rpcTimeoutMs: 1000 });
    const targetAt = `${net.gateway}:${target.address.port}`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const victim = await actor(victimHost, ["victim", keys, String(port), targetAt], true);
    try {
      const victimId = NodeId.fromHex(victim.result.id);
      assert.ok(target.transport.proves({ host: victimHost.address, port }, victimId.bytes), "the victim joined");

      const { result } = await actor(impostorHost, [
        "impostor",
        keys,
        String(port),
        `${victimHost.address}:${port}`,
        targetAt,
      ]);
      assert.equal(result.victimId, victimId.hex);
      const impostorAt = { host: impostorHost.address, port };
      assert.equal(target.transport.proves(impostorAt, victimId.bytes), false, "the impostor proved the victim's id");
      assert.equal(result.answered, false, "the target answered the impostor");
      assert.equal(target.table.get(victimId)?.host, victimHost.address, "the victim's contact kept its address");
      assert.ok(target.transport.stats.dropped["forged-id"] >= 1);
    } finally {
      await victim.child.stdin.close();
      await victim.child.status;
    }
  },
});
