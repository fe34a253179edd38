/**
 * The data formats of ETSI GS QKD 014 v1.1.1 (REST-based key delivery API): the Status, Key request, Key IDs, Key
 * container and Error objects, with the field names of the standard. Requests are validated strictly: a field the
 * standard does not define is an error, and so is an optional feature this KME does not offer.
 */
import { z } from "zod";

/** Status of the key-delivery link between a master and a slave SAE (GET …/status). */
export interface EtsiStatus {
  source_KME_ID: string;
  target_KME_ID: string;
  master_SAE_ID: string;
  slave_SAE_ID: string;
  /** Default key size, in bits. */
  key_size: number;
  stored_key_count: number;
  max_key_count: number;
  max_key_per_request: number;
  max_key_size: number;
  min_key_size: number;
  /** Most additional slave SAEs a request may name (0: no key multicast). */
  max_SAE_ID_count: number;
}

/** One delivered key: its UUID and the key, base64. */
export interface EtsiKey {
  key_ID: string;
  key: string;
}

/** The Key container of enc_keys and dec_keys answers. */
export interface EtsiKeyContainer {
  keys: EtsiKey[];
}

/** The Error object: a message and, optionally, details. */
export interface EtsiError {
  message: string;
  details?: Record<string, unknown>[];
}

const extensionObjects = z.array(z.record(z.string(), z.unknown())).max(100);

/** The Key request object (POST enc_keys). */
export const keyRequestSchema = z.object({
  number: z.number().int().min(1).optional(),
  size: z.number().int().min(1).optional(),
  additional_slave_SAE_IDs: z.array(z.string()).max(100).optional(),
  extension_mandatory: extensionObjects.optional(),
  extension_optional: extensionObjects.optional(),
}).strict();
export type KeyRequest = z.infer<typeof keyRequestSchema>;

/** The query of GET enc_keys: `number` and `size`, decimal. */
export const keyRequestQuerySchema = z.object({
  number: z.string().regex(/^[0-9]{1,9}$/, "expected a positive integer").transform(Number).optional(),
  size: z.string().regex(/^[0-9]{1,9}$/, "expected a positive integer").transform(Number).optional(),
}).strict();

const uuid = z.string().regex(
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  "expected a UUID",
);

/** The Key IDs object (POST dec_keys). */
export const keyIdsSchema = z.object({
  key_IDs: z.array(z.object({ key_ID: uuid, key_ID_extension: z.unknown().optional() }).strict()).min(1).max(1024),
  key_IDs_extension: z.unknown().optional(),
}).strict();
export type KeyIds = z.infer<typeof keyIdsSchema>;

/** The query of GET dec_keys: one `key_ID`. */
export const keyIdQuerySchema = z.object({ key_ID: uuid }).strict();

/** An ETSI Error object for a zod failure: one detail per issue, naming the field. */
export function validationError(error: z.ZodError, what: string): EtsiError {
  return {
    message: `Invalid ${what}`,
    details: error.issues.map((issue) => ({ field: issue.path.join(".") || "(body)", problem: issue.message })),
  };
}
