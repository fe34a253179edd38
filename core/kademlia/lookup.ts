import type { Contact } from "./contact.ts";
import { LookupState } from "./lookup_state.ts";
import type { NodeId } from "./node_id.ts";

/** What one contact answered to a lookup query: closer contacts, or (for value lookups) the value. */
export type QueryAnswer = { contacts: Contact[] } | { value: unknown };

/** Sends one lookup query; rejects when the contact does not answer. */
export type QueryFn = (contact: Contact) => Promise<QueryAnswer>;

/** Options of {@linkcode iterativeLookup}. */
export interface LookupOptions {
  /** How many closest contacts to find. */
  k: number;
  /** Queries in flight at once. */
  alpha: number;
  /** Our own id, never queried. */
  self?: NodeId;
  /** Aborts the lookup; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The outcome of a lookup. */
export interface LookupResult {
  /** The k closest contacts that answered, closest first. */
  closest: Contact[];
  /** Set when a value lookup found the value. */
  found?: { value: unknown; from: Contact };
  /** Contacts that did not answer (the caller drops them from its routing table). */
  failed: Contact[];
  queried: number;
  hops: number;
}

/**
 * Runs an iterative parallel Kademlia lookup: keeps `alpha` queries in flight to the closest contacts not yet
 * asked, merges what they name, and stops when the k closest live contacts have all answered, or at the first
 * value when queries answer with one.
 */
export function iterativeLookup(
  target: NodeId,
  seeds: Iterable<Contact>,
  query: QueryFn,
  options: LookupOptions,
): Promise<LookupResult> {
  const state = new LookupState(target, options.k, seeds, options.self);
  const { alpha, signal } = options;
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let settled = false;
    let found: LookupResult["found"];
    const onAbort = () => settle(() => reject(signal!.reason));
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      finish();
    };
    const done = () =>
      settle(() =>
        resolve({
          closest: state.closest(),
          ...(found ? { found } : {}),
          failed: state.failures(),
          queried: state.queried,
          hops: state.hops,
        })
      );
    const pump = () => {
      if (settled) return;
      if (found !== undefined || state.finished) return done();
      for (const contact of state.next(alpha - inFlight)) {
        inFlight++;
        Promise.try(query, contact).then(
          (answer) => {
            if ("value" in answer) {
              state.answered(contact);
              found ??= { value: answer.value, from: contact };
            } else {
              state.answered(contact, answer.contacts);
            }
          },
          () => state.failed(contact),
        ).finally(() => {
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) done();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    pump();
  });
}
