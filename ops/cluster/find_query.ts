import pMap from "p-map";
import { NodeId } from "../../core/kademlia/mod.ts";
import { NotFoundError } from "../admin/mod.ts";
import type { Fleet } from "./fleet.ts";

/** Options of {@linkcode findAll}. */
export interface FindAllOptions {
  signal?: AbortSignal;
  /** Lookups at a time. @default {16} */
  concurrency?: number;
}

/**
 * The verification query of a host: looks up each id from the fleet's node `from`; an id counts as found when the
 * lookup reaches the node with that id.
 * @throws {NotFoundError} when `from` is not a running node of this host
 */
export async function findAll(
  fleet: Fleet,
  from: string,
  ids: readonly string[],
  options: FindAllOptions = {},
): Promise<{ found: number; missing: string[] }> {
  const node = fleet.node(from);
  if (node === undefined) throw new NotFoundError(`No running node named ${from} on this host`);
  const missing: string[] = [];
  await pMap(ids, async (hex) => {
    const found = await node.locate(NodeId.fromHex(hex), { signal: options.signal }).catch(() => undefined);
    if (found === undefined) missing.push(hex);
  }, { concurrency: options.concurrency ?? 16 });
  return { found: ids.length - missing.length, missing };
}
