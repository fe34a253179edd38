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

/** A client of a cqkd admin HTTP API (a host process's, or a `cqkd node`'s): JSON in, JSON out. */
export class AdminClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #label: string;

  /** @param base the API's URL, e.g. `http://127.0.0.1:8080` */
  constructor(base: string, options: AdminClientOptions = {}) {
    this.#base = base.replace(/\/+$/, "");
    this.#token = options.token;
    this.#label = options.label ?? `The admin API at ${this.#base}`;
  }

  /** @throws {AdminRequestError} when the API does not answer or refuses */
  get<T>(path: string, timeoutMs = 5000): Promise<T> {
    return this.#request<T>("GET", path, undefined, timeoutMs);
  }

  /** @throws {AdminRequestError} when the API does not answer or refuses */
  post<T>(path: string, body: unknown = {}, timeoutMs = 60_000): Promise<T> {
    return this.#request<T>("POST", path, body, timeoutMs);
  }

  /** @throws {AdminRequestError} when the API does not answer or refuses */
  patch<T>(path: string, body: unknown, timeoutMs = 10_000): Promise<T> {
    return this.#request<T>("PATCH", path, body, timeoutMs);
  }

  async #request<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AdminRequestError(`${this.#label} does not answer: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new AdminRequestError(
        `${this.#label} refused ${method} ${path}: ${payload.error ?? response.status}`,
        response.status,
      );
    }
    return payload as T;
  }
}
