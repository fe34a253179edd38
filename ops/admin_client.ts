/**
 * The CLI's client of a cqkd admin API, built on Hono's typed client: the routes, their inputs and their answers
 * come from the app's type ({@linkcode AdminAppType} for a `cqkd node`, `HostAppType` for a host process of the
 * local cluster), so that a renamed route or a changed body is a type error here, not a 404 at run time.
 *
 * @module
 */
import type { Hono } from "hono";
import { type ClientResponse, hc } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import type { AdminAppType } from "./admin/mod.ts";

/** Raised when an admin API does not answer, or refuses a request (then `status` is the HTTP status). */
export class AdminRequestError extends Error {
  override name = "AdminRequestError";
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Options of {@linkcode AdminClient}. */
export interface AdminClientOptions {
  /** Bearer token sent with every request. @default none */
  token?: string;
  /** Who answers, in error messages. @default {"The admin API at <base>"} */
  label?: string;
}

// deno-lint-ignore no-explicit-any
type AnyHono = Hono<any, any, any>;

/** The typed client of an app: one property per path segment, one `$get`/`$post`/… per route. */
export type AdminApi<App extends AnyHono> = ReturnType<typeof hc<App>>;

/** What a request gets per call: the timeout's signal (pass it on as the route call's second argument). */
export interface CallOptions {
  init: RequestInit;
}

/** The JSON body of the success answers of a typed response. */
export type SuccessJson<R> = R extends ClientResponse<infer T, infer S, infer F>
  ? S extends SuccessStatusCode ? F extends "json" ? T : never : never
  : never;

/**
 * A client of a cqkd admin HTTP API (a host process's, or a `cqkd node`'s). Every request carries the token; an
 * answer that is not a success becomes an {@linkcode AdminRequestError} naming the method, the path and the API's
 * `{error}`, so callers see only success bodies.
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../core/kademlia/mod.ts";
 * import { CqkdMetrics } from "../core/metrics/mod.ts";
 * import { adminApp } from "./admin/mod.ts";
 * import { AdminClient } from "./admin_client.ts";
 * await using node = KademliaNode.start();
 * const app = adminApp({ name: "n1", nodes: { list: () => [{ name: "n1", node }] }, metrics: new CqkdMetrics() });
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
 * const client = new AdminClient(`http://127.0.0.1:${server.addr.port}`);
 * const health = await client.call((api, options) => api.health.$get({}, options));
 * console.assert(health.host === "n1");
 * ```
 */
export class AdminClient<App extends AnyHono = AdminAppType> {
  /** The typed routes, for {@linkcode call}. */
  readonly api: AdminApi<App>;
  /** The API's URL, without a trailing slash. */
  readonly base: string;
  /** The token sent with every request, if any. */
  readonly token: string | undefined;
  /** Who answers, in error messages. */
  readonly label: string;

  /** @param base the API's URL, e.g. `http://127.0.0.1:8080` */
  constructor(base: string, options: AdminClientOptions = {}) {
    const root = base.replace(/\/+$/, "");
    this.base = root;
    this.token = options.token;
    this.label = options.label ?? `The admin API at ${root}`;
    this.api = hc<App>(root, {
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      fetch: (input: RequestInfo | URL, init?: RequestInit) => this.#fetch(root, input, init),
    });
  }

  /**
   * Sends one request, built on the typed routes, within `timeoutMs`, and resolves with its success body.
   *
   * @throws {AdminRequestError} when the API does not answer in time or refuses
   */
  async call<R extends ClientResponse<unknown, number, string>>(
    send: (api: AdminApi<App>, options: CallOptions) => Promise<R>,
    timeoutMs = 5000,
  ): Promise<SuccessJson<R>> {
    const response = await send(this.api, { init: { signal: AbortSignal.timeout(timeoutMs) } });
    return await response.json() as SuccessJson<R>;
  }

  async #fetch(root: string, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const prefix = new URL(root).pathname.replace(/\/$/, "");
    const what = `${request.method} ${new URL(request.url).pathname.slice(prefix.length) || "/"}`;
    let response: Response;
    try {
      response = await fetch(request);
    } catch (error) {
      throw new AdminRequestError(`${this.label} does not answer: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
    if (response.ok) return response;
    const payload = await response.json().catch(() => ({}));
    throw new AdminRequestError(`${this.label} refused ${what}: ${payload.error ?? response.status}`, response.status);
  }
}
