/**
 * The node under fuzz, in a process of its own so that its memory is measured alone: plain, or secure when
 * CQKD_CLUSTER_KEY holds the cluster keys (legacy compatibility when FUZZ_LEGACY=1). Prints its contact as one
 * JSON line, then answers each "report" line on stdin with its counters and RSS, and stops on "stop".
 */
import { KademliaNode } from "../core/kademlia/mod.ts";
import { CLUSTER_KEY_ENV, parseKeyringEnv } from "../core/security/mod.ts";

const keys = Deno.env.get(CLUSTER_KEY_ENV);
const acceptLegacy = Deno.env.get("FUZZ_LEGACY") === "1";
const warnings: string[] = [];
const node = KademliaNode.start({
  rpcTimeoutMs: 500,
  onWarning: (message) => warnings.push(message),
  ...(keys ? { secure: { keyring: parseKeyringEnv(keys), acceptLegacy } } : {}),
});
console.log(JSON.stringify({ id: node.id.hex, ...node.address }));
for await (const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  if (line.includes("report")) {
    // Measure live memory, not garbage waiting for a collection (the runner starts this with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const { stats } = node.transport;
    console.log(JSON.stringify({
      rssBytes: Deno.memoryUsage().rss,
      heapUsedBytes: Deno.memoryUsage().heapUsed,
      datagramsIn: stats.datagramsIn,
      datagramsOut: stats.datagramsOut,
      dropped: stats.dropped,
      records: node.records.size,
      warnings: warnings.length,
    }));
  }
  if (line.includes("stop")) break;
}
await node.stop();
