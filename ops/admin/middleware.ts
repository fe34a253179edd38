import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { InvalidValueError } from "../../core/kademlia/mod.ts";
import { ConflictError, NotFoundError } from "./errors.ts";

/** Answers 413 to a request whose body is over `maxBytes`, before any handler reads it. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `Request body too large: the limit is ${maxBytes} bytes` }, 413),
  });
}

/**
 * The one error handler of the admin API: every failure becomes a JSON `{error}` with a fitting status (HTTP
 * exceptions keep theirs; invalid DHT values are the client's fault; {@linkcode NotFoundError} is 404 and
 * {@linkcode ConflictError} 409; anything else is an internal error, 500).
 */
export const jsonErrors: ErrorHandler = function jsonErrors(error, c) {
  if (error instanceof HTTPException) {
    const response = error.getResponse();
    return c.json({ error: error.message || response.statusText || "Request refused" }, error.status, {
      ...Object.fromEntries(response.headers),
      "content-type": "application/json",
    });
  }
  if (error instanceof InvalidValueError) return c.json({ error: error.message }, 400);
  if (error instanceof NotFoundError) return c.json({ error: error.message }, 404);
  if (error instanceof ConflictError) return c.json({ error: error.message }, 409);
  return c.json({ error: `Internal error: ${error.message}` }, 500);
};

/** A JSON 404 naming the method and path. */
export const jsonNotFound: NotFoundHandler = function jsonNotFound(c: Context) {
  return c.json({ error: `No such endpoint: ${c.req.method} ${c.req.path}` }, 404);
};
