import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { TransportStats } from "../net/mod.ts";
import { type MetricDefinition, METRICS } from "./definitions.ts";
import { type MetricsSource, summarizeNodes } from "./source.ts";

/** How an RPC this process sent ended. */
export type RpcOutcome = "ok" | "timeout" | "error" | "aborted";
/** Health-check levels. */
export type HealthLevel = "fast" | "medium" | "deep";
/** What a health check concluded. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";
/** Kinds of iterative lookup. */
export type LookupKind = "find_node" | "find_value";
/** How a key-generation session ended: a key, an abort on QBER, or a failure. */
export type SessionOutcome = "completed" | "aborted" | "failed";

/** Longest key-generation step label accepted (labels are series: they must stay short and few). */
export const MAX_STEP_LABEL = 64;

/** Each cumulative transport counter and the metric family that exports it. */
const TRANSPORT_COUNTERS = [
  ["datagramsIn", METRICS.datagramsReceived],
  ["datagramsOut", METRICS.datagramsSent],
  ["requestsIn", METRICS.requestsReceived],
  ["requestsOut", METRICS.requestsSent],
  ["responsesIn", METRICS.responsesReceived],
  ["timeouts", METRICS.requestTimeouts],
  ["sendErrors", METRICS.sendErrors],
] as const satisfies ReadonlyArray<readonly [keyof TransportStats, MetricDefinition<never>]>;

/**
 * The Prometheus metrics of one cqkd process, in a registry of its own (never prom-client's global one), so that
 * tests and several hosts in one process do not collide. Events are recorded by the typed methods; the state of
 * the process's nodes (routing tables, parameters, transport counters) is read from a {@linkcode MetricsSource} at
 * every {@linkcode render}, so a scrape costs one pass over the nodes and nothing between scrapes.
 *
 * @example Record an RPC and render the text exposition
 * ```ts
 * import { CqkdMetrics } from "./mod.ts";
 * const metrics = new CqkdMetrics();
 * metrics.rpcCompleted("ping", "ok", 0.002);
 * const text = await metrics.render();
 * console.assert(text.includes('cqkd_rpc_requests_total{method="ping",outcome="ok"} 1'));
 * ```
 */
export class CqkdMetrics {
  readonly #registry = new Registry();
  readonly #rpcRequests = this.#counter(METRICS.rpcRequests);
  readonly #rpcDuration = this.#histogram(METRICS.rpcDuration);
  readonly #bootstrapDuration = this.#histogram(METRICS.bootstrapDuration);
  readonly #discoveryDuration = this.#histogram(METRICS.discoveryDuration);
  readonly #healthCheckDuration = this.#histogram(METRICS.healthCheckDuration);
  readonly #healthChecks = this.#counter(METRICS.healthChecks);
  readonly #refreshRpcs = this.#counter(METRICS.refreshRpcs);
  readonly #refreshAccountedRpcs = this.#counter(METRICS.refreshAccountedRpcs);
  readonly #lookupHops = this.#histogram(METRICS.lookupHops);
  readonly #keygenStepDuration = this.#histogram(METRICS.keygenStepDuration);
  readonly #keygenQber = this.#histogram(METRICS.keygenQber);
  readonly #keygenSessions = this.#counter(METRICS.keygenSessions);
  readonly #keygenRejected = this.#counter(METRICS.keygenRejected);
  readonly #fingerprintsShown = this.#counter(METRICS.fingerprintsShown);
  readonly #adminRateLimited = this.#counter(METRICS.adminRateLimited);
  readonly #keyPoolBits = this.#gauge(METRICS.keyPoolBits);
  readonly #keyPoolKeys = this.#gauge(METRICS.keyPoolKeys);
  readonly #keyPoolLowWatermark = this.#gauge(METRICS.keyPoolLowWatermark);
  readonly #keyPoolSecretBits = this.#counter(METRICS.keyPoolSecretBits);
  readonly #keyPoolSessions = this.#counter(METRICS.keyPoolSessions);
  readonly #keyPoolQber = this.#gauge(METRICS.keyPoolQber);
  readonly #nodes = this.#gauge(METRICS.nodes);
  readonly #routingTableContacts = this.#gauge(METRICS.routingTableContacts);
  readonly #routingTableBuckets = this.#gauge(METRICS.routingTableBuckets);
  readonly #alpha = this.#gauge(METRICS.alpha);
  readonly #k = this.#gauge(METRICS.k);
  readonly #rpcTimeout = this.#gauge(METRICS.rpcTimeout);
  readonly #refreshInterval = this.#gauge(METRICS.refreshInterval);
  readonly #transport = TRANSPORT_COUNTERS.map(([field, definition]) => [field, this.#counter(definition)] as const);
  readonly #datagramsDropped = this.#counter(METRICS.datagramsDropped);
  #source: MetricsSource | undefined;

  /** The HTTP `Content-Type` of {@linkcode render}'s output (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Reads the state metrics from `source` at every render from now on (replacing any earlier source). */
  observe(source: MetricsSource): void {
    this.#source = source;
  }

  /** Records an RPC this process sent; `seconds` (time to the answer) is observed only when it was answered. */
  rpcCompleted(method: string, outcome: RpcOutcome, seconds: number): void {
    checkAmount("an RPC duration", seconds);
    this.#rpcRequests.inc({ method, outcome });
    if (outcome === "ok") this.#rpcDuration.observe({ method }, seconds);
  }

  /** Records how long a node took to join the network. */
  bootstrapFinished(seconds: number): void {
    this.#bootstrapDuration.observe(checkAmount("a bootstrap duration", seconds));
  }

  /** Records how long a worker discovery took. */
  discoveryFinished(seconds: number): void {
    this.#discoveryDuration.observe(checkAmount("a discovery duration", seconds));
  }

  /** Records one health check: its level, the status it concluded and how long it took. */
  healthCheck(level: HealthLevel, status: HealthStatus, seconds: number): void {
    checkAmount("a health-check duration", seconds);
    this.#healthChecks.inc({ level, status });
    this.#healthCheckDuration.observe({ level }, seconds);
  }

  /** Records the number of query rounds of one iterative lookup. */
  lookupFinished(kind: LookupKind, hops: number): void {
    this.#lookupHops.observe({ kind }, checkAmount("a lookup hop count", hops));
  }

  /**
   * Records how long one key-generation step took, by the step's name ("02-03 discover workers", "cascade", …).
   * @throws {RangeError} for an empty or overlong name
   */
  keygenStep(step: string, seconds: number): void {
    if (step.length === 0 || step.length > MAX_STEP_LABEL) {
      throw new RangeError(`Cannot record key-generation step "${step}": expected 1-${MAX_STEP_LABEL} characters`);
    }
    this.#keygenStepDuration.observe({ step }, checkAmount("a step duration", seconds));
  }

  /** Records the QBER a session estimated. @throws {RangeError} outside 0–1 */
  qber(value: number): void {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`Cannot record a QBER of ${value}: expected 0-1`);
    this.#keygenQber.observe(value);
  }

  /** Records the end of a key-generation session. */
  session(outcome: SessionOutcome): void {
    this.#keygenSessions.inc({ outcome });
  }

  /** Records a key-exchange message dropped, by reason (a label of roles/keygen REJECT_REASONS). */
  keygenRejected(reason: string): void {
    this.#keygenRejected.inc({ reason });
  }

  /** Records a key fingerprint put in a report. */
  fingerprintShown(): void {
    this.#fingerprintsShown.inc();
  }

  /** Records the fill of an SAE pair's key pool (`pair` is "master/slave"). */
  keyPoolFill(pair: string, fill: { bits: number; keys: number; lowWatermarkBits: number }): void {
    this.#keyPoolBits.set({ pair }, checkAmount("a key pool fill", fill.bits));
    this.#keyPoolKeys.set({ pair }, checkAmount("a key pool fill", fill.keys));
    this.#keyPoolLowWatermark.set({ pair }, checkAmount("a watermark", fill.lowWatermarkBits));
  }

  /** Records a session that refilled a key pool: its outcome, and for a completed one its bits and QBER. */
  keyPoolSession(
    pair: string,
    outcome: "completed" | "aborted",
    produced: { bits?: number; qber?: number } = {},
  ): void {
    this.#keyPoolSessions.inc({ pair, outcome });
    if (produced.bits !== undefined) this.#keyPoolSecretBits.inc({ pair }, checkAmount("secret bits", produced.bits));
    if (produced.qber !== undefined) this.#keyPoolQber.set({ pair }, produced.qber);
  }

  /** Records an admin API request refused with 429, by the bucket that ran dry (client address or token). */
  rateLimited(by: "address" | "token"): void {
    this.#adminRateLimited.inc({ by });
  }

  /** The text exposition of every metric, state metrics read from the source now. */
  async render(): Promise<string> {
    if (this.#source !== undefined) this.#readSource(this.#source);
    return await this.#registry.metrics();
  }

  #readSource(source: MetricsSource): void {
    const { byRole, contacts, buckets } = summarizeNodes(source.nodes());
    // Reset first: nodes and roles that are gone must not linger as series.
    const perRole = [this.#nodes, this.#alpha, this.#k, this.#rpcTimeout, this.#refreshInterval];
    for (const gauge of [...perRole, this.#routingTableContacts]) gauge.reset();
    for (const [role, summary] of byRole) {
      this.#nodes.set({ role }, summary.nodes);
      this.#alpha.set({ role }, summary.alpha);
      this.#k.set({ role }, summary.k);
      this.#rpcTimeout.set({ role }, summary.rpcTimeoutS);
      if (summary.refreshIntervalS !== undefined) this.#refreshInterval.set({ role }, summary.refreshIntervalS);
    }
    for (const [node, size] of contacts) this.#routingTableContacts.set({ node }, size);
    for (const [fill, count] of Object.entries(buckets)) this.#routingTableBuckets.set({ fill }, count);

    // The transport keeps cumulative counts: a counter shows them as they are.
    const stats = source.stats();
    for (const [field, counter] of this.#transport) setCounter(counter, stats[field]);
    // Refresh overhead = rate(refresh RPCs) / rate(all RPCs sent); the transport counts requests by purpose.
    setCounter(this.#refreshRpcs, stats.requestsByPurpose.refresh ?? 0);
    setCounter(this.#refreshAccountedRpcs, stats.requestsOut);
    this.#datagramsDropped.reset();
    for (const [reason, count] of Object.entries(stats.dropped)) this.#datagramsDropped.inc({ reason }, count);
  }

  #counter<L extends string>(definition: MetricDefinition<L>): Counter<L> {
    return new Counter(this.#config(definition));
  }

  #gauge<L extends string>(definition: MetricDefinition<L>): Gauge<L> {
    return new Gauge(this.#config(definition));
  }

  #histogram<L extends string>(definition: MetricDefinition<L>): Histogram<L> {
    return new Histogram({ ...this.#config(definition), buckets: [...definition.buckets ?? []] });
  }

  #config<L extends string>({ name, help, labelNames }: MetricDefinition<L>) {
    return { name, help, labelNames, registers: [this.#registry] };
  }
}

function setCounter(counter: Counter<never>, value: number): void {
  counter.reset();
  counter.inc(value);
}

/** A duration or count must be a finite number >= 0. */
function checkAmount(what: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`Cannot record ${what} of ${value}: expected a finite number >= 0`);
  }
  return value;
}
