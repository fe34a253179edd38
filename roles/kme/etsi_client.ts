/** A small ETSI GS QKD 014 client for SAEs and scripts: HTTPS with the KME's CA and the SAE's client certificate. */
import type { EtsiError, EtsiKeyContainer, EtsiStatus } from "./etsi.ts";

/** Where the KME is and who the SAE is. */
export interface EtsiClientOptions {
  /** The KME's base URL (https://host:port). */
  url: string;
  /** The CA certificate that issued the KME's server certificate, PEM. */
  ca: string;
  /** The SAE's client certificate and key, PEM. */
  cert: string;
  key: string;
}

/** A refused request: the HTTP status and the KME's Error object. */
export class EtsiRequestError extends Error {
  override name = "EtsiRequestError";
  constructor(readonly status: number, readonly body: EtsiError) {
    super(`KME answered ${status}: ${body.message}`);
  }
}

/**
 * Calls a KME's key-delivery routes.
 *
 * @example
 * ```ts ignore
 * await using alice = new EtsiClient({ url, ca, cert, key });
 * const { keys } = await alice.getKeys("sae-bob", { number: 2 });
 * ```
 */
export class EtsiClient implements AsyncDisposable {
  readonly #url: string;
  readonly #http: Deno.HttpClient;

  constructor(options: EtsiClientOptions) {
    this.#url = options.url.replace(/\/+$/, "");
    this.#http = Deno.createHttpClient({ caCerts: [options.ca], cert: options.cert, key: options.key });
  }

  /** GET /api/v1/keys/{slave}/status. */
  status(slave: string): Promise<EtsiStatus> {
    return this.#call("GET", `${encodeURIComponent(slave)}/status`);
  }

  /** POST /api/v1/keys/{slave}/enc_keys: new keys for the slave SAE. */
  getKeys(slave: string, request: { number?: number; size?: number } = {}): Promise<EtsiKeyContainer> {
    return this.#call("POST", `${encodeURIComponent(slave)}/enc_keys`, request);
  }

  /** POST /api/v1/keys/{master}/dec_keys: the keys the master SAE was given, by ID. */
  getKeysById(master: string, ids: string[]): Promise<EtsiKeyContainer> {
    return this.#call("POST", `${encodeURIComponent(master)}/dec_keys`, { key_IDs: ids.map((key_ID) => ({ key_ID })) });
  }

  /** Any route under /api/v1/keys/, for requests the typed methods do not make. */
  async raw(method: string, path: string, init: { body?: string; query?: string } = {}): Promise<Response> {
    const query = init.query ? `?${init.query}` : "";
    return await fetch(`${this.#url}/api/v1/keys/${path}${query}`, {
      method,
      client: this.#http,
      ...(init.body === undefined ? {} : { body: init.body, headers: { "content-type": "application/json" } }),
    });
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.raw(method, path, body === undefined ? {} : { body: JSON.stringify(body) });
    const json = await response.json().catch(() => ({ message: `${response.status} without a JSON body` }));
    if (!response.ok) throw new EtsiRequestError(response.status, json as EtsiError);
    return json as T;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#http.close();
    return Promise.resolve();
  }
}
