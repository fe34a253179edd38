import assert from "node:assert/strict";
import type { Contact } from "./contact.ts";
import { LookupState } from "./lookup_state.ts";
import { NodeId } from "./node_id.ts";

/** With the target at 0, a contact's distance is its id's value. */
const TARGET = NodeId.fromValue(0n);

function c(distance: number): Contact {
  return { id: NodeId.fromValue(BigInt(distance)), host: "127.0.0.1", port: 5000 + distance };
}

const distances = (contacts: Contact[]) => contacts.map((x) => Number(x.id.value));

Deno.test("LookupState.next() hands out the closest unasked contacts, at most slots of them", () => {
  const state = new LookupState(TARGET, 10, [c(9), c(3), c(7), c(1), c(5)]);
  assert.deepEqual(distances(state.next(2)), [1, 3]);
  assert.deepEqual(distances(state.next(2)), [5, 7]);
  assert.deepEqual(distances(state.next(5)), [9]);
  assert.deepEqual(state.next(5), []);
  assert.deepEqual(new LookupState(TARGET, 3, [c(1)]).next(0), []);
});

Deno.test("LookupState.next() looks no further than the k closest live candidates", () => {
  const state = new LookupState(TARGET, 2, [c(1), c(2), c(3), c(4)]);
  assert.deepEqual(distances(state.next(10)), [1, 2]);
  assert.deepEqual(state.next(10), [], "the k closest are pending");
  state.failed(c(1));
  assert.deepEqual(distances(state.next(10)), [3], "a failure lets the next one in");
});

Deno.test("LookupState.finished is true once the k closest live candidates answered", async (t) => {
  await t.step("answers and failures", () => {
    const state = new LookupState(TARGET, 2, [c(1), c(2), c(3)]);
    assert.equal(state.finished, false);
    state.next(3);
    state.answered(c(2));
    assert.equal(state.finished, false);
    state.failed(c(1));
    assert.equal(state.finished, false, "3 is now among the k closest live and has not answered");
    state.next(3);
    state.answered(c(3));
    assert.equal(state.finished, true);
    assert.deepEqual(distances(state.closest()), [2, 3]);
    assert.deepEqual(distances(state.failures()), [1]);
  });
  await t.step("a closer contact learned from an answer reopens the lookup", () => {
    const state = new LookupState(TARGET, 1, [c(8)]);
    state.next(1);
    state.answered(c(8), [c(4), c(16)]);
    assert.equal(state.finished, false);
    assert.deepEqual(distances(state.next(3)), [4]);
    state.answered(c(4), []);
    assert.equal(state.finished, true);
    assert.deepEqual(distances(state.closest()), [4]);
  });
  await t.step("nothing to ask", () => {
    assert.equal(new LookupState(TARGET, 3, []).finished, true);
    const allFailed = new LookupState(TARGET, 3, [c(1)]);
    allFailed.next(1);
    allFailed.failed(c(1));
    assert.equal(allFailed.finished, true);
    assert.deepEqual(allFailed.closest(), []);
  });
});

Deno.test("LookupState.closest() returns at most k contacts that answered, closest first", () => {
  const state = new LookupState(TARGET, 2, [c(5), c(6), c(7)]);
  state.next(3);
  state.answered(c(7));
  state.answered(c(5), [c(1)]);
  assert.deepEqual(distances(state.closest()), [5, 7], "1 was learned but has not answered");
  state.next(1);
  state.answered(c(1));
  state.answered(c(6));
  assert.deepEqual(distances(state.closest()), [1, 5]);
});

Deno.test("LookupState ignores duplicates, its own id and unknown contacts", () => {
  const self = NodeId.fromValue(2n);
  const state = new LookupState(TARGET, 5, [c(1), c(2), c(1)], self);
  state.answered(c(3), [c(2), c(4), c(4)]); // 3 is not a candidate: its answer is ignored
  state.failed(c(9));
  assert.deepEqual(distances(state.next(10)), [1]);
  assert.equal(state.queried, 1);
  state.answered(c(1), [c(2), c(4), c(4)]);
  assert.deepEqual(distances(state.next(10)), [4]);
  assert.equal(state.queried, 2);
});

Deno.test("LookupState counts queried contacts and hops", () => {
  const state = new LookupState(TARGET, 5, [c(40), c(50)]);
  assert.equal(state.hops, 0);
  state.next(5);
  state.failed(c(50));
  state.answered(c(40), [c(20)]);
  assert.equal(state.hops, 0, "seeds are hop 0");
  state.next(5);
  state.answered(c(20), [c(10)]);
  state.next(5);
  state.answered(c(10), []);
  assert.equal(state.hops, 2);
  assert.equal(state.queried, 4);
});

Deno.test("LookupState.stalled() lets the lookup go on without a silent contact, and still takes its answer", () => {
  const state = new LookupState(TARGET, 2, [c(1), c(2), c(3)]);
  assert.deepEqual(distances(state.next(3)), [1, 2]);
  assert.equal(state.stalled(c(1)), true);
  assert.equal(state.stalled(c(1)), false, "only a pending contact stalls");
  assert.equal(state.stalled(c(3)), false, "3 was not asked yet");
  assert.equal(state.stalled(c(9)), false);
  assert.deepEqual(distances(state.next(3)), [3], "the stalled contact's slot goes to the next one");
  state.answered(c(2));
  state.answered(c(3));
  assert.equal(state.finished, true);
  assert.deepEqual(distances(state.closest()), [2, 3]);
  state.answered(c(1)); // a late answer
  assert.deepEqual(distances(state.closest()), [1, 2]);
});
