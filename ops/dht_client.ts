import { nodeOptionsFrom, type Settings } from "../core/config/mod.ts";
import { BootstrapError, type DhtValue, KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { toHex } from "../core/bytes.ts";
import { formatPeer, parsePeer, type Peer, ResolveError, resolvePeer, RpcTimeoutError } from "../core/net/mod.ts";
import { CommandError, EXIT } from "./exit_codes.ts";
import { secureNodeOptions } from "./secure_mode.ts";
import { bootstrapSeeds } from "./seeds.ts";

/** How `dht put` reads its value argument. */
export const VALUE_TYPES = ["string", "number", "boolean", "json", "hex"] as const;
export type ValueType = typeof VALUE_TYPES[number];

/** What a `dht` subcommand prints: a line for a person and an object for `--json`, plus the exit code. */
export interface ClientOutput {
  text: string;
  json: Record<string, unknown>;
  exitCode: number;
}

/** What every `dht` subcommand is given: the settings in force and how long it may take in all. */
export interface ClientContext {
  settings: Settings;
  /** Seconds before the command gives up. */
  timeoutS: number;
}

/**
 * Runs `action` on a short-lived client node (ephemeral port), after pinging the bootstrap nodes unless
 * `bootstrap` is false, then stops it. The whole command is bounded by the context's timeout.
 * @throws {CommandError} (exit code 2) when the time runs out or no node answers
 */
export async function withClient<T>(
  { settings, timeoutS }: ClientContext,
  action: (node: KademliaNode, signal: AbortSignal) => Promise<T>,
  bootstrap = true,
): Promise<T> {
  const signal = AbortSignal.timeout(timeoutS * 1000);
  const security = await secureNodeOptions(settings);
  const node = KademliaNode.start({ ...nodeOptionsFrom(settings), ...security, port: 0, role: "client" });
  try {
    if (bootstrap) {
      const { peers: seeds } = await bootstrapSeeds(settings);
      if (seeds.length === 0) throw new CommandError("No bootstrap node given: pass --bootstrap host:port");
      await node.bootstrap(seeds, { join: false, signal });
    }
    return await action(node, signal);
  } catch (error) {
    if (signal.aborted) throw new CommandError(`No result within ${timeoutS} s (raise it with --timeout)`);
    if (error instanceof BootstrapError || error instanceof RpcTimeoutError || error instanceof ResolveError) {
      throw new CommandError(error.message, EXIT.error, { cause: error });
    }
    throw error;
  } finally {
    await node.stop();
  }
}

/** `cqkd dht ping ADDRESS`: the id of the node there and the round-trip time. */
export function dhtPing(context: ClientContext, address: string): Promise<ClientOutput> {
  const listed = parseAddress(address);
  return withClient(context, async (node, signal) => {
    const peer = await resolvePeer(listed);
    const t0 = performance.now();
    const id = await node.ping(peer, { signal });
    const rttMs = Number((performance.now() - t0).toFixed(2));
    return {
      text: `${formatPeer(peer)} is ${id.hex} (${rttMs} ms)`,
      json: { address: formatPeer(peer), id: id.hex, rtt_ms: rttMs },
      exitCode: EXIT.ok,
    };
  }, false);
}

/** `cqkd dht put KEY VALUE`: stores the value on the k closest nodes. */
export function dhtPut(context: ClientContext, key: string, text: string, type: ValueType): Promise<ClientOutput> {
  const value = parseValueArgument(text, type);
  return withClient(context, async (node, signal) => {
    const result = await node.set(key, value, { signal });
    if (result.replicas === 0) throw new CommandError(`Cannot store ${key}: no node confirmed the store`);
    return {
      text: `stored ${key} (${result.key.hex}) on ${result.replicas} of ${result.asked} closest nodes`,
      json: { key, dht_key: result.key.hex, replicas: result.replicas, asked: result.asked },
      exitCode: EXIT.ok,
    };
  });
}

/** `cqkd dht get KEY`: the value, or exit code 1 when no node has it. */
export function dhtGet(context: ClientContext, key: string): Promise<ClientOutput> {
  return withClient(context, async (node, signal) => {
    const value = await node.get(key, { signal });
    const dhtKey = (await NodeId.digest(key)).hex;
    if (value === undefined) {
      return { text: `${key} not found`, json: { key, dht_key: dhtKey, found: false }, exitCode: EXIT.no };
    }
    return {
      text: formatValue(value),
      json: { key, dht_key: dhtKey, found: true, ...describeValue(value) },
      exitCode: EXIT.ok,
    };
  });
}

/** `cqkd dht find-node TARGET`: the k closest nodes to an id (40 hex digits) or to the DHT key of a string. */
export function dhtFindNode(context: ClientContext, target: string, isKey: boolean): Promise<ClientOutput> {
  return withClient(context, async (node, signal) => {
    const id = isKey ? await NodeId.digest(target) : parseTargetId(target);
    const closest = await node.findNode(id, { signal });
    const rows = closest.map((c) => ({
      id: c.id.hex,
      address: formatPeer(c),
      distance_bits: bitLength(c.id.distanceTo(id)),
    }));
    const text = rows.map((r) => `${r.id}  ${r.address.padEnd(21)}  log2(distance)=${r.distance_bits}`).join("\n");
    return { text, json: { target: id.hex, closest: rows }, exitCode: closest.length > 0 ? EXIT.ok : EXIT.no };
  });
}

/** Reads a `dht put` value argument. @throws {CommandError} when it does not parse as `type` */
export function parseValueArgument(text: string, type: ValueType): DhtValue | object {
  const fail = (what: string) => new CommandError(`Cannot read the value "${text}" as ${what}`);
  switch (type) {
    case "string":
      return text;
    case "number": {
      if (/^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text))) return BigInt(text);
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) throw fail("a finite number");
      return n;
    }
    case "boolean":
      if (text !== "true" && text !== "false") throw fail("true or false");
      return text === "true";
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        throw fail("JSON");
      }
    case "hex":
      if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw fail("hex bytes");
      return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
  }
}

/** Reads a `host:port` argument. @throws {CommandError} when it does not parse */
export function parseAddress(text: string): Peer {
  try {
    return parsePeer(text);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
}

function parseTargetId(text: string): NodeId {
  try {
    return NodeId.fromHex(text);
  } catch {
    throw new CommandError(`Cannot read the target "${text}": expected 40 hex digits (or pass --key to hash a key)`);
  }
}

function formatValue(value: DhtValue): string {
  return value instanceof Uint8Array ? toHex(value) : String(value);
}

function describeValue(value: DhtValue): { type: string; value: string | number | boolean } {
  if (value instanceof Uint8Array) return { type: "bytes", value: toHex(value) };
  // JSON has no exact integers past 2^53: those are given as decimal strings.
  if (typeof value === "bigint") return { type: "bigint", value: value.toString() };
  return { type: typeof value, value };
}

function bitLength(distance: bigint): number {
  return distance === 0n ? 0 : distance.toString(2).length;
}
