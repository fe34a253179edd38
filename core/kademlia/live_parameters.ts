import { Emitter } from "./emitter.ts";
import type { RoutingTable } from "./routing_table.ts";

/** The Kademlia parameters a running node changes live (adaptive parameters, `cqkd tune`, the admin API). */
export interface KademliaParameterValues {
  /** Lookup parallelism. */
  alpha: number;
  /** Bucket size and replication factor (the routing table's). */
  k: number;
  /** Time to wait for one RPC answer. */
  timeoutMs: number;
  /** The normal refresh interval of idle buckets; the refresh manager derives the interval in force from it. */
  refreshIntervalS: number;
}

/** Who changed the parameters: the adaptive analyses, or an operator (`cqkd tune`, the admin API). */
export type ParameterSource = "adaptive" | "operator";

/** A change of {@linkcode LiveParameters}, as reported on its `changed` emitter. */
export interface ParametersChangedEvent {
  readonly before: Readonly<KademliaParameterValues>;
  readonly after: Readonly<KademliaParameterValues>;
  /** The parameters whose value changed. */
  readonly changed: readonly (keyof KademliaParameterValues)[];
  /** The parameters the update set, changed or not (an operator's setting pins them even at their old value). */
  readonly set: readonly (keyof KademliaParameterValues)[];
  readonly source: ParameterSource;
}

/**
 * The live Kademlia parameters of one node, and the one way to change them: {@linkcode update}, which announces
 * every change on {@linkcode changed} (the refresh manager follows the refresh interval, the adaptive parameters
 * pin what an operator set).
 *
 * @example
 * ```ts
 * import { KademliaNode } from "./mod.ts";
 * await using node = KademliaNode.start({ alpha: 3 });
 * const seen: string[] = [];
 * node.parameters.changed.on(({ changed }) => seen.push(...changed));
 * node.parameters.update({ alpha: 5, timeoutMs: 5000 }); // 5000 is the default already: not a change
 * console.assert(node.alpha === 5 && seen.join() === "alpha");
 * ```
 */
export class LiveParameters {
  /** Every change, after it took effect. */
  readonly changed: Emitter<ParametersChangedEvent> = new Emitter();
  readonly #table: RoutingTable;
  #values: Omit<KademliaParameterValues, "k">;

  constructor(table: RoutingTable, initial: Omit<KademliaParameterValues, "k">) {
    this.#table = table;
    checkParameterValues(initial);
    this.#values = { ...initial };
  }

  get alpha(): number {
    return this.#values.alpha;
  }

  get k(): number {
    return this.#table.k;
  }

  get timeoutMs(): number {
    return this.#values.timeoutMs;
  }

  get refreshIntervalS(): number {
    return this.#values.refreshIntervalS;
  }

  /** The values in force, as a plain object. */
  get values(): KademliaParameterValues {
    return { ...this.#values, k: this.#table.k };
  }

  /**
   * Changes parameters live and announces the change (an update by the adaptive analyses that changes no value is
   * not announced; an operator's always is, since it pins what it set).
   * @returns the names of the parameters that changed
   * @throws {RangeError} for a value that is not a positive number (alpha and k: a whole number); nothing changes
   */
  update(
    change: Partial<KademliaParameterValues>,
    source: ParameterSource = "operator",
  ): (keyof KademliaParameterValues)[] {
    const before = this.values;
    const given = definedOnly(change);
    const after = { ...before, ...given };
    checkParameterValues(after);
    const changed = (Object.keys(after) as (keyof KademliaParameterValues)[]).filter((n) => after[n] !== before[n]);
    const set = Object.keys(given) as (keyof KademliaParameterValues)[];
    if (changed.length === 0 && (source === "adaptive" || set.length === 0)) return changed;
    const { k, ...rest } = after;
    if (k !== before.k) this.#table.k = k;
    this.#values = rest;
    this.changed.emit({ before, after, changed, set, source });
    return changed;
  }
}

function definedOnly<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkParameterValues(values: Partial<KademliaParameterValues>): void {
  for (const [name, value] of Object.entries(values)) {
    const whole = name === "alpha" || name === "k";
    if (!(value > 0) || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
      throw new RangeError(`Invalid ${name} ${value}: expected ${whole ? "a whole number" : "a number"} > 0`);
    }
  }
}
