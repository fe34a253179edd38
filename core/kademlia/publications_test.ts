import assert from "node:assert/strict";
import { NodeId } from "./node_id.ts";
import { Publications } from "./publications.ts";

const key = (n: number) => NodeId.fromValue(BigInt(n));

Deno.test("Publications.dueFor() lists written values last published at least that long ago", () => {
  const clock = { ms: 1_000_000 };
  const publications = new Publications({ now: () => clock.ms });
  publications.published(key(1), "one");
  publications.published(key(2), "two");
  clock.ms += 600_000;
  publications.published(key(2), "two, again");
  assert.deepEqual(publications.dueFor(600_000).map((p) => p.key), [key(1)]);
  assert.deepEqual(publications.dueFor(600_001), []);
  assert.deepEqual(publications.dueFor(0).map((p) => [p.key, p.value]), [[key(1), "one"], [key(2), "two, again"]]);
  publications.withdraw(key(1));
  assert.deepEqual(publications.dueFor(0).map((p) => p.key), [key(2)]);
});

Deno.test("Publications keeps at most its limit, forgetting the least recently published", () => {
  const publications = new Publications({ limit: 2 });
  publications.published(key(1), "a");
  publications.published(key(2), "b");
  publications.published(key(1), "a again");
  publications.published(key(3), "c");
  assert.equal(publications.size, 2);
  assert.deepEqual(publications.dueFor(0).map((p) => p.key), [key(1), key(3)]);
});
