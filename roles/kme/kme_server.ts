/**
 * A KME's HTTPS server with mutual TLS, as ETSI GS QKD 014 asks: the server presents its certificate, and every SAE
 * presents a client certificate issued by the KME's CA whose common name is its SAE ID. A connection without such a
 * certificate is closed during the handshake. (Deno.serve does not request client certificates; node:https does,
 * and @hono/node-server runs the Hono app on it.)
 */
import { getRequestListener } from "@hono/node-server";
import type { Context } from "hono";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { kmeApp, type KmeAppOptions } from "./kme_app.ts";

/** Options of {@linkcode KmeServer.start}. */
export interface KmeServerOptions extends Omit<KmeAppOptions, "callerOf"> {
  /** The server certificate and key, PEM. */
  cert: string;
  key: string;
  /** The CA that issues the SAEs' client certificates, PEM. */
  ca: string;
  /** @default {"127.0.0.1"} */
  hostname?: string;
  /** 0 picks a free port. @default {0} */
  port?: number;
}

/** A running KME; `await using` closes it. */
export class KmeServer implements AsyncDisposable {
  readonly #server: https.Server;
  /** The base URL, e.g. https://127.0.0.1:8443. */
  readonly url: string;

  private constructor(server: https.Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** Starts serving; resolves once listening. */
  static async start(options: KmeServerOptions): Promise<KmeServer> {
    const app = kmeApp({ ...options, callerOf: saeOfClientCertificate });
    const server = https.createServer({
      cert: options.cert,
      key: options.key,
      ca: [options.ca],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      // Hono's node adapter would otherwise swap the global Request and Response for its own, and every Deno.serve
      // of the process (a host's control API) would then hang on the responses it cannot send.
    }, getRequestListener(app.fetch, { overrideGlobalObjects: false }));
    const hostname = options.hostname ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, hostname, () => resolve());
    });
    const { port } = server.address() as { port: number };
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return new KmeServer(server, `https://${host}:${port}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** The SAE ID of a request: the common name of its verified client certificate. */
function saeOfClientCertificate(c: Context): string | undefined {
  const socket = (c.env as { incoming?: { socket?: TLSSocket } }).incoming?.socket;
  if (socket === undefined || !socket.authorized) return undefined;
  const name = socket.getPeerCertificate()?.subject?.CN;
  return typeof name === "string" && name.length > 0 ? name : undefined;
}
