/** The role executor of a worker node: runs the protocol roles on batches and sends each output, sealed, onward. */
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import {
  fields,
  Inbox,
  METHOD,
  ROLE_INPUTS,
  type RoleCommand,
  type Route,
  SealedMessenger,
  type SealedMessengerOptions,
  type WorkerRole,
} from "../keygen/mod.ts";
import { encodePositions } from "../keygen/mod.ts";
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
 * A worker's protocol service: answers `role_command` (accepted at once), waits for the role's inputs in its
 * inbox, computes the batch with roles/quantum and sends the output along every route of the command.
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
  readonly #inbox = new Inbox();
  readonly #jobs = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #options: Required<Omit<WorkerServiceOptions, keyof SealedMessengerOptions>>;

  private constructor(messenger: SealedMessenger, options: WorkerServiceOptions) {
    this.messenger = messenger;
    this.#options = { jobTimeoutMs: 10_000, maxBatchPositions: 65_536, onWarning: () => {}, ...options };
    messenger.handle(METHOD.command, (body) => this.#accept(body));
    messenger.handle(METHOD.data, (body) => {
      const { session, batch, name, data } = fields(body, "role data");
      if (typeof session !== "string" || typeof batch !== "string" || typeof name !== "string") {
        throw new TypeError("Cannot read role data: session, batch and name must be strings");
      }
      if (!(data instanceof Uint8Array)) throw new TypeError("Cannot read role data: data must be bytes");
      this.#inbox.put(session, batch, name, data);
      return true;
    });
  }

  /** Registers the worker's sealed RPCs on `node`. */
  static async attach(node: KademliaNode, options: WorkerServiceOptions = {}): Promise<WorkerService> {
    return new WorkerService(await SealedMessenger.attach(node, options), options);
  }

  /** Jobs accepted and not finished. */
  get jobs(): number {
    return this.#jobs.size;
  }

  /** Withdraws the RPCs and cancels the jobs waiting for inputs. */
  async stop(): Promise<void> {
    this.messenger.stop();
    this.#abort.abort(new Error("Worker stopped"));
    await Promise.allSettled([...this.#jobs]);
  }

  #accept(body: unknown): boolean {
    const command = parseCommand(body, this.#options.maxBatchPositions);
    const job = this.#run(command).catch((error) => {
      if (!this.#abort.signal.aborted) {
        this.#options.onWarning(`${command.role} of batch ${command.batch}: ${(error as Error).message}`);
      }
    }).finally(() => this.#jobs.delete(job));
    this.#jobs.add(job);
    return true;
  }

  async #run(command: RoleCommand): Promise<void> {
    const inputs = await this.#inbox.take(command.session, command.batch, ROLE_INPUTS[command.role], {
      timeoutMs: this.#options.jobTimeoutMs,
      signal: this.#abort.signal,
    });
    const output = execute(command, inputs);
    await Promise.all(command.routes.map((route: Route) =>
      this.messenger.request(
        route.to,
        METHOD.data,
        { session: command.session, batch: command.batch, name: route.as, data: output },
        { signal: this.#abort.signal },
      )
    ));
  }
}

/** The role's output on its inputs. @throws {RangeError} when an input does not hold `count` positions */
function execute(command: RoleCommand, inputs: Record<string, Uint8Array>): Uint8Array {
  const { role, count } = command;
  for (const [name, value] of Object.entries(inputs)) {
    if (value.length !== count) throw new RangeError(`Cannot run ${role}: ${name} holds ${value.length} positions`);
  }
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
      return encodePositions(sift(inputs.aliceBases!, inputs.bobBases!));
  }
}

function parseCommand(body: unknown, maxPositions: number): RoleCommand {
  const { session, batch, role, count, routes, channel } = fields(body, "a role command");
  if (typeof session !== "string" || typeof batch !== "string") {
    throw new TypeError("Cannot read a role command: session and batch must be strings");
  }
  if (!ROLES.includes(role as WorkerRole)) throw new TypeError(`Cannot run role ${role}: unknown role`);
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > maxPositions) {
    throw new RangeError(`Cannot run a batch of ${count} positions: expected 1-${maxPositions}`);
  }
  if (!Array.isArray(routes) || routes.length > 8) throw new TypeError("Cannot read a role command: bad routes");
  for (const route of routes) {
    const { to, as } = fields(route, "a route");
    const { host, port, key } = fields(to, "a route's peer");
    if (
      typeof as !== "string" || typeof host !== "string" || !Number.isInteger(port) || !(key instanceof Uint8Array)
    ) throw new TypeError("Cannot read a role command: bad route");
  }
  const link = channel === undefined ? undefined : fields(channel, "a channel");
  return {
    session,
    batch,
    role: role as WorkerRole,
    count: count as number,
    routes: routes as Route[],
    ...(link ? { channel: { noise: Number(link.noise ?? 0), eve: Number(link.eve ?? 0) } } : {}),
  };
}
