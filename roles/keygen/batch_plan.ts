/**
 * The plan of one batch: its six worker slots as a data table (which role each runs, which slots feed it, where
 * its output goes, and whether it sees the key bits), the assignments Alice sends from it, and what Alice and Bob
 * each expect back and from whom.
 */
import { toHex } from "../../core/bytes.ts";
import type { BatchExpectation, RoleCommand, WorkerRole } from "./messages.ts";
import type { SealedPeer } from "./sealed_messenger.ts";

/** A worker as Alice knows it: its sealed address and identity, and its DHT id. */
export interface Worker extends SealedPeer {
  readonly id: string;
}

/** A slot of a batch. */
export type BatchSlot = "qsg" | "bgAlice" | "bgBob" | "qpp" | "qpm" | "qpc";

/** Where a slot's output goes: another slot of the batch, Alice or Bob. */
type Destination = BatchSlot | "alice" | "bob";

/** One slot of a batch. */
export interface SlotSpec {
  readonly slot: BatchSlot;
  readonly role: WorkerRole;
  /** Input name → the slot that sends it. */
  readonly inputs: Readonly<Record<string, BatchSlot>>;
  /** [destination, the name the output arrives under there]. */
  readonly routes: ReadonlyArray<readonly [Destination, string]>;
  /** The slot learns the key bits of every position (spins, or polarizations that encode them). */
  readonly seesKey: boolean;
  /** QPP applies the simulated link (noise, Eve) to what it sends. */
  readonly channel?: true;
}

/**
 * The six slots of a batch, in the order Alice assigns workers to them. QSG draws Alice's bits, QPP turns them into
 * polarizations and QPM measures those: each of the three sees the batch's key bits. The base generators and QPC
 * see bases only.
 */
export const BATCH_ROLES: readonly SlotSpec[] = [
  { slot: "qsg", role: "qsg", inputs: {}, routes: [["qpp", "spins"], ["alice", "spins"]], seesKey: true },
  {
    slot: "bgAlice",
    role: "bg",
    inputs: {},
    routes: [["qpp", "bases"], ["qpc", "aliceBases"], ["alice", "bases"]],
    seesKey: false,
  },
  {
    slot: "bgBob",
    role: "bg",
    inputs: {},
    routes: [["qpm", "bases"], ["qpc", "bobBases"], ["bob", "bases"]],
    seesKey: false,
  },
  {
    slot: "qpp",
    role: "qpp",
    inputs: { spins: "qsg", bases: "bgAlice" },
    routes: [["qpm", "polarizations"]],
    seesKey: true,
    channel: true,
  },
  {
    slot: "qpm",
    role: "qpm",
    inputs: { polarizations: "qpp", bases: "bgBob" },
    routes: [["bob", "readings"]],
    seesKey: true,
  },
  {
    slot: "qpc",
    role: "qpc",
    inputs: { aliceBases: "bgAlice", bobBases: "bgBob" },
    routes: [["alice", "sifted"], ["bob", "sifted"]],
    seesKey: false,
  },
];
/** The slots that see the key bits. */
export const KEY_SLOTS: readonly BatchSlot[] = BATCH_ROLES.filter((s) => s.seesKey).map((s) => s.slot);

/** A batch attempt: its id, size and the worker of each slot. */
export interface BatchPlan {
  readonly index: number;
  readonly id: string;
  readonly count: number;
  readonly workers: Readonly<Record<BatchSlot, Worker>>;
}

/** The assignments of a batch, consumers first (so that they wait for their inputs before generators send). */
export function batchCommands(
  plan: BatchPlan,
  session: string,
  parties: { alice: SealedPeer; bob: SealedPeer },
  channel: { noise: number; eve: number },
): Array<[Worker, RoleCommand]> {
  const peerOf = (to: Destination): SealedPeer => {
    const node = to === "alice" || to === "bob" ? parties[to] : plan.workers[to];
    return { host: node.host, port: node.port, key: node.key, identity: node.identity };
  };
  const commands = BATCH_ROLES.map((spec): [Worker, RoleCommand] => [plan.workers[spec.slot], {
    session,
    batch: plan.id,
    count: plan.count,
    role: spec.role,
    inputs: Object.fromEntries(
      Object.entries(spec.inputs).map(([name, slot]) => [name, toHex(plan.workers[slot].identity)]),
    ),
    routes: spec.routes.map(([to, as]) => ({ to: peerOf(to), as })),
    ...(spec.channel ? { channel } : {}),
  }]);
  return commands.reverse();
}

/** What `party` receives of a batch: input name → sender identity (hex). */
export function expectedBy(plan: BatchPlan, party: "alice" | "bob"): Record<string, string> {
  return Object.fromEntries(
    BATCH_ROLES.flatMap((spec) =>
      spec.routes.filter(([to]) => to === party).map(([, as]) => [as, toHex(plan.workers[spec.slot].identity)])
    ),
  );
}

/** What Alice tells Bob of a batch. */
export function bobExpectation(plan: BatchPlan): BatchExpectation {
  const senders = expectedBy(plan, "bob");
  return { id: plan.id, count: plan.count, senders: senders as BatchExpectation["senders"] };
}

/** The limits a round is sized within (Alice's options of the same names). */
export interface RoundSizing {
  /** Most positions of one batch. */
  batchPositions: number;
  /** Fewest positions of one batch. */
  minBatchPositions: number;
  /** Most workers in a session's pool. */
  maxWorkers: number;
}

/** Workers to find for a first round of `positions`: enough to spread its batches, at most `maxWorkers`. */
export function workersFor(positions: number, sizing: RoundSizing): number {
  const batches = Math.ceil(positions / sizing.minBatchPositions);
  return Math.min(sizing.maxWorkers, Math.max(BATCH_ROLES.length, batches * KEY_SLOTS.length));
}

/**
 * Batch sizes of a round: as many batches as spread its key slots over the pool, within the batch limits, and a
 * multiple of the disjoint worker sets the pool holds, so that each set sees the same share of the key (privacy
 * amplification removes the largest share: 3 batches over 2 sets would show one set two thirds).
 */
export function batchSizes(positions: number, poolSize: number, sizing: RoundSizing): number[] {
  const { batchPositions, minBatchPositions } = sizing;
  const spread = Math.min(Math.floor(poolSize / KEY_SLOTS.length), Math.floor(positions / minBatchPositions));
  const needed = Math.max(1, Math.ceil(positions / batchPositions), spread);
  const count = spread > 1 ? Math.ceil(needed / spread) * spread : needed;
  return Array.from(
    { length: count },
    (_, i) => Math.floor(((i + 1) * positions) / count) - Math.floor((i * positions) / count),
  );
}
