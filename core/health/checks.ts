import {
  type Contact,
  type KademliaNode,
  NodeId,
  parseContacts,
  parseFindValueAnswer,
  parseId,
} from "../kademlia/mod.ts";
import { RpcTimeoutError } from "../net/mod.ts";
import type { HealthLevel } from "./registry.ts";
import { runtime } from "../runtime/mod.ts";

/**
 * Raised by a check that failed: `step` names the test that failed. An inconclusive failure says nothing of the
 * peer: this process was stalled (its timer fired well after the timeout), so an answer may have been waiting.
 */
export class HealthCheckFailure extends Error {
  override name = "HealthCheckFailure";
  readonly inconclusive: boolean;
  constructor(readonly step: string, problem: string, options?: ErrorOptions & { inconclusive?: boolean }) {
    super(`${step} ${problem}`, options);
    this.inconclusive = options?.inconclusive ?? false;
  }
}

/** What the checks need to know besides the node: the time budget and a way to stop. */
export interface CheckOptions {
  /** Time allowed for the whole check. */
  timeoutMs: number;
  signal?: AbortSignal;
}

type Step = (node: KademliaNode, contact: Contact, rpc: Rpc) => Promise<void>;
/** One RPC of a check, allowed `share` of the time left (all of it by default). */
type Rpc = (step: string, target: Contact, method: string, args: unknown[], share?: number) => Promise<unknown>;

/** Test of every level: the peer answers a ping with the id we know it by (within `share` of the time left). */
const pingWithin = (share: number): Step => async (node, contact, rpc) => {
  const id = parseId(await rpc("ping", contact, "ping", [node.id.bytes], share), "ping answer");
  if (!id.equals(contact.id)) throw new HealthCheckFailure("ping", `answered as ${id.hex.slice(0, 8)}…`);
};

/** The first test of the deeper levels: a peer that does not answer a ping within a fifth of the time is gone. */
const ping = pingWithin(0.2);

/** The fast test: a ping, sent again once (half the time each) if the first goes unanswered or is lost. */
const pingTwice: Step = async (node, contact, rpc) => {
  try {
    return await pingWithin(0.5)(node, contact, rpc);
  } catch (error) {
    if (!(error instanceof HealthCheckFailure) || error.inconclusive || !(error.cause instanceof RpcTimeoutError)) {
      throw error;
    }
  }
  await pingWithin(1)(node, contact, rpc);
};

/** The peer answers find_node with well-formed contacts. */
const findNode: Step = async (node, contact, rpc) => {
  parseContacts(await rpc("find_node", contact, "find_node", [node.id.bytes, NodeId.random().bytes]));
};

/**
 * The peer stores a value and gives it back. The key is our own id: its natural home is this node, so no holder
 * ever hands it over to others, and each checker overwrites its own single record on the peer.
 */
const storeGet: Step = async (node, contact, rpc) => {
  const nonce = `cqkd-health ${runtime.randomUUID()}`;
  const stored = await rpc("store", contact, "store", [node.id.bytes, node.id.bytes, nonce]);
  if (stored !== true) throw new HealthCheckFailure("store", "refused the value");
  const answer = parseFindValueAnswer(await rpc("find_value", contact, "find_value", [node.id.bytes, node.id.bytes]));
  if (!("value" in answer) || answer.value !== nonce) throw new HealthCheckFailure("find_value", "lost the value");
};

/** The peer answers stun with an address, and at least one of the contacts it names for our id answers a ping. */
const suite: Step = async (node, contact, rpc) => {
  const seen = await rpc("stun", contact, "stun", []);
  if (!Array.isArray(seen) || typeof seen[0] !== "string" || !Number.isInteger(seen[1])) {
    throw new HealthCheckFailure("stun", "answered no address");
  }
  const named = parseContacts(await rpc("find_node", contact, "find_node", [node.id.bytes, node.id.bytes]))
    .filter((c) => !c.id.equals(node.id)).slice(0, 3);
  if (named.length === 0) return;
  const answers = await Promise.allSettled(named.map((c) => rpc("routing", c, "ping", [node.id.bytes])));
  if (answers.every((a) => a.status === "rejected")) {
    throw new HealthCheckFailure("routing", "named only contacts that do not answer");
  }
};

/** The levels: fast = ping; medium = ping + find_node + store/get; deep = the full DHT suite. */
const LEVEL_STEPS: Readonly<Record<HealthLevel, readonly Step[]>> = {
  fast: [pingTwice],
  medium: [ping, findNode, storeGet],
  deep: [ping, findNode, storeGet, suite],
};

/**
 * Runs the tests of `level` against `contact`, one after the other within the time budget. RPCs are tagged
 * "health" and do not remove the contact on silence (the health manager decides). The fast test sends its ping
 * twice before concluding that the peer is silent.
 * @throws {HealthCheckFailure} naming the failed test
 * @throws the signal's reason when aborted
 */
export async function runCheck(
  node: KademliaNode,
  contact: Contact,
  level: HealthLevel,
  options: CheckOptions,
): Promise<void> {
  const deadline = runtime.monotonic() + options.timeoutMs;
  const rpc: Rpc = async (step, target, method, args, share = 1) => {
    const timeoutMs = Math.floor((deadline - runtime.monotonic()) * share);
    if (timeoutMs <= 0) throw new HealthCheckFailure(step, `not reached within ${options.timeoutMs} ms`);
    const sent = runtime.monotonic();
    try {
      return await node.request(target, method, args, { timeoutMs, purpose: "health", signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const late = runtime.monotonic() - sent - timeoutMs;
      throw new HealthCheckFailure(step, `got no answer: ${(error as Error).message}`, {
        cause: error,
        inconclusive: error instanceof RpcTimeoutError && late > Math.max(250, timeoutMs / 2),
      });
    }
  };
  for (const step of LEVEL_STEPS[level]) await step(node, contact, rpc);
}
