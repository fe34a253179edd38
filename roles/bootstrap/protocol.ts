/**
 * The cqkd_bootstrap_* RPCs on the wire: method names, the shapes of their arguments and answers (plain msgpack
 * maps and arrays), and their validation. Legacy nodes do not know these methods and never answer them.
 */
import { expectArgs, NodeId, parseId } from "../../core/kademlia/mod.ts";
import { encodeValue, RpcArgumentError } from "../../core/net/mod.ts";
import { NONCE_BYTES } from "./_signed_answer.ts";
import { type BootstrapInfo, parseInfo, parseInfoList } from "./info.ts";
import { isJoinerRole } from "./tier.ts";

/**
 * Method names of the bootstrap RPCs. info, nodes and join take an optional last argument, a 16-byte nonce: a
 * bootstrap node with a signing identity then answers with the signed form of its answer (see AnswerSigner).
 */
export const BOOTSTRAP_RPC = {
  /** `[]` → {@linkcode BootstrapInfo} */
  info: "cqkd_bootstrap_info",
  /** `[info, subtree: info[]]` → the parent's ranked directory, `info[]` */
  announce: "cqkd_bootstrap_announce",
  /** `[role, count]` → the load balancer's ranked list for a joiner of `role`, `info[]` */
  nodes: "cqkd_bootstrap_nodes",
  /** `[joinerId: bin20, role]` → {@linkcode JoinAnswer} */
  join: "cqkd_bootstrap_join",
  /** `[joinerId: bin20]` → `true` */
  leave: "cqkd_bootstrap_leave",
} as const;

/** The answer to cqkd_bootstrap_join. */
export type JoinAnswer =
  /** Admitted here; the joiner renews its lease (a join again) before `leaseMs` passes. */
  | { status: "accepted"; info: BootstrapInfo; leaseMs: number }
  /** The joiner belongs elsewhere: these nodes, best first. */
  | { status: "redirect"; to: BootstrapInfo[] }
  /** At capacity: a polite refusal, with alternatives. */
  | { status: "full"; to: BootstrapInfo[] };

/**
 * Lists in answers are cut to this many msgpack bytes, so that an answer stays within the legacy 8 KiB datagram
 * payload however large the directory grows.
 */
export const MAX_LIST_BYTES = 6144;

/** The longest head of `infos` whose encoding fits `budgetBytes`. */
export function fitList(infos: readonly BootstrapInfo[], budgetBytes: number = MAX_LIST_BYTES): BootstrapInfo[] {
  let used = 0;
  const fitting: BootstrapInfo[] = [];
  for (const info of infos) {
    used += encodeValue(info).length;
    if (used > budgetBytes) break;
    fitting.push(info);
  }
  return fitting;
}

/** Reads a cqkd_bootstrap_join answer. @throws {TypeError} when it has another shape */
export function parseJoinAnswer(value: unknown): JoinAnswer {
  const answer = (value !== null && typeof value === "object" ? value : {}) as Record<string, unknown>;
  if (answer.status === "accepted") {
    const info = parseInfo(answer.info);
    const leaseMs = answer.leaseMs;
    if (info !== undefined && Number.isSafeInteger(leaseMs) && (leaseMs as number) > 0) {
      return { status: "accepted", info, leaseMs: leaseMs as number };
    }
  } else if (answer.status === "redirect" || answer.status === "full") {
    const to = parseInfoList(answer.to);
    if (to !== undefined) return { status: answer.status, to };
  }
  throw new TypeError("Expected a join answer: {status: accepted|redirect|full, …}");
}

/** Reads the args of cqkd_bootstrap_announce. @throws {RpcArgumentError} */
export function parseAnnounceArgs(args: unknown[]): { info: BootstrapInfo; subtree: BootstrapInfo[] } {
  expectArgs(args, 2, BOOTSTRAP_RPC.announce);
  const info = parseInfo(args[0]);
  if (info === undefined) throw new RpcArgumentError("Expected the announced info to be a bootstrap info map");
  const subtree = parseInfoList(args[1]);
  if (subtree === undefined) throw new RpcArgumentError("Expected the announced subtree to be a list");
  return { info, subtree };
}

/** The nonce of a request that asks for a signed answer, when it carries one. */
export interface Nonced {
  nonce?: Uint8Array;
}

/** Reads the args of cqkd_bootstrap_info. @throws {RpcArgumentError} */
export function parseInfoArgs(args: unknown[]): Nonced {
  return splitNonce(args, 0, BOOTSTRAP_RPC.info).nonced;
}

/** Reads the args of cqkd_bootstrap_nodes. @throws {RpcArgumentError} */
export function parseNodesArgs(args: unknown[]): { role: string; count: number } & Nonced {
  const { rest: [role, count], nonced } = splitNonce(args, 2, BOOTSTRAP_RPC.nodes);
  if (!Number.isSafeInteger(count) || (count as number) < 1) {
    throw new RpcArgumentError("Expected the count to be a positive integer");
  }
  return { role: parseRole(role), count: count as number, ...nonced };
}

/** Reads the args of cqkd_bootstrap_join. @throws {RpcArgumentError} */
export function parseJoinArgs(args: unknown[]): { joiner: NodeId; role: string } & Nonced {
  const { rest: [joiner, role], nonced } = splitNonce(args, 2, BOOTSTRAP_RPC.join);
  return { joiner: parseId(joiner, "joiner id"), role: parseRole(role), ...nonced };
}

/** Reads the args of cqkd_bootstrap_leave. @throws {RpcArgumentError} */
export function parseLeaveArgs(args: unknown[]): { joiner: NodeId } {
  expectArgs(args, 1, BOOTSTRAP_RPC.leave);
  return { joiner: parseId(args[0], "joiner id") };
}

/** Splits `count` args from an optional trailing nonce. */
function splitNonce(args: unknown[], count: number, method: string): { rest: unknown[]; nonced: Nonced } {
  if (args.length !== count + 1) {
    expectArgs(args, count, method);
    return { rest: args, nonced: {} };
  }
  const nonce = args[count];
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
    throw new RpcArgumentError(`Expected the nonce to be ${NONCE_BYTES} bytes`);
  }
  return { rest: args.slice(0, count), nonced: { nonce } };
}

function parseRole(role: unknown): string {
  if (!isJoinerRole(role)) throw new RpcArgumentError("Expected the role to be a node role (worker, alice, …)");
  return role;
}
