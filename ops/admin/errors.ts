/**
 * The errors a request can run into that are neither the client's bad input nor a bug, by what they mean; the admin
 * app's error handler gives each its status ({@linkcode NotFoundError} 404, {@linkcode ConflictError} 409), so the
 * code that throws them knows nothing of HTTP.
 *
 * @module
 */

/** What the request names does not exist here: a node, a session, a value. Answered 404. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The request is well formed but the state here refuses it: a name already taken, a role that is not running. 409. */
export class ConflictError extends Error {
  override name = "ConflictError";
}
