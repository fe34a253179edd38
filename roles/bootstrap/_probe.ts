/** One join attempt at one address: the cqkd join request, with a ping beside it to recognise plain DHT nodes. */
import { equalBytes } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { type Peer, RpcTimeoutError } from "../../core/net/mod.ts";
import type { BootstrapTrust } from "./bootstrap_trust.ts";
import type { JoinAttempt } from "./join_error.ts";
import { BOOTSTRAP_RPC, type JoinAnswer, parseJoinAnswer } from "./protocol.ts";
import type { Tier } from "./tier.ts";

/** What an address turned out to be. */
export type ProbeResult =
  | { kind: "bootstrap"; answer: JoinAnswer; attempt: JoinAttempt }
  /** Answers ping but not cqkd_bootstrap_join: a plain (e.g. legacy) DHT node, fine to join through. */
  | { kind: "plain"; attempt: JoinAttempt }
  | { kind: "silent"; attempt: JoinAttempt };

/** Options of {@linkcode probe}. */
export interface ProbeOptions {
  /** Time to wait for the answers. */
  timeoutMs: number;
  /** When given, only a join answer signed by a key it trusts counts; others (and plain nodes) are unauthenticated. */
  trust?: BootstrapTrust | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Asks `target` to admit `node` as a joiner of `role`. The ping travels at the same time as the join, so that a
 * dead address costs one timeout, not two. @throws the signal's reason when aborted
 */
export async function probe(
  node: KademliaNode,
  target: Peer & { tier?: Tier },
  role: string,
  probeOptions: ProbeOptions,
): Promise<ProbeResult> {
  const { timeoutMs, trust, signal } = probeOptions;
  const peer = { host: target.host, port: target.port };
  const base = target.tier === undefined ? { peer } : { peer, tier: target.tier };
  const options = signal === undefined ? { timeoutMs } : { timeoutMs, signal };
  const nonce = trust?.nonce();
  const joinArgs = nonce === undefined ? [node.id.bytes, role] : [node.id.bytes, role, nonce];
  const [join, ping] = await Promise.allSettled([
    node.transport.request(peer, BOOTSTRAP_RPC.join, joinArgs, options),
    node.transport.request(peer, "ping", [node.id.bytes], options),
  ]);
  signal?.throwIfAborted();
  if (ping.status === "fulfilled" && ping.value instanceof Uint8Array && equalBytes(ping.value, node.id.bytes)) {
    return { kind: "silent", attempt: { ...base, outcome: "error", detail: "it is this node itself" } };
  }
  if (join.status === "fulfilled") {
    const opened = trust === undefined ? { answer: join.value } : trust.open(BOOTSTRAP_RPC.join, nonce!, join.value);
    if ("problem" in opened) {
      return { kind: "silent", attempt: { ...base, outcome: "unauthenticated", detail: opened.problem } };
    }
    let answer: JoinAnswer;
    try {
      answer = parseJoinAnswer(opened.answer);
    } catch (error) {
      return { kind: "silent", attempt: { ...base, outcome: "error", detail: (error as Error).message } };
    }
    return { kind: "bootstrap", answer, attempt: { ...base, outcome: answer.status, detail: describe(answer) } };
  }
  if (!(join.reason instanceof RpcTimeoutError)) {
    return { kind: "silent", attempt: { ...base, outcome: "error", detail: (join.reason as Error).message } };
  }
  if (ping.status === "fulfilled" && trust !== undefined) {
    const detail = "answers ping but not cqkd_bootstrap_join: a plain DHT node cannot prove a trusted key";
    return { kind: "silent", attempt: { ...base, outcome: "unauthenticated", detail } };
  }
  if (ping.status === "fulfilled") {
    const detail = "answers ping but not cqkd_bootstrap_join: a plain DHT node";
    return { kind: "plain", attempt: { ...base, outcome: "timeout", detail } };
  }
  return { kind: "silent", attempt: { ...base, outcome: "timeout", detail: `no answer within ${timeoutMs} ms` } };
}

function describe(answer: JoinAnswer): string {
  if (answer.status === "accepted") return `by ${answer.info.name}`;
  const names = answer.to.map((info) => info.name).join(", ") || "none";
  return answer.status === "full" ? `alternatives ${names}` : `to ${names}`;
}
