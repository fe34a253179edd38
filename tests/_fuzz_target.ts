/**
 * The node under fuzz, in a process of its own so that its memory and CPU are measured alone: a super bootstrap
 * node (so that the bootstrap RPCs are served too) holding at most 1,000 values per sender address, plain, or secure when CQKD_CLUSTER_KEY holds the cluster keys
 * (legacy compatibility when FUZZ_LEGACY=1). Prints its contact as one JSON line, then answers each "cpu" line on
 * stdin with its CPU time so far, each "report" line with its counters and RSS, and stops on "stop".
 */
import { cpuUsage } from "node:process";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { CLUSTER_KEY_ENV, parseKeyringEnv } from "../core/security/mod.ts";
import { BootstrapService } from "../roles/bootstrap/mod.ts";

const keys = Deno.env.get(CLUSTER_KEY_ENV);
const acceptLegacy = Deno.env.get("FUZZ_LEGACY") === "1";
/** Warnings of failed handlers and the like; refused stores are counted apart, in storeRefusals. */
const warnings: string[] = [];
const warn = (message: string) => {
  if (!message.startsWith("Refused to store")) warnings.push(message);
};
const node = KademliaNode.start({
  rpcTimeoutMs: 500,
  role: "super-bootstrap",
  // The fuzz stores to fresh keys from one address: its quota is reached in the warm-up, so the second half
  // measures refused stores, not the memory of values the node was rightly asked to keep.
  maxStoredValuesPerSource: 1000,
  onWarning: warn,
  ...(keys ? { secure: { keyring: parseKeyringEnv(keys), acceptLegacy } } : {}),
});
const service = BootstrapService.attach(node, { tier: "super", onWarning: warn });
const cpuMicros = () => {
  const { user, system } = cpuUsage();
  return user + system;
};
console.log(JSON.stringify({ id: node.id.hex, ...node.address }));
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  for (const line of chunk.split("\n")) {
    if (line === "cpu") console.log(JSON.stringify({ cpuUs: cpuMicros() }));
    if (line === "report") {
      // Measure live memory, not garbage waiting for a collection (the runner starts this with --expose-gc).
      (globalThis as { gc?: () => void }).gc?.();
      const { stats } = node.transport;
      console.log(JSON.stringify({
        rssBytes: Deno.memoryUsage().rss,
        heapUsedBytes: Deno.memoryUsage().heapUsed,
        heapTotalBytes: Deno.memoryUsage().heapTotal,
        cpuUs: cpuMicros(),
        datagramsIn: stats.datagramsIn,
        datagramsOut: stats.datagramsOut,
        requestsOut: stats.requestsOut,
        timeouts: stats.timeouts,
        structures: {
          pendingRequests: node.transport.pendingCount,
          probes: node.transport.probing,
          contacts: node.table.size,
          records: node.records.size,
          handOversQueued: node.replication.pending,
          ...node.envelope?.sizes,
        },
        dropped: stats.dropped,
        records: node.records.size,
        storeRefusals: Object.fromEntries(Object.entries(node.storeRefusals.counts).filter(([, n]) => n > 0)),
        handOversDropped: node.replication.dropped,
        bootstrap: { load: service.load, directory: service.directory().length, refusals: service.refusals },
        warnings: warnings.length,
        firstWarnings: warnings.slice(0, 3),
      }));
    }
    if (line === "stop") {
      await service.stop();
      await node.stop();
      Deno.exit(0);
    }
  }
}
