/** The role executor of a worker node: runs the protocol roles on batches and sends each output, sealed, onward. */
import { toHex } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import {
  fields,
  Inbox,
  METHOD,
  parseRoleData,
  RejectedMessageError,
  ROLE_INPUTS,
  type RoleCommand,
  type Route,
  SealedMessenger,
  type SealedMessengerOptions,
  type SealedPeer,
  type WorkerRole,
} from "../keygen/mod.ts";
import { encodePositions, encodeRoleData } from "../keygen/mod.ts";
import { generateBases, generateSpins, measure, polarize, sift, transmit } from "../quantum/mod.ts";

/** Options of {@linkcode WorkerService.attach}. */
export interface WorkerServiceOptions extends SealedMessengerOptions {
  /** A job whose inputs do not all arrive within this long is dropped. @default {10000} */
  jobTimeoutMs?: number;
  /** Most positions one command may ask for. @default {65536} */
  maxBatchPositions?: number;
  /** Receives warnings (a job that timed out, an output that could not be delivered). */
  onWarning?: (message: string) => void;
}

const ROLES = Object.keys(ROLE_INPUTS) as WorkerRole[];

/**
 * A worker's protocol service: answers `role_command` (an assignment signed by the Alice who sends it; accepted
 * at once), waits for the role's inputs in its inbox from the upstream workers the assignment names (proven by
 * their signatures; copies from anyone else are dropped and counted), checks their lengths against the
 * assignment, computes the batch with roles/quantum and sends the output along every route of the assignment.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { WorkerService } from "./mod.ts";
 * await using node = KademliaNode.start();
 * const worker = await WorkerService.attach(node);
 * console.assert(worker.jobs === 0);
 * await worker.stop();
 * ```
 */
export class WorkerService {
  readonly messenger: SealedMessenger;
  readonly #inbox: Inbox;
  readonly #jobs = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #options: Required<Omit<WorkerServiceOptions, keyof SealedMessengerOptions>>;

  private constructor(messenger: SealedMessenger, options: WorkerServiceOptions) {
    this.messenger = messenger;
    this.#options = { jobTimeoutMs: 10_000, maxBatchPositions: 65_536, onWarning: () => {}, ...options };
    this.#inbox = new Inbox({ onReject: (reason, detail) => messenger.reject(reason, detail) });
    messenger.handle(METHOD.command, (body, from) => this.#accept(body, from));
    messenger.handle(METHOD.data, (body, from) => {
      const { session, batch, name, data } = parseRoleData(body);
      const verdict = this.#inbox.put(session, batch, name, toHex(from.identity), data);
      if (verdict !== "accepted") throw new RejectedMessageError(verdict, `Cannot accept ${name}: ${verdict}`);
      return true;
    });
  }

  /** Registers the worker's sealed RPCs on `node`. */
  static async attach(node: KademliaNode, options: WorkerServiceOptions = {}): Promise<WorkerService> {
    return WorkerService.on(await SealedMessenger.attach(node, options), options);
  }

  /** The worker on a messenger attached by the caller (who may wrap its handlers). */
  static on(messenger: SealedMessenger, options: WorkerServiceOptions = {}): WorkerService {
    return new WorkerService(messenger, options);
  }

  /** Jobs accepted and not finished. */
  get jobs(): number {
    return this.#jobs.size;
  }

  /** Withdraws the RPCs and cancels the jobs waiting for inputs. */
  async stop(): Promise<void> {
    await this.messenger.stop();
    this.#abort.abort(new Error("Worker stopped"));
    await Promise.allSettled([...this.#jobs]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Accepts the assignments of a round (one message per worker): all of them, or none when one is malformed. */
  #accept(body: unknown, _alice: SealedPeer): boolean {
    const { commands } = fields(body, "role assignments");
    if (!Array.isArray(commands) || commands.length < 1 || commands.length > MAX_ASSIGNMENTS) {
      throw new TypeError(`Cannot read role assignments: expected 1-${MAX_ASSIGNMENTS} of them`);
    }
    for (const command of commands.map((c) => parseCommand(c, this.#options.maxBatchPositions))) {
      const job = this.#run(command).catch((error) => {
        if (!this.#abort.signal.aborted) {
          this.#options.onWarning(`${command.role} of batch ${command.batch}: ${(error as Error).message}`);
        }
      }).finally(() => this.#jobs.delete(job));
      this.#jobs.add(job);
    }
    return true;
  }

  async #run(command: RoleCommand): Promise<void> {
    const inputs = await this.#inbox.take(command.session, command.batch, command.inputs, {
      timeoutMs: this.#options.jobTimeoutMs,
      signal: this.#abort.signal,
    });
    for (const [name, value] of Object.entries(inputs)) {
      if (value.length === command.count) continue;
      this.messenger.reject("bad_length", `${name} of batch ${command.batch.slice(0, 12)}: ${value.length} positions`);
      throw new RangeError(`Cannot run ${command.role}: ${name} holds ${value.length} of ${command.count} positions`);
    }
    const output = execute(command, inputs);
    await Promise.all(command.routes.map((route: Route) =>
      this.messenger.request(
        route.to,
        METHOD.data,
        { session: command.session, batch: command.batch, name: route.as, data: encodeRoleData(route.as, output) },
        { signal: this.#abort.signal },
      )
    ));
  }
}

/** The role's output on its inputs (of `count` positions each). */
function execute(command: RoleCommand, inputs: Record<string, Uint8Array>): Uint8Array {
  const { role, count } = command;
  switch (role) {
    case "qsg":
      return generateSpins(count);
    case "bg":
      return generateBases(count);
    case "qpp":
      return transmit(polarize(inputs.spins!, inputs.bases!), command.channel ?? {});
    case "qpm":
      return measure(inputs.polarizations!, inputs.bases!);
    case "qpc":
      return encodePositions(sift(inputs.aliceBases!, inputs.bobBases!), count);
  }
}

const IDENTITY_HEX = /^[0-9a-f]{64}$/;
/** Most assignments one message may carry (a worker takes a few slots of a round at most). */
const MAX_ASSIGNMENTS = 256;

function parseCommand(body: unknown, maxPositions: number): RoleCommand {
  const { session, batch, role, count, inputs, routes, channel } = fields(body, "a role command");
  if (typeof session !== "string" || typeof batch !== "string" || !/^[0-9a-f]{32}$/.test(batch)) {
    throw new TypeError("Cannot read a role command: session must be a string and batch 32 hex digits");
  }
  if (!ROLES.includes(role as WorkerRole)) throw new TypeError(`Cannot run role ${role}: unknown role`);
  const upstream = fields(inputs, "a role command's inputs");
  const names = ROLE_INPUTS[role as WorkerRole];
  if (
    Object.keys(upstream).length !== names.length ||
    !names.every((n) => typeof upstream[n] === "string" && IDENTITY_HEX.test(upstream[n] as string))
  ) throw new TypeError(`Cannot read a role command: ${role} needs the senders of ${names.join(", ") || "nothing"}`);
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > maxPositions) {
    throw new RangeError(`Cannot run a batch of ${count} positions: expected 1-${maxPositions}`);
  }
  if (!Array.isArray(routes) || routes.length > 8) throw new TypeError("Cannot read a role command: bad routes");
  for (const route of routes) {
    const { to, as } = fields(route, "a route");
    const { host, port, key, identity } = fields(to, "a route's peer");
    if (
      typeof as !== "string" || typeof host !== "string" || !Number.isInteger(port) || !(key instanceof Uint8Array) ||
      !(identity instanceof Uint8Array) || identity.length !== 32
    ) throw new TypeError("Cannot read a role command: bad route");
  }
  const link = channel === undefined ? undefined : fields(channel, "a channel");
  return {
    session,
    batch,
    role: role as WorkerRole,
    count: count as number,
    inputs: upstream as Record<string, string>,
    routes: routes as Route[],
    ...(link ? { channel: { noise: Number(link.noise ?? 0), eve: Number(link.eve ?? 0) } } : {}),
  };
}
