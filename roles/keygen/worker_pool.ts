/**
 * The workers of Alice's sessions: found by discovery, keyed (their sealed key and identity, which must own their
 * node id in a secure cluster), assigned to batch slots so that the slots that see key bits are spread over as
 * many workers as possible, and kept out of sessions for a while when found dead ({@linkcode DeadWorkers}).
 */
import { toHex } from "../../core/bytes.ts";
import { nodeIdOfPublicKey } from "../../core/crypto/mod.ts";
import { type DiscoveredNode, NotEnoughNodesError, WORKER_CAPABILITIES } from "../../core/discovery/mod.ts";
import { BATCH_ROLES, type BatchPlan, type BatchSlot, type Worker } from "./batch_plan.ts";
import type { DeadWorkers } from "./dead_workers.ts";
import { NoWorkersError } from "./errors.ts";
import { newBatchId } from "./session_ids.ts";
import type { SealedMessenger } from "./sealed_messenger.ts";
import type { WorkerExposure } from "./worker_exposure.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Finds live workers with the given capabilities: `attachNodeServices(node).discovery.discover`. */
export type DiscoverFn = (
  count: number,
  options: { capabilities: readonly string[]; signal?: AbortSignal },
) => Promise<DiscoveredNode[]>;

/** Distinct workers a batch needs. */
export const WORKERS_PER_BATCH = BATCH_ROLES.length;

/** Options of {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  discover: DiscoverFn;
  messenger: SealedMessenger;
  /** A worker's identity must own its node id (secure clusters, where ids are the identities' hashes). */
  requireIdBinding?: boolean;
}

/** The live workers of one session, and the dead ones of every session (in quarantine). */
export class WorkerPool {
  workers: Worker[] = [];
  readonly #dead: DeadWorkers;
  readonly #options: WorkerPoolOptions;

  constructor(dead: DeadWorkers, options: WorkerPoolOptions) {
    this.#dead = dead;
    this.#options = options;
  }

  /** Ids of the workers ever used. */
  readonly used = new Set<string>();

  /** Finds and keys `count` workers (fewer when fewer exist). @throws {NoWorkersError} below one batch's worth */
  async fill(count: number, signal?: AbortSignal): Promise<void> {
    const known = new Set(this.workers.map((w) => w.id));
    const found = await this.#discover(count, signal);
    this.workers.push(...await this.#withKeys(found.filter((n) => !known.has(n.id.hex)), signal));
    if (this.workers.length < WORKERS_PER_BATCH) throw new NoWorkersError(WORKERS_PER_BATCH, this.workers.length);
  }

  /** Pings `workers`: the silent ones are dead and leave the pool; refills it when it falls below a batch's worth. */
  async probe(workers: readonly Worker[], refill: number, signal?: AbortSignal): Promise<void> {
    const unique = [...new Map(workers.map((w) => [w.id, w])).values()];
    await Promise.all(unique.map(async (worker) => {
      try {
        await this.#options.messenger.publicKey(worker, signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) throw error;
        this.#dead.add(worker.id);
      }
    }));
    this.workers = this.workers.filter((w) => !this.#dead.has(w.id));
    if (this.workers.length < WORKERS_PER_BATCH) await this.fill(refill, signal);
  }

  /**
   * Plans batches: fresh random ids, and for each batch six distinct workers where the key slots go to the workers
   * that held the fewest key slots so far in the session (ties broken at random), so that the key is spread.
   */
  assign(batches: ReadonlyArray<{ index: number; count: number }>, exposure: WorkerExposure): BatchPlan[] {
    if (this.workers.length < WORKERS_PER_BATCH) throw new NoWorkersError(WORKERS_PER_BATCH, this.workers.length);
    let cursor = Math.floor(runtime.random() * this.workers.length);
    return batches.map(({ index, count }) => {
      const ranked = this.workers.map((w) => ({ w, load: exposure.load.get(w.id) ?? 0, tie: runtime.random() }))
        .sort((a, b) => a.load - b.load || a.tie - b.tie).map((r) => r.w);
      const taken = new Set<string>();
      const workers: Partial<Record<BatchSlot, Worker>> = {};
      for (const spec of BATCH_ROLES.filter((s) => s.seesKey)) {
        const worker = ranked.find((w) => !taken.has(w.id))!;
        taken.add(worker.id);
        exposure.assigned(worker.id);
        workers[spec.slot] = worker;
      }
      for (const spec of BATCH_ROLES.filter((s) => !s.seesKey)) {
        while (taken.has(this.workers[cursor % this.workers.length]!.id)) cursor++;
        const worker = this.workers[cursor++ % this.workers.length]!;
        taken.add(worker.id);
        workers[spec.slot] = worker;
      }
      for (const id of taken) this.used.add(id);
      return { index, id: newBatchId(), count, workers: workers as Record<BatchSlot, Worker> };
    });
  }

  /**
   * `count` workers (fewer when fewer exist, at least a batch's worth), none of them in quarantine while enough others
   * exist. Quarantine is a preference, not a verdict: when too few are left, the quarantined ones found are asked
   * again (and released if they answer), since missed probes say as much about a busy Alice as about her workers.
   */
  async #discover(count: number, signal?: AbortSignal): Promise<DiscoveredNode[]> {
    const want = Math.max(WORKERS_PER_BATCH, count) + this.#dead.size;
    const options = { capabilities: WORKER_CAPABILITIES, ...(signal ? { signal } : {}) };
    let found: DiscoveredNode[];
    try {
      found = await this.#options.discover(want, options);
    } catch (error) {
      if (!(error instanceof NotEnoughNodesError)) throw error;
      if (error.found < WORKERS_PER_BATCH) throw new NoWorkersError(WORKERS_PER_BATCH, error.found, this.#dead.size);
      found = await this.#options.discover(error.found, options);
    }
    const live = found.filter((n) => !this.#dead.has(n.id.hex));
    const candidates = live.length >= WORKERS_PER_BATCH
      ? live
      : [...live, ...found.filter((n) => this.#dead.has(n.id.hex))];
    return candidates.slice(0, Math.max(WORKERS_PER_BATCH, count));
  }

  /** The workers that answer with their signed public key (steps 4–6); the others are dead. */
  async #withKeys(nodes: readonly DiscoveredNode[], signal?: AbortSignal): Promise<Worker[]> {
    const keyed = await Promise.all(nodes.map(async (node) => {
      try {
        const peer = await this.#options.messenger.publicKey(node, signal ? { signal } : {});
        if (this.#options.requireIdBinding && !nodeIdOfPublicKey(peer.identity).equals(node.id)) {
          this.#options.messenger.reject(
            "unexpected_sender",
            `worker ${node.id.hex.slice(0, 12)} signs with ${toHex(peer.identity).slice(0, 16)}…, not its id's key`,
          );
          return undefined;
        }
        this.#dead.release(node.id.hex);
        return { ...peer, id: node.id.hex };
      } catch (error) {
        if (signal?.aborted) throw error;
        this.#dead.add(node.id.hex);
        return undefined;
      }
    }));
    return keyed.filter((w) => w !== undefined);
  }
}

/** Runs `task` on each item; returns the items whose task succeeded. */
export async function settled<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<T[]> {
  const results = await Promise.allSettled(items.map(task));
  return items.filter((_, i) => results[i]!.status === "fulfilled");
}
