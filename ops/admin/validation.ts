import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { z } from "zod";

/**
 * Validates one part of a request (`json`, `param`, `query`) against a zod schema and answers 400 with the first
 * problem, naming its field: `Invalid request body: nodes.0.role: …`.
 */
export function valid<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  const what = target === "json" ? "request body" : target === "param" ? "path" : target;
  return zValidator(target, schema, (result, c) => {
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "body";
    return c.json({ error: `Invalid ${what}: ${field}: ${issue?.message ?? "malformed"}` }, 400);
  });
}

/** A `host:port` address in a request (host names allowed: whoever uses it resolves them). */
export const hostPortSchema = z.string().regex(/^[^\s]+:\d{1,5}$/, "expected host:port");
