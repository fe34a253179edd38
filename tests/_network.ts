import type { NodeHost } from "../core/host.ts";
import type { KademliaNode, KademliaNodeOptions } from "../core/kademlia/mod.ts";

/** Starts `count` nodes on `host`, each but the first joined through the first, one after the other. */
export async function joinedNodes(
  host: NodeHost,
  count: number,
  options: KademliaNodeOptions = {},
): Promise<KademliaNode[]> {
  const nodes = [host.start(options)];
  for (let i = 1; i < count; i++) {
    const node = host.start(options);
    await node.bootstrap([nodes[0]!.address]);
    // The nodes met take the joiner in once it answered their address probe, a round trip after its requests.
    await host.settled();
    nodes.push(node);
  }
  return nodes;
}
