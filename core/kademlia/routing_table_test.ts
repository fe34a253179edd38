import assert from "node:assert/strict";
import type { Contact } from "./contact.ts";
import { ID_SPACE, NodeId } from "./node_id.ts";
import { type PingFn, RoutingTable } from "./routing_table.ts";

const SELF = NodeId.fromValue(0n);
/** Start of the far bucket of depth 5 (ids 000001…) when our own id is 0. */
const FAR5 = 1n << 155n;

function contact(value: bigint): Contact {
  return { id: NodeId.fromValue(value), host: "127.0.0.1", port: 4000 + Number(value % 1000n) };
}

/** A ping whose answers the test gives by hand. */
function fakePing() {
  const calls: Array<{ contact: Contact; answer: (alive: boolean) => void }> = [];
  const ping: PingFn = (c) => new Promise((resolve) => calls.push({ contact: c, answer: resolve }));
  return { calls, ping };
}

/** Lets the table's ping callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const ids = (contacts: Contact[]) => contacts.map((c) => c.id.value);

function bucketAt(table: RoutingTable, lo: bigint) {
  return table.buckets().find((b) => b.lo === lo) ?? assert.fail(`no bucket starts at ${lo}`);
}

/** A table with k=2 whose depth-5 far bucket [2^155, 2^156) is full of a (least recently seen) and b. */
function fullFarBucket() {
  const { calls, ping } = fakePing();
  const table = new RoutingTable(SELF, { k: 2, ping });
  const [a, b] = [contact(FAR5 + 1n), contact(FAR5 + 2n)];
  assert.equal(table.add(a), "added");
  assert.equal(table.add(b), "added");
  return { table, calls, a, b };
}

Deno.test("RoutingTable.add() splits the bucket that covers its own id", () => {
  const table = new RoutingTable(SELF, { k: 2, ping: () => assert.fail("no ping expected") });
  assert.equal(table.add(contact((1n << 159n) + 1n)), "added");
  assert.equal(table.add(contact(1n)), "added");
  assert.equal(table.add(contact(2n)), "added");
  assert.deepEqual(
    table.buckets().map(({ lo, hi, depth, size }) => ({ lo, hi, depth, size })),
    [{ lo: 0n, hi: 1n << 159n, depth: 1, size: 2 }, { lo: 1n << 159n, hi: ID_SPACE, depth: 1, size: 1 }],
  );
  assert.equal(table.size, 3);
  assert.equal(table.add({ ...contact(0n) }), "self");
  assert.equal(table.size, 3);
});

Deno.test("RoutingTable.add() splits a full far bucket whose depth is not a multiple of 5", () => {
  const table = new RoutingTable(SELF, { k: 2, ping: () => assert.fail("no ping expected") });
  const base = 1n << 156n; // the far bucket [2^156, 2^157) has depth 4
  table.add(contact(base + 1n));
  table.add(contact(base + (1n << 155n) + 1n));
  assert.equal(table.add(contact(base + 2n)), "added");
  assert.equal(table.size, 3);
  const [left, right] = [bucketAt(table, base), bucketAt(table, base + (1n << 155n))];
  assert.deepEqual([left.hi, left.depth, left.size, left.replacements], [base + (1n << 155n), 5, 2, 0]);
  assert.deepEqual([right.hi, right.depth, right.size], [1n << 157n, 5, 1]);
});

Deno.test("RoutingTable.add() caches the newcomer of a full depth-5 far bucket and pings the oldest", async (t) => {
  await t.step("no split, newcomer cached", () => {
    const { table, calls, a } = fullFarBucket();
    assert.equal(table.add(contact(FAR5 + 3n)), "cached");
    const bucket = bucketAt(table, FAR5);
    assert.deepEqual({ hi: bucket.hi, depth: bucket.depth, size: bucket.size }, { hi: 1n << 156n, depth: 5, size: 2 });
    assert.equal(bucket.replacements, 1);
    assert.equal(table.get(contact(FAR5 + 3n).id), undefined);
    assert.deepEqual(calls.map((c) => c.contact), [a]);
  });

  await t.step("one ping at a time per bucket", () => {
    const { table, calls } = fullFarBucket();
    table.add(contact(FAR5 + 3n));
    table.add(contact(FAR5 + 4n));
    assert.equal(calls.length, 1);
    assert.equal(bucketAt(table, FAR5).replacements, 2);
  });

  await t.step("no answer: the oldest is evicted and the newest replacement takes its place", async () => {
    const { table, calls, a, b } = fullFarBucket();
    table.add(contact(FAR5 + 3n));
    table.add(contact(FAR5 + 4n));
    calls[0]!.answer(false);
    await settle();
    assert.equal(table.get(a.id), undefined);
    assert.deepEqual(ids(table.contacts()), [b.id.value, FAR5 + 4n]);
    assert.equal(bucketAt(table, FAR5).replacements, 1);
  });

  await t.step("an answer keeps the oldest and makes it the most recent", async () => {
    const { table, calls, a, b } = fullFarBucket();
    table.add(contact(FAR5 + 3n));
    calls[0]!.answer(true);
    await settle();
    assert.deepEqual(ids(table.contacts()), [b.id.value, a.id.value]);
    // b is now the least recently seen, so the next newcomer gets it pinged.
    assert.equal(table.add(contact(FAR5 + 4n)), "cached");
    assert.deepEqual(calls.map((c) => c.contact), [a, b]);
  });

  await t.step("without a ping function the bucket keeps its contacts", () => {
    const table = new RoutingTable(SELF, { k: 2 });
    table.add(contact(FAR5 + 1n));
    table.add(contact(FAR5 + 2n));
    assert.equal(table.add(contact(FAR5 + 3n)), "cached");
    assert.deepEqual(ids(table.contacts()), [FAR5 + 1n, FAR5 + 2n]);
  });
});

Deno.test("RoutingTable.remove() drops a contact and promotes the newest replacement", () => {
  const { table, a, b } = fullFarBucket();
  table.add(contact(FAR5 + 3n));
  table.add(contact(FAR5 + 4n));
  assert.equal(table.remove(b.id), true);
  assert.deepEqual(ids(table.contacts()), [a.id.value, FAR5 + 4n]);
  assert.equal(table.remove(b.id), false);
  assert.equal(table.remove(NodeId.fromValue(FAR5 + 99n)), false);
  // Removing a cached contact forgets it without touching the bucket.
  assert.equal(table.remove(NodeId.fromValue(FAR5 + 3n)), false);
  assert.equal(bucketAt(table, FAR5).replacements, 0);
  assert.equal(table.remove(a.id), true);
  assert.deepEqual(ids(table.contacts()), [FAR5 + 4n]);
});

Deno.test("RoutingTable.add() never lets a hearsay contact displace a known one", () => {
  const { table, calls, a } = fullFarBucket();
  assert.equal(table.add(contact(FAR5 + 3n), { hearsay: true }), "ignored");
  assert.equal(calls.length, 0);
  assert.equal(bucketAt(table, FAR5).replacements, 0);
  // Hearsay of a known contact does not count as seeing it: a stays the least recently seen.
  assert.equal(table.add(a, { hearsay: true }), "updated");
  table.add(contact(FAR5 + 4n));
  assert.deepEqual(calls.map((c) => c.contact), [a]);
  // A free slot is taken.
  assert.equal(table.add(contact(1n << 158n), { hearsay: true }), "added");
});

Deno.test("RoutingTable.closest() orders by distance, honours count and leaves out the excluded id", () => {
  const table = new RoutingTable(NodeId.random(), { k: 20 });
  for (let i = 0; i < 300; i++) table.add({ id: NodeId.random(), host: "127.0.0.1", port: 1000 + i });
  const all = table.contacts();
  assert.ok(all.length >= 40, `only ${all.length} contacts kept`);
  for (let round = 0; round < 20; round++) {
    const target = NodeId.random();
    const truth = [...all].sort((x, y) => {
      const [dx, dy] = [x.id.distanceTo(target), y.id.distanceTo(target)];
      return dx < dy ? -1 : 1;
    });
    assert.deepEqual(ids(table.closest(target, 7)), ids(truth.slice(0, 7)));
    assert.deepEqual(ids(table.closest(target)), ids(truth.slice(0, 20)));
    assert.deepEqual(ids(table.closest(target, 5, truth[0]!.id)), ids(truth.slice(1, 6)));
  }
  assert.deepEqual(table.closest(NodeId.random(), 0), []);
  assert.deepEqual(new RoutingTable(SELF).closest(SELF), []);
});

Deno.test("RoutingTable.hasCloser() says whether any contact but the excluded one is closer than a distance", () => {
  const self = NodeId.random();
  const table = new RoutingTable(self, { k: 20 });
  for (let i = 0; i < 300; i++) table.add({ id: NodeId.random(), host: "127.0.0.1", port: 1000 + i });
  const all = table.contacts();
  for (let round = 0; round < 50; round++) {
    const target = NodeId.random();
    const byDistance = [...all].sort((x, y) => (x.id.distanceTo(target) < y.id.distanceTo(target) ? -1 : 1));
    const [first, second] = [byDistance[0]!, byDistance[1]!];
    // Our own distance, and just past / at the closest contact's.
    const own = self.distanceTo(target);
    assert.equal(table.hasCloser(target, own), first.id.distanceTo(target) < own);
    assert.equal(table.hasCloser(target, first.id.distanceTo(target)), false);
    assert.equal(table.hasCloser(target, first.id.distanceTo(target) + 1n), true);
    assert.equal(table.hasCloser(target, second.id.distanceTo(target), first.id), false);
    assert.equal(table.hasCloser(target, second.id.distanceTo(target) + 1n, first.id), true);
  }
  assert.equal(new RoutingTable(SELF).hasCloser(SELF, ID_SPACE), false);
});

Deno.test("RoutingTable.k shrinks buckets into the replacement caches and validates", async (t) => {
  await t.step("shrink", () => {
    const table = new RoutingTable(SELF, { k: 4 });
    for (let i = 1n; i <= 4n; i++) table.add(contact((1n << 159n) + i));
    table.k = 1;
    assert.equal(table.k, 1);
    assert.deepEqual(ids(table.contacts()), [(1n << 159n) + 4n]);
    // The evicted became replacements, trimmed to k: the most recent of them is kept.
    assert.equal(table.buckets()[0]!.replacements, 1);
    table.remove(NodeId.fromValue((1n << 159n) + 4n));
    assert.deepEqual(ids(table.contacts()), [(1n << 159n) + 3n]);
  });
  await t.step("bad sizes", () => {
    const table = new RoutingTable(SELF);
    for (const bad of [0, -1, 2.5, NaN]) {
      assert.throws(() => (table.k = bad), {
        name: "RangeError",
        message: `Cannot use bucket size ${bad}: expected an integer >= 1`,
      });
    }
    assert.throws(() => new RoutingTable(SELF, { k: 0 }), RangeError);
    assert.equal(table.k, 20);
  });
});

Deno.test("RoutingTable.staleRanges() lists the buckets idle for the given time", () => {
  let clock = 1000;
  const table = new RoutingTable(SELF, { k: 2, now: () => clock });
  const far = contact((1n << 159n) + 1n);
  table.add(far);
  table.add(contact(1n));
  clock = 5000;
  assert.deepEqual(table.staleRanges(4000), [[0n, ID_SPACE]]);
  assert.deepEqual(table.staleRanges(4001), []);
  table.add(contact(2n)); // splits; the near half is updated now, the far half keeps its time
  clock = 9000;
  assert.deepEqual(table.staleRanges(4000), [[0n, 1n << 159n], [1n << 159n, ID_SPACE]]);
  assert.deepEqual(table.staleRanges(4001), [[1n << 159n, ID_SPACE]]);
  table.touchRange(NodeId.fromValue((1n << 159n) + 12345n));
  assert.deepEqual(table.staleRanges(4001), []);
  clock = 9001;
  table.add(far); // seeing a known contact again refreshes its bucket
  assert.equal(bucketAt(table, 1n << 159n).lastUpdatedMs, 9001);
});

Deno.test("RoutingTable.changes reports contacts taking and losing slots, with the promoted replacement", () => {
  const { table, a, b } = fullFarBucket();
  const changes: string[] = [];
  table.changes.on((change) =>
    changes.push(
      `${change.kind} ${change.contact.id.value - FAR5}` +
        (change.kind === "removed" && change.promoted ? ` for ${change.promoted.id.value - FAR5}` : ""),
    )
  );
  table.add(a);
  table.add(contact(FAR5 + 3n));
  table.remove(b.id);
  table.remove(a.id);
  table.add(contact(1n), { hearsay: true });
  assert.deepEqual(changes, ["removed 2 for 3", "added 3", "removed 1", `added ${1n - FAR5}`]);
});

Deno.test("RoutingTable.lastSeenMs() is when a contact was last heard from, 0 when only heard of", () => {
  let clock = 1000;
  const table = new RoutingTable(SELF, { k: 2, now: () => clock });
  const [heard, told] = [contact(FAR5 + 1n), contact(FAR5 + 2n)];
  table.add(heard);
  table.add(told, { hearsay: true });
  assert.equal(table.lastSeenMs(heard.id), 1000);
  assert.equal(table.lastSeenMs(told.id), 0);
  clock = 2000;
  table.add(told, { hearsay: true });
  assert.equal(table.lastSeenMs(told.id), 0, "hearsay of a known contact is not news of it");
  table.add(told);
  assert.equal(table.lastSeenMs(told.id), 2000);
  table.remove(told.id);
  assert.equal(table.lastSeenMs(told.id), undefined);
});

Deno.test("RoutingTable.bucketOf() describes the bucket covering an id", () => {
  const { table } = fullFarBucket();
  table.add(contact(FAR5 + 3n));
  const info = table.bucketOf(NodeId.fromValue(FAR5 + 77n));
  assert.deepEqual([info.lo, info.hi, info.depth, info.size, info.replacements], [FAR5, FAR5 * 2n, 5, 2, 1]);
});

Deno.test("RoutingTable's admitHearsay option filters contacts only heard of, never those heard from", () => {
  const [refused, other] = [contact(FAR5 + 1n), contact(FAR5 + 2n)];
  const table = new RoutingTable(SELF, { k: 2, admitHearsay: (c) => !c.id.equals(refused.id) });
  assert.equal(table.add(refused, { hearsay: true }), "ignored");
  assert.equal(table.add(other, { hearsay: true }), "added");
  assert.equal(table.add(refused), "added");
});

Deno.test("RoutingTable.add() interns a contact's id, and only then does NodeId.fromBytes() return it shared", () => {
  const table = new RoutingTable(SELF, { k: 20 });
  const bytes = NodeId.random().bytes;
  const stranger = NodeId.fromBytes(bytes);
  assert.notEqual(NodeId.fromBytes(bytes), stranger, "an id no table holds is not kept");
  table.add({ id: stranger, host: "127.0.0.1", port: 4000 });
  assert.equal(NodeId.fromBytes(bytes), stranger, "a contact's id read off the wire again is the same object");
  const again = NodeId.fromHex(stranger.hex);
  table.add({ id: again, host: "127.0.0.1", port: 4000 });
  assert.equal(table.get(stranger)!.id, stranger);
});

Deno.test("RoutingTable.block() removes the contact and keeps it out until unblocked", async (t) => {
  const table = new RoutingTable(SELF, { k: 2, ping: () => assert.fail("no ping expected") });
  const [a, b] = [contact(FAR5 + 1n), contact(FAR5 + 2n)];
  table.add(a);
  table.add(b);
  await t.step("it leaves its slot", () => {
    assert.equal(table.block(a.id), true);
    assert.equal(table.get(a.id), undefined);
    assert.equal(table.size, 1);
    assert.equal(table.isBlocked(a.id), true);
  });
  await t.step("add() refuses it, heard from or only heard of", () => {
    assert.equal(table.add(a), "blocked");
    assert.equal(table.add(a, { hearsay: true }), "blocked");
    assert.deepEqual(ids(table.closest(a.id)), [b.id.value]);
  });
  await t.step("an id blocked before it is ever seen is refused too, and blocking is idempotent", () => {
    const c = contact(FAR5 + 3n);
    assert.equal(table.block(c.id), false);
    assert.equal(table.block(c.id), false);
    assert.equal(table.add(c), "blocked");
    assert.deepEqual(table.blocked(), [a.id.hex, c.id.hex]);
  });
  await t.step("unblock() lets it take a slot again", () => {
    assert.equal(table.unblock(a.id), true);
    assert.equal(table.unblock(a.id), false);
    assert.equal(table.add(a), "added");
  });
});

Deno.test("RoutingTable.block() drops an id waiting in a replacement cache", async () => {
  const { table, calls, b } = fullFarBucket();
  const waiting = contact(FAR5 + 3n);
  assert.equal(table.add(waiting), "cached");
  table.block(waiting.id);
  calls[0]!.answer(false); // a is gone: its slot goes to a replacement, but not to the blocked one
  await settle();
  assert.deepEqual(ids(table.contacts()), [b.id.value]);
});

Deno.test("RoutingTable: one contact per address; a quiet holder of a contested address is pinged", async () => {
  let now = 1_000_000;
  const { calls, ping } = fakePing();
  const table = new RoutingTable(SELF, { ping, now: () => now });
  const holder = { id: NodeId.fromValue(FAR5 + 1n), host: "10.0.0.1", port: 4000 };
  assert.equal(table.add(holder), "added");
  for (let i = 2n; i < 50n; i++) {
    assert.equal(table.add({ ...holder, id: NodeId.fromValue(FAR5 + i) }), "ignored");
  }
  assert.equal(calls.length, 0, "a holder heard from lately is not pinged");
  assert.equal(table.add({ ...holder, port: 4001 }), "updated", "a contact may move");
  assert.equal(table.add({ ...holder, id: NodeId.fromValue(FAR5 + 2n) }), "added", "its old address is free");
  // A node restarted with a new id at the quiet holder's address: the holder is pinged, and leaves when silent.
  now += 120_000;
  const restarted = { id: NodeId.fromValue(FAR5 + 3n), host: "10.0.0.1", port: 4001 };
  assert.equal(table.add(restarted), "ignored");
  assert.equal(calls.length, 1);
  calls[0]!.answer(false);
  await settle();
  assert.equal(table.add(restarted), "added");
});

Deno.test("RoutingTable: one IP address fills at most maxPerHostPerBucket slots of a bucket; loopback is exempt", () => {
  const table = new RoutingTable(SELF, { k: 20, maxPerHostPerBucket: 3 });
  const at = (i: bigint, host: string) => ({ id: NodeId.fromValue(FAR5 + i), host, port: 5000 + Number(i) });
  const outcomes = [1n, 2n, 3n, 4n, 5n].map((i) => table.add(at(i, "10.0.0.9")));
  assert.deepEqual(outcomes, ["added", "added", "added", "ignored", "ignored"]);
  assert.equal(table.add(at(6n, "10.0.0.10")), "added", "another host");
  assert.deepEqual([7n, 8n, 9n, 10n].map((i) => table.add(at(i, "127.0.0.1"))), ["added", "added", "added", "added"]);
});

Deno.test("RoutingTable.closest() with a filter, and heardFrom() for contacts heard from directly", () => {
  const table = new RoutingTable(SELF);
  const [heard, named] = [contact(FAR5 + 1n), contact(FAR5 + 2n)];
  table.add(heard);
  table.add(named, { hearsay: true });
  assert.deepEqual([table.heardFrom(heard.id), table.heardFrom(named.id)], [true, false]);
  assert.deepEqual(ids(table.closest(SELF, 20, undefined, (c) => table.heardFrom(c.id))), [heard.id.value]);
});
