/**
 * A Key Management Entity's ETSI GS QKD 014 routes as a Hono app. Each link pairs an SAE attached to this KME with
 * its peer SAE on the other KME, in a fixed role (the master asks enc_keys, the slave dec_keys), over the key store
 * this node's key exchange fills. Keys leave the store when delivered, so a key goes once to the master SAE (from
 * this side's store) and once to the slave SAE (from the other side's), and is zeroed here once encoded.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { KeyStore, StoredKey } from "../keystore/mod.ts";
import {
  type EtsiError,
  type EtsiKeyContainer,
  type EtsiStatus,
  keyIdQuerySchema,
  keyIdsSchema,
  keyRequestQuerySchema,
  keyRequestSchema,
  validationError,
} from "./etsi.ts";

/** One SAE pair served by this KME. */
export interface KmeLink {
  /** The SAE attached to this KME. */
  localSae: string;
  /** Its peer SAE, attached to the other KME. */
  peerSae: string;
  /** The other KME's ID. */
  peerKme: string;
  /** Whether the local SAE is the master (asks enc_keys) or the slave (asks dec_keys). */
  localRole: "master" | "slave";
  /** This side's keys of the pair. */
  store: KeyStore;
  /** The size of every key of the pair, in bits. @default {256} */
  keySize?: number;
  /** Most keys one request may ask. @default {128} */
  maxKeysPerRequest?: number;
}

/** One request served, as logged: who, which route, the status and how many keys (never key material). */
export interface KmeEvent {
  sae: string | undefined;
  route: "status" | "enc_keys" | "dec_keys";
  status: number;
  keys: number;
}

/** Options of {@linkcode kmeApp}. */
export interface KmeAppOptions {
  /** This KME's ID. */
  id: string;
  links: KmeLink[];
  /** The authenticated SAE ID of a request (from its client certificate), or undefined. */
  callerOf: (c: Context) => string | undefined;
  /** Called after each request. */
  onEvent?: (event: KmeEvent) => void;
}

const MAX_BODY_BYTES = 131_072;

class EtsiFailure extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly body: EtsiError) {
    super(body.message);
  }
}

/**
 * The ETSI GS QKD 014 routes under /api/v1/keys.
 *
 * @throws {RangeError} when two links name the same local SAE
 */
export function kmeApp(options: KmeAppOptions): Hono {
  const links = new Map<string, KmeLink>();
  for (const link of options.links) {
    if (links.has(link.localSae)) throw new RangeError(`Cannot serve SAE ${link.localSae} twice`);
    links.set(link.localSae, link);
  }
  const app = new Hono();
  // The largest valid body, 1024 key IDs, is about 50 KiB; a larger one is refused before it is read.
  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ message: `Request body too large: the limit is ${MAX_BODY_BYTES} bytes` }, 400),
  }));
  const serve = (route: KmeEvent["route"], role: KmeLink["localRole"] | undefined, handle: Handler) => {
    return async (c: Context) => {
      const sae = options.callerOf(c);
      let status = 200, keys = 0;
      try {
        const link = authorize(links, sae, c.req.param("sae")!, role);
        const body = await handle(c, link);
        keys = "keys" in body ? body.keys.length : 0;
        return c.json(body);
      } catch (error) {
        const failure = error instanceof EtsiFailure
          ? error
          : new EtsiFailure(503, { message: "The KME could not serve the request" });
        status = failure.status;
        return c.json(failure.body, failure.status);
      } finally {
        options.onEvent?.({ sae, route, status, keys });
      }
    };
  };
  app.get("/api/v1/keys/:sae/status", serve("status", undefined, (_c, link) => status(options.id, link)));
  app.get("/api/v1/keys/:sae/enc_keys", serve("enc_keys", "master", (c, link) => encKeys(link, queryOf(c))));
  app.post(
    "/api/v1/keys/:sae/enc_keys",
    serve("enc_keys", "master", async (c, link) => encKeys(link, await bodyOf(c))),
  );
  app.get("/api/v1/keys/:sae/dec_keys", serve("dec_keys", "slave", (c, link) => decKeysByQuery(link, c)));
  app.post("/api/v1/keys/:sae/dec_keys", serve("dec_keys", "slave", async (c, link) => decKeys(link, await bodyOf(c))));
  app.notFound((c) => c.json({ message: `No such route: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  return app;
}

type Handler = (c: Context, link: KmeLink) => Promise<EtsiStatus | EtsiKeyContainer> | EtsiStatus | EtsiKeyContainer;

/** The link of an authenticated SAE of this KME whose peer is `peer`, in `role` (any for status). */
function authorize(
  links: Map<string, KmeLink>,
  sae: string | undefined,
  peer: string,
  role: KmeLink["localRole"] | undefined,
): KmeLink {
  if (sae === undefined) throw new EtsiFailure(401, { message: "Unauthorized: no SAE client certificate" });
  const link = links.get(sae);
  if (link === undefined || link.peerSae !== peer) {
    throw new EtsiFailure(401, { message: `Unauthorized: SAE ${sae} has no key link with SAE ${peer} on this KME` });
  }
  if (role !== undefined && link.localRole !== role) {
    const route = role === "master" ? "enc_keys" : "dec_keys";
    throw new EtsiFailure(401, { message: `Unauthorized: SAE ${sae} is not the ${role} SAE of its link (${route})` });
  }
  return link;
}

function status(id: string, link: KmeLink): EtsiStatus {
  const size = link.keySize ?? 256;
  const master = link.localRole === "master";
  return {
    source_KME_ID: master ? id : link.peerKme,
    target_KME_ID: master ? link.peerKme : id,
    master_SAE_ID: master ? link.localSae : link.peerSae,
    slave_SAE_ID: master ? link.peerSae : link.localSae,
    key_size: size,
    stored_key_count: link.store.size,
    max_key_count: Math.floor(link.store.capacityBits / size),
    max_key_per_request: link.maxKeysPerRequest ?? 128,
    max_key_size: size,
    min_key_size: size,
    max_SAE_ID_count: 0,
  };
}

function encKeys(link: KmeLink, request: unknown): EtsiKeyContainer {
  const parsed = keyRequestSchema.safeParse(request);
  if (!parsed.success) throw new EtsiFailure(400, validationError(parsed.error, "key request"));
  const { number = 1, size = link.keySize ?? 256 } = parsed.data;
  const { additional_slave_SAE_IDs: additional = [], extension_mandatory: mandatory = [] } = parsed.data;
  if (additional.length > 0) {
    throw new EtsiFailure(400, { message: "additional_slave_SAE_IDs is not supported (max_SAE_ID_count is 0)" });
  }
  if (mandatory.length > 0) {
    throw new EtsiFailure(400, {
      message: "extension_mandatory is not supported",
      details: mandatory.map((extension) => ({ extension_mandatory_unsupported: extension })),
    });
  }
  const max = link.maxKeysPerRequest ?? 128;
  if (number > max) throw new EtsiFailure(400, { message: `number ${number} exceeds max_key_per_request ${max}` });
  if (size !== (link.keySize ?? 256)) {
    throw new EtsiFailure(400, { message: `size ${size} is not offered: keys are ${link.keySize ?? 256} bits` });
  }
  // Only keys of the pair's size: a session's whole key waits in the store until it is cut into such keys.
  const ids = link.store.ids(size).slice(0, number);
  if (ids.length < number) {
    throw new EtsiFailure(503, { message: `Not enough keys: ${ids.length} stored, ${number} requested` });
  }
  return deliver(ids.map((id) => link.store.take(id)!));
}

function decKeysByQuery(link: KmeLink, c: Context): EtsiKeyContainer {
  const parsed = keyIdQuerySchema.safeParse(c.req.query());
  if (!parsed.success) throw new EtsiFailure(400, validationError(parsed.error, "key ID query"));
  return decKeys(link, { key_IDs: [{ key_ID: parsed.data.key_ID }] });
}

function decKeys(link: KmeLink, request: unknown): EtsiKeyContainer {
  const parsed = keyIdsSchema.safeParse(request);
  if (!parsed.success) throw new EtsiFailure(400, validationError(parsed.error, "key IDs"));
  const ids = parsed.data.key_IDs.map((entry) => entry.key_ID.toLowerCase());
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) {
    throw new EtsiFailure(400, { message: "A key ID is asked twice", details: [{ key_IDs: [...new Set(repeated)] }] });
  }
  // All or nothing: an unknown ID leaves every other key in the store.
  const missing = ids.filter((id) => !link.store.has(id));
  if (missing.length > 0) {
    throw new EtsiFailure(400, {
      message: "Key not found: unknown, delivered already or of another SAE pair",
      details: [{ key_IDs: missing }],
    });
  }
  return deliver(ids.map((id) => link.store.take(id)!));
}

/** The keys as a Key container; their bytes are zeroed once encoded. */
function deliver(keys: StoredKey[]): EtsiKeyContainer {
  const container = { keys: keys.map((key) => ({ key_ID: key.id, key: base64(key.bytes) })) };
  for (const key of keys) key.bytes.fill(0);
  return container;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function queryOf(c: Context): unknown {
  const parsed = keyRequestQuerySchema.safeParse(c.req.query());
  if (!parsed.success) throw new EtsiFailure(400, validationError(parsed.error, "key request query"));
  return parsed.data;
}

async function bodyOf(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new EtsiFailure(400, { message: "The request body is not JSON" });
  }
}
