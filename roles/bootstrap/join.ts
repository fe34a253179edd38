import pRetry from "p-retry";
import type { BootstrapResult, KademliaNode } from "../../core/kademlia/mod.ts";
import { formatPeer, type Peer, TransportClosedError } from "../../core/net/mod.ts";
import { probe } from "./_probe.ts";
import type { BootstrapTrust } from "./bootstrap_trust.ts";
import type { BootstrapInfo } from "./info.ts";
import { type JoinAttempt, JoinError } from "./join_error.ts";
import { BOOTSTRAP_RPC } from "./protocol.ts";
import { homeTier, type Tier } from "./tier.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Where and how a node joins the network. */
export interface JoinPlan {
  /** Seeds in flow order: super addresses first, then regional, then local (tiers as far as known). */
  seeds: Array<Peer & { tier?: Tier }>;
  /** Last resort (settings.fallback_bootstrap_nodes), used when enable_fallback_mode; plain DHT nodes are fine. */
  fallback?: Peer[];
  /** The joiner's role (decides its home tier). */
  role: string;
  /** Time to wait for one address to answer. @default {2000} */
  attemptTimeoutMs?: number;
  /**
   * Accept only answers signed by bootstrap nodes this policy trusts: others, and plain DHT nodes (which cannot
   * prove a key, so no joining through them), are skipped as unauthenticated. @default none: every answer counts
   */
  trust?: BootstrapTrust;
  /**
   * When a pass through every address fails on timeouts or full bootstrap nodes (load, not a wrong address), pass
   * again after a jittered exponential backoff until `deadlineMs` after the start. @default none: one pass
   */
  retry?: JoinRetry;
}

/** How {@linkcode joinNetwork} retries a join that met timeouts or full bootstrap nodes. */
export interface JoinRetry {
  /** No new pass starts later than this after the first one. */
  deadlineMs: number;
  /** Wait before the second pass: 1-2× this (jitter), doubling each pass. @default {250} */
  minDelayMs?: number;
  /** Longest wait between passes. @default {4000} */
  maxDelayMs?: number;
}

/** Outcomes that say the network is loaded or still starting, so that trying again later may succeed. */
const TRANSIENT: ReadonlySet<JoinAttempt["outcome"]> = new Set(["timeout", "full", "error"]);

/** Options of {@linkcode joinNetwork}. */
export interface JoinOptions {
  /** Aborts the flow: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each attempt, as it happens. */
  onAttempt?: (attempt: JoinAttempt) => void;
}

/** A node's place in the network after {@linkcode joinNetwork}. */
export interface Attachment {
  /** The first node that answered (e.g. a regional when all supers are down). */
  entry: Peer & { tier?: Tier };
  /** Where the joiner was admitted: a bootstrap node, or a plain DHT node it joined through. */
  attachedTo: BootstrapInfo | Peer;
  /** Joined through the fallback list. */
  fallback: boolean;
  attempts: JoinAttempt[];
  /** Routing-table size after joining. */
  contacts: number;
  /** Sends cqkd_bootstrap_leave and stops the lease renewal. Idempotent; call it before stopping the node. */
  leave(): Promise<void>;
  /** Same as {@linkcode Attachment.leave}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Redirects followed from one listed address before going on to the next one. */
export const MAX_REDIRECT_HOPS = 3;

type Target = Peer & { tier?: Tier };

interface Admission {
  peer: Peer;
  info: BootstrapInfo;
  leaseMs: number;
}

/**
 * The bootstrap flow: the seeds in order, following redirects (at most {@linkcode MAX_REDIRECT_HOPS}
 * hops, never revisiting an address in one pass), then the fallback list; with `plan.retry`, more passes while
 * the failures are timeouts or full bootstrap nodes. Once admitted, `node.bootstrap([attachedTo, entry])`
 * does the Kademlia join, and the lease is renewed every leaseMs/2 until {@linkcode Attachment.leave}. An address
 * that does not answer cqkd_bootstrap_join but answers ping is a plain (e.g. legacy) DHT node: when no bootstrap
 * of the same list admits the joiner, it joins through those, so that a legacy network stays joinable.
 *
 * @example A worker joins through a super bootstrap, which sends it on to a local bootstrap with room
 * ```ts
 * import assert from "node:assert/strict";
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { BootstrapService, joinNetwork } from "./mod.ts";
 * await using superNode = KademliaNode.start();
 * await using localNode = KademliaNode.start();
 * await using worker = KademliaNode.start();
 * await using _top = BootstrapService.attach(superNode, { tier: "super" });
 * await using local = BootstrapService.attach(localNode, { tier: "local", parent: superNode.address });
 * await local.announceNow();
 * const seeds = [{ ...superNode.address, tier: "super" as const }];
 * await using attachment = await joinNetwork(worker, { seeds, role: "worker" });
 * assert.equal(attachment.entry.tier, "super");
 * assert.deepEqual(attachment.attachedTo, local.info());
 * assert.deepEqual(attachment.attempts.map((a) => a.outcome), ["redirect", "accepted"]);
 * ```
 * @throws {JoinError} naming every address tried and why, when none admits the joiner
 * @throws {RangeError} for an unknown role or a timeout that is not positive
 */
export async function joinNetwork(node: KademliaNode, plan: JoinPlan, options: JoinOptions = {}): Promise<Attachment> {
  return await new JoinFlow(node, plan, options).run();
}

/** One run of the flow: the addresses visited, the attempts made and the first address that answered. */
class JoinFlow {
  readonly #node: KademliaNode;
  readonly #plan: JoinPlan;
  readonly #options: JoinOptions;
  readonly #timeoutMs: number;
  readonly #attempts: JoinAttempt[] = [];
  readonly #visited = new Set<string>();
  #entry: Target | undefined;

  constructor(node: KademliaNode, plan: JoinPlan, options: JoinOptions) {
    homeTier(plan.role);
    this.#timeoutMs = plan.attemptTimeoutMs ?? 2000;
    if (!(this.#timeoutMs > 0)) throw new RangeError(`Cannot join with an attempt timeout of ${this.#timeoutMs} ms`);
    this.#node = node;
    this.#plan = plan;
    this.#options = options;
    this.#visited.add(formatPeer(node.address));
  }

  async run(): Promise<Attachment> {
    const { retry } = this.#plan;
    const started = runtime.monotonic();
    let passes = 0;
    const pass = async () => {
      passes++;
      const from = this.#attempts.length;
      this.#visited.clear();
      this.#visited.add(formatPeer(this.#node.address));
      const seeded = await this.#phase(this.#plan.seeds, false);
      const attachment = seeded ?? await this.#phase(this.#plan.fallback ?? [], true);
      if (attachment === undefined) throw new JoinError(this.#attempts.slice(from));
      return attachment;
    };
    let attachment: Attachment;
    try {
      attachment = retry === undefined || !(retry.deadlineMs > 0) ? await pass() : await pRetry(pass, {
        retries: Infinity,
        factor: 2,
        randomize: true,
        minTimeout: retry.minDelayMs ?? 250,
        maxTimeout: retry.maxDelayMs ?? 4000,
        maxRetryTime: retry.deadlineMs,
        ...(this.#options.signal ? { signal: this.#options.signal } : {}),
        shouldRetry: ({ error }) => error instanceof JoinError && error.attempts.some((a) => TRANSIENT.has(a.outcome)),
      });
    } catch (error) {
      if (!(error instanceof JoinError) || passes === 1) throw error;
      throw new JoinError(error.attempts, { passes, seconds: (runtime.monotonic() - started) / 1000 });
    }
    this.#releaseLate(attachment.attachedTo);
    return attachment;
  }

  /**
   * A bootstrap that answered too late (or unauthenticated) may still have admitted us: release those slots rather
   * than hold them until the lease ends. Fire and forget; a dead address simply does not answer.
   */
  #releaseLate(attachedTo: Peer): void {
    const here = formatPeer(attachedTo);
    for (const { peer, outcome } of this.#attempts) {
      // An unauthenticated bootstrap may have admitted us as well: its answer was only not believed.
      if ((outcome !== "timeout" && outcome !== "unauthenticated") || formatPeer(peer) === here) continue;
      this.#node.transport.request(peer, BOOTSTRAP_RPC.leave, [this.#node.id.bytes], { timeoutMs: this.#timeoutMs })
        .catch(() => {});
    }
  }

  /** Tries each address of a list; when no bootstrap admits the joiner, joins through the plain nodes found. */
  async #phase(targets: readonly Target[], fallback: boolean): Promise<Attachment | undefined> {
    const plain: Target[] = [];
    for (const target of targets) {
      const admission = await this.#follow(target, 0, plain);
      const attachment = admission && await this.#attach(admission, fallback);
      if (attachment !== undefined) return attachment;
    }
    return plain.length > 0 ? await this.#attachPlain(plain, fallback) : undefined;
  }

  /** Tries `target`, then the nodes it offers, best first and depth first. */
  async #follow(target: Target, hops: number, plain: Target[]): Promise<Admission | undefined> {
    const key = formatPeer(target);
    if (this.#visited.has(key)) return undefined;
    this.#visited.add(key);
    const result = await probe(this.#node, target, this.#plan.role, {
      timeoutMs: this.#timeoutMs,
      trust: this.#plan.trust,
      signal: this.#options.signal,
    });
    this.#record(result.attempt);
    if (result.kind === "silent") return undefined;
    this.#entry ??= withTier({ host: target.host, port: target.port }, target.tier);
    if (result.kind === "plain") {
      plain.push(target);
      return undefined;
    }
    const { answer } = result;
    if (answer.status === "accepted") return { peer: result.attempt.peer, info: answer.info, leaseMs: answer.leaseMs };
    if (hops >= MAX_REDIRECT_HOPS) return undefined;
    for (const info of answer.to) {
      if (info.id === this.#node.id.hex) continue;
      const admission = await this.#follow({ host: info.host, port: info.port, tier: info.tier }, hops + 1, plain);
      if (admission !== undefined) return admission;
    }
    return undefined;
  }

  async #attach(admission: Admission, fallback: boolean): Promise<Attachment | undefined> {
    const entry = this.#entry ?? admission.peer;
    const peers = formatPeer(entry) === formatPeer(admission.peer) ? [admission.peer] : [admission.peer, entry];
    const leave = keepLease(this.#node, admission, this.#plan.role, this.#timeoutMs);
    let joined: BootstrapResult | undefined;
    try {
      joined = await this.#bootstrap(peers);
    } finally {
      if (joined === undefined) await leave();
    }
    return joined && this.#attachment(entry, admission.info, fallback, joined.contacts, leave);
  }

  async #attachPlain(plain: Target[], fallback: boolean): Promise<Attachment | undefined> {
    const joined = await this.#bootstrap(plain.map((p) => ({ host: p.host, port: p.port })));
    const through = joined?.reached[0];
    if (joined === undefined || through === undefined) return undefined;
    this.#record({ peer: through, outcome: "accepted", detail: "joined through a plain DHT node" });
    return this.#attachment(this.#entry ?? through, through, fallback, joined.contacts, () => Promise.resolve());
  }

  /** The Kademlia join; undefined (and recorded) when none of the peers answers any more. */
  async #bootstrap(peers: Peer[]): Promise<BootstrapResult | undefined> {
    const { signal } = this.#options;
    try {
      return await this.#node.bootstrap(peers, signal === undefined ? {} : { signal });
    } catch (error) {
      signal?.throwIfAborted();
      this.#record({ peer: peers[0]!, outcome: "error", detail: `Kademlia join failed: ${(error as Error).message}` });
      return undefined;
    }
  }

  #attachment(
    entry: Target,
    attachedTo: BootstrapInfo | Peer,
    fallback: boolean,
    contacts: number,
    leave: () => Promise<void>,
  ): Attachment {
    return { entry, attachedTo, fallback, attempts: this.#attempts, contacts, leave, [Symbol.asyncDispose]: leave };
  }

  #record(attempt: JoinAttempt): void {
    this.#attempts.push(attempt);
    this.#options.onAttempt?.(attempt);
  }
}

/**
 * Renews the admission every leaseMs/2 until the returned leave function runs, which releases the slot. A renewal
 * nobody answers is retried at the next period; a stopped node stops renewing.
 */
function keepLease(node: KademliaNode, admission: Admission, role: string, timeoutMs: number): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let leaving: Promise<void> | undefined;
  const request = (method: string, args: unknown[]) =>
    node.transport.request(admission.peer, method, args, { timeoutMs });
  const schedule = () => {
    if (leaving !== undefined) return;
    timer = runtime.setTimeout(() => {
      request(BOOTSTRAP_RPC.join, [node.id.bytes, role]).then(schedule, (error) => {
        if (!(error instanceof TransportClosedError)) schedule();
      });
    }, admission.leaseMs / 2);
  };
  schedule();
  return () =>
    leaving ??= (async () => {
      runtime.clearTimeout(timer);
      // A bootstrap that does not answer frees the slot when the lease ends.
      await request(BOOTSTRAP_RPC.leave, [node.id.bytes]).catch(() => {});
    })();
}

function withTier(peer: Peer, tier: Tier | undefined): Target {
  return tier === undefined ? peer : { ...peer, tier };
}
