import type { Contact, NodeId } from "../kademlia/mod.ts";

/** The health check levels, cheapest first. */
export const HEALTH_LEVELS = ["fast", "medium", "deep"] as const;

/** A health check level. */
export type HealthLevel = typeof HEALTH_LEVELS[number];

/** What the health checks concluded about a contact. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** The outcome of one check. */
export interface CheckResult {
  readonly level: HealthLevel;
  readonly ok: boolean;
  /** When it finished, in ms. */
  readonly atMs: number;
  readonly durationMs: number;
  /** What failed, e.g. `store refused the value`. */
  readonly failure?: string;
  /** Set when the check could not conclude (this process stalled); such results are not recorded. */
  readonly inconclusive?: true;
}

/** What the registry knows of one contact. */
export interface HealthEntry {
  readonly contact: Contact;
  readonly status: HealthStatus;
  /** The most recent results, oldest first. */
  readonly history: readonly CheckResult[];
}

/** Options of {@linkcode HealthRegistry}. */
export interface HealthRegistryOptions {
  /** Results kept per contact. @default {8} */
  historySize?: number;
  /** Contacts kept; the least recently checked are forgotten first. @default {4096} */
  maxEntries?: number;
}

interface MutableEntry {
  contact: Contact;
  status: HealthStatus;
  history: CheckResult[];
  latest: Partial<Record<HealthLevel, CheckResult>>;
}

/**
 * The health registry: each checked contact's status and recent history. A contact is unhealthy when
 * its latest fast check failed and nothing answered since, degraded when its latest medium or deep check failed,
 * healthy otherwise. Bounded: the least recently checked contacts are forgotten first.
 */
export class HealthRegistry {
  readonly #historySize: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, MutableEntry>();

  constructor(options: HealthRegistryOptions = {}) {
    this.#historySize = options.historySize ?? 8;
    this.#maxEntries = options.maxEntries ?? 4096;
  }

  /** Results kept per contact. */
  get historySize(): number {
    return this.#historySize;
  }

  /** Number of contacts known. */
  get size(): number {
    return this.#entries.size;
  }

  /** Records a check result; returns the contact's status after it. */
  record(contact: Contact, result: CheckResult): HealthStatus {
    const hex = contact.id.hex;
    const entry = this.#entries.get(hex) ?? { contact, status: "healthy", history: [], latest: {} };
    this.#entries.delete(hex);
    this.#entries.set(hex, entry);
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    entry.contact = contact;
    entry.history.push(result);
    if (entry.history.length > this.#historySize) entry.history.shift();
    entry.latest[result.level] = result;
    entry.status = statusOf(entry.latest);
    return entry.status;
  }

  /** What is known of a contact. */
  get(id: NodeId): HealthEntry | undefined {
    return this.#entries.get(id.hex);
  }

  /** The status of a contact, if it was ever checked. */
  status(id: NodeId): HealthStatus | undefined {
    return this.#entries.get(id.hex)?.status;
  }

  /** When a contact last finished a check of `level`, in ms; 0 if never. */
  lastCheckedMs(id: NodeId, level: HealthLevel): number {
    return this.#entries.get(id.hex)?.latest[level]?.atMs ?? 0;
  }

  /** Every entry, least recently checked first. */
  entries(): HealthEntry[] {
    return [...this.#entries.values()];
  }
}

function statusOf(latest: Partial<Record<HealthLevel, CheckResult>>): HealthStatus {
  const { fast, medium, deep } = latest;
  const answeredSince = (result: CheckResult) =>
    [medium, deep].some((other) => other !== undefined && other.ok && other.atMs > result.atMs);
  if (fast !== undefined && !fast.ok && !answeredSince(fast)) return "unhealthy";
  if (medium?.ok === false || deep?.ok === false) return "degraded";
  return "healthy";
}
