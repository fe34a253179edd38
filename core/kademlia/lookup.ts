import type { Contact } from "./contact.ts";
import { LookupState } from "./lookup_state.ts";
import type { NodeId } from "./node_id.ts";
import { runtime } from "../runtime/mod.ts";

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
  /**
   * After this long without an answer a query no longer holds up the lookup: its slot goes to the next contact and
   * the lookup may finish without it (a late answer is still used). No limit when absent.
   */
  stallMs?: number;
  /** Aborts the lookup; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Stop as soon as the node with this id has answered (locating one node needs no k closest). */
  stopAt?: NodeId;
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
  const { alpha, signal, stallMs } = options;
  return new Promise((resolve, reject) => {
    /** Queries that hold an alpha slot: pending and not stalled. */
    let active = 0;
    let settled = false;
    let found: LookupResult["found"];
    let reached = false;
    const stallTimers = new Set<ReturnType<typeof setTimeout>>();
    const onAbort = () => settle(() => reject(signal!.reason));
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      for (const timer of stallTimers) runtime.clearTimeout(timer);
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
    const launch = (contact: Contact) => {
      active++;
      let holdsSlot = true;
      const release = () => {
        if (holdsSlot) active--;
        holdsSlot = false;
      };
      // The node a lookup looks for (stopAt) is never passed over as slow: a late answer from it is the answer, and
      // going on without it ends the lookup without it whenever the rest answer first (a busy host missed a node).
      const waitsFully = stallMs === undefined || options.stopAt?.equals(contact.id) === true;
      const stallTimer = waitsFully ? undefined : runtime.setTimeout(() => {
        stallTimers.delete(stallTimer!);
        if (state.stalled(contact)) {
          release();
          pump();
        }
      }, stallMs);
      if (stallTimer !== undefined) stallTimers.add(stallTimer);
      Promise.try(query, contact).then(
        (answer) => {
          if ("value" in answer) {
            state.answered(contact);
            found ??= { value: answer.value, from: contact };
          } else {
            state.answered(contact, answer.contacts);
          }
          if (options.stopAt?.equals(contact.id)) reached = true;
        },
        () => state.failed(contact),
      ).finally(() => {
        runtime.clearTimeout(stallTimer);
        stallTimers.delete(stallTimer!);
        release();
        pump();
      });
    };
    const pump = () => {
      if (settled) return;
      if (found !== undefined || reached || state.finished) return done();
      for (const contact of state.next(alpha - active)) launch(contact);
      if (active === 0) done();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    pump();
  });
}
