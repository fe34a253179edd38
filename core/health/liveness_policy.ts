import type { Contact, ContactLiveness } from "../kademlia/mod.ts";
import { runtime } from "../runtime/mod.ts";
import { LossWindow } from "./loss_window.ts";
import { type HealthLevelOptions, LEVEL_DEFAULTS } from "./health_levels.ts";
import { HealthRegistry, type HealthRegistryOptions } from "./registry.ts";

/** Options of {@linkcode LivenessPolicy}. */
export interface LivenessPolicyOptions {
  /** Where check results are recorded; the policy reads statuses and check times from it. */
  registry: HealthRegistry;
  /** The fast check interval: a contact heard from within it counts as alive; losses count over it. */
  fastIntervalMs: number;
  /** How long a contact found dead is kept out when others name it. @default two fast intervals */
  quarantineMs?: number;
  /** Share of the table whose loss within one fast interval suggests a partition. @default {0.5} */
  partitionLossShare?: number;
  /** Clock in milliseconds. @default {runtime.now} */
  now?: () => number;
}

/**
 * The decisions of liveness, apart from when checks run: which contact is a suspect, which one a failed fast check
 * removes from the routing table, which one stays out (quarantined) when other nodes name it, and which one an RPC
 * that got no answer keeps. Pure: it reads the registry and the clock, and says what to do; the caller acts.
 *
 * A contact heard from before becomes a suspect at its first failure and is removed at its second (a host starved
 * of CPU for a moment must not lose live contacts); one only heard of is removed at its first. When half the table
 * went within one fast interval, nothing more is removed (a partition or a stalled host must not empty the table).
 *
 * It is the node's {@linkcode ContactLiveness}: passed to `KademliaNode.start({ liveness })` at construction (see
 * {@linkcode livenessPolicyFor}), and to the health manager, which records its checks in its registry.
 */
export class LivenessPolicy implements ContactLiveness {
  /** The health checks' results, which the policy judges by. */
  readonly registry: HealthRegistry;
  /** Its neighbours' fast checks may have dropped this node after a stall of a second (see ContactLiveness). */
  readonly announceAfterStallMs = 1000;
  readonly #quarantineMs: number;
  readonly #losses: LossWindow;
  readonly #now: () => number;
  /** Contacts that failed one fast check (or RPC), with when. */
  readonly #suspects = new Map<string, number>();
  /** A contact heard from within this long is alive; follows the fast interval in force. */
  recentMs: number;

  constructor(options: LivenessPolicyOptions) {
    this.registry = options.registry;
    this.recentMs = options.fastIntervalMs;
    this.#quarantineMs = options.quarantineMs ?? 2 * options.fastIntervalMs;
    this.#now = options.now ?? runtime.now;
    this.#losses = new LossWindow({
      windowMs: options.fastIntervalMs,
      share: options.partitionLossShare,
      now: this.#now,
    });
  }

  /** A contact found dead (quarantined) is not admitted when other nodes name it. */
  admitHearsay(contact: Contact): boolean {
    return !this.quarantined(contact);
  }

  /** The contact at the address the checks reached it. */
  checkedContact(contact: Contact): Contact | undefined {
    return this.registry.get(contact.id)?.contact;
  }

  /** A contact heard from within the fast interval that misses an answer is a suspect, not gone (yet). */
  keepSilent(_contact: Contact, lastSeenMs: number | undefined): boolean {
    return this.heardRecently(lastSeenMs);
  }

  /** Contacts that failed once and wait for a second check to confirm it. */
  get suspects(): number {
    return this.#suspects.size;
  }

  /** When the contact became a suspect, if it is one. */
  suspectedAtMs(contact: Contact): number | undefined {
    return this.#suspects.get(contact.id.hex);
  }

  /** Whether a contact last heard from at `lastSeenMs` (0: never) was heard from recently. */
  heardRecently(lastSeenMs: number | undefined): boolean {
    return (lastSeenMs ?? 0) > this.#now() - this.recentMs;
  }

  /** An RPC to a contact in the table got no answer: it becomes a suspect as of `sinceMs`, unless it is one. */
  missedAnswer(contact: Contact, sinceMs: number): void {
    if (!this.#suspects.has(contact.id.hex)) this.#suspects.set(contact.id.hex, sinceMs);
  }

  /** The contact left the routing table: it is no suspect any more. */
  forget(contact: Contact): void {
    this.#suspects.delete(contact.id.hex);
  }

  /**
   * Judges a fast check of a contact last heard from at `lastSeenMs` (0: only heard of), in a table of `tableSize`
   * contacts. Returns whether to remove it from the table; call {@linkcode removed} when that was done.
   */
  judge(contact: Contact, ok: boolean, lastSeenMs: number, tableSize: number): boolean {
    const hex = contact.id.hex;
    const heardOf = lastSeenMs === 0;
    if (ok || !(this.#suspects.has(hex) || heardOf)) {
      if (ok) this.#suspects.delete(hex);
      else this.#suspects.set(hex, this.#now());
      return false;
    }
    this.#suspects.delete(hex);
    return !this.#losses.suspected(tableSize);
  }

  /** Counts a contact the caller removed on {@linkcode judge}'s word, towards the partition guard. */
  removed(): void {
    this.#losses.record();
  }

  /**
   * Whether the contact failed its latest fast check (or RPC) within the quarantine, with no answer since. A
   * suspect (one failure of a contact heard from before, to be confirmed) is in doubt, not dead: lookups still ask it.
   */
  quarantined(contact: Contact): boolean {
    return this.registry.status(contact.id) === "unhealthy" && !this.#suspects.has(contact.id.hex) &&
      this.registry.lastCheckedMs(contact.id, "fast") > this.#now() - this.#quarantineMs;
  }
}

/** The health settings a {@linkcode LivenessPolicy} is built from (those of the health manager). */
export interface LivenessSettings {
  fast?: HealthLevelOptions;
  /** How long a contact found dead is kept out when others name it. @default two fast intervals */
  quarantineS?: number;
  partitionLossShare?: number;
  registry?: HealthRegistryOptions;
  now?: () => number;
}

/**
 * The liveness policy of a node whose health checks run with `settings`, to pass both to `KademliaNode.start()`
 * and (through the node) to the health manager.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../kademlia/mod.ts";
 * import { HealthManager, LivenessPolicy, livenessPolicyFor } from "./mod.ts";
 * const settings = { fast: { intervalS: 10 } };
 * await using node = KademliaNode.start({ liveness: livenessPolicyFor(settings) });
 * await using health = new HealthManager(node, settings);
 * console.assert(health.registry === (node.liveness as LivenessPolicy).registry);
 * ```
 */
export function livenessPolicyFor(settings: LivenessSettings = {}): LivenessPolicy {
  return new LivenessPolicy({
    registry: new HealthRegistry(settings.registry),
    fastIntervalMs: (settings.fast?.intervalS ?? LEVEL_DEFAULTS.fast.intervalS) * 1000,
    quarantineMs: settings.quarantineS === undefined ? undefined : settings.quarantineS * 1000,
    partitionLossShare: settings.partitionLossShare,
    ...(settings.now ? { now: settings.now } : {}),
  });
}
