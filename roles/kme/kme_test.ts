import assert from "node:assert/strict";
import { createLocalCa } from "./pki.ts";
import { EtsiClient, EtsiRequestError } from "./etsi_client.ts";
import { feedSameKeys, startTwoKmes } from "./_test_kmes.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function refused(promise: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EtsiRequestError, String(error));
    assert.equal(error.status, status, error.message);
    assert.match(error.body.message, message);
    return true;
  });
}

Deno.test("KMEs deliver each key once to the master SAE and once to the slave SAE, equal on both sides", async () => {
  await using kmes = await startTwoKmes();
  const fed = feedSameKeys([kmes.aliceStore, kmes.bobStore], 5);
  await using alice = kmes.client("sae-alice", kmes.alice);
  await using bob = kmes.client("sae-bob", kmes.bob);

  const status = await alice.status("sae-bob");
  assert.deepEqual(status, {
    source_KME_ID: "kme-alice",
    target_KME_ID: "kme-bob",
    master_SAE_ID: "sae-alice",
    slave_SAE_ID: "sae-bob",
    key_size: 256,
    stored_key_count: 5,
    max_key_count: 1000,
    max_key_per_request: 128,
    max_key_size: 256,
    min_key_size: 256,
    max_SAE_ID_count: 0,
  });
  assert.equal((await bob.status("sae-alice")).master_SAE_ID, "sae-alice");

  const { keys } = await alice.getKeys("sae-bob", { number: 2, size: 256 });
  assert.deepEqual(keys.map((k) => k.key_ID), fed.slice(0, 2), "oldest keys first");
  assert.ok(keys.every((k) => UUID.test(k.key_ID) && atob(k.key).length === 32));
  const mirrored = await bob.getKeysById("sae-alice", keys.map((k) => k.key_ID));
  assert.deepEqual(mirrored.keys, keys);

  // Delivered keys are gone from both stores: asking again is refused, and the master gets new keys.
  await refused(bob.getKeysById("sae-alice", [keys[0]!.key_ID]), 400, /Key not found/);
  assert.equal(kmes.aliceStore.has(keys[0]!.key_ID) || kmes.bobStore.has(keys[0]!.key_ID), false);
  const next = await alice.getKeys("sae-bob");
  assert.equal(next.keys[0]!.key_ID, fed[2]);
  assert.equal((await alice.status("sae-bob")).stored_key_count, 2);

  // The GET forms of both routes.
  const byGet = await alice.raw("GET", "sae-bob/enc_keys", { query: "number=1&size=256" });
  assert.equal(byGet.status, 200);
  const [got] = (await byGet.json()).keys;
  const back = await bob.raw("GET", "sae-alice/dec_keys", { query: `key_ID=${got.key_ID}` });
  assert.deepEqual((await back.json()).keys, [got]);
});

Deno.test("KME answers 400 to malformed or unsupported requests, and 503 when keys run out", async () => {
  await using kmes = await startTwoKmes();
  const fed = feedSameKeys([kmes.aliceStore, kmes.bobStore], 3);
  await using alice = kmes.client("sae-alice", kmes.alice);
  await using bob = kmes.client("sae-bob", kmes.bob);
  const post = async (client: EtsiClient, path: string, body: string) => {
    const response = await client.raw("POST", path, { body });
    return { status: response.status, body: await response.json() };
  };
  for (
    const [body, message] of [
      ['{"number":0}', /Invalid key request/],
      ['{"number":1.5}', /Invalid key request/],
      ['{"size":128}', /size 128 is not offered/],
      ['{"number":129}', /exceeds max_key_per_request 128/],
      ['{"colour":"blue"}', /Invalid key request/],
      ['{"additional_slave_SAE_IDs":["sae-carol"]}', /additional_slave_SAE_IDs is not supported/],
      ['{"extension_mandatory":[{"abc_route_type":"direct"}]}', /extension_mandatory is not supported/],
      ["number=1", /not JSON/],
    ] as const
  ) {
    const answer = await post(alice, "sae-bob/enc_keys", body);
    assert.equal(answer.status, 400, body);
    assert.match(answer.body.message, message, body);
  }
  assert.deepEqual((await post(alice, "sae-bob/enc_keys", '{"colour":"blue"}')).body.details, [
    { field: "(body)", problem: 'Unrecognized key: "colour"' },
  ]);
  const huge = await post(
    alice,
    "sae-bob/enc_keys",
    JSON.stringify({ extension_optional: [{ x: "y".repeat(200_000) }] }),
  );
  assert.deepEqual(huge, { status: 400, body: { message: "Request body too large: the limit is 131072 bytes" } });
  // An optional extension may be ignored, as the standard allows.
  assert.equal((await post(alice, "sae-bob/enc_keys", '{"extension_optional":[{"x":1}]}')).status, 200);
  for (const query of ["number=zero", "number=-1", "size=256&colour=blue"]) {
    assert.equal((await alice.raw("GET", "sae-bob/enc_keys", { query })).status, 400, query);
  }
  await refused(alice.getKeys("sae-bob", { number: 3 }), 503, /Not enough keys: 2 stored, 3 requested/);

  for (
    const [body, message] of [
      ['{"key_IDs":[]}', /Invalid key IDs/],
      ['{"key_IDs":[{"key_ID":"not-a-uuid"}]}', /Invalid key IDs/],
      [`{"key_IDs":[{"key_ID":"${fed[1]}"},{"key_ID":"${fed[1]}"}]}`, /asked twice/],
      [`{"key_IDs":[{"key_ID":"${fed[1]}"},{"key_ID":"${crypto.randomUUID()}"}]}`, /Key not found/],
    ] as const
  ) {
    const answer = await post(bob, "sae-alice/dec_keys", body);
    assert.equal(answer.status, 400, body);
    assert.match(answer.body.message, message, body);
  }
  // All or nothing: the known key of the refused request is still there.
  assert.ok(kmes.bobStore.has(fed[1]!));
  assert.equal((await bob.raw("GET", "sae-alice/dec_keys", { query: "key_ID=123" })).status, 400);
  assert.equal((await bob.raw("GET", "sae-alice/dec_keys")).status, 400);
});

Deno.test("KME refuses SAEs of another pair, the wrong role, unregistered SAEs and clients without a certificate", async () => {
  await using kmes = await startTwoKmes();
  const fed = feedSameKeys([kmes.aliceStore, kmes.bobStore], 2);
  feedSameKeys([kmes.carolStore], 2);
  await using carol = kmes.client("sae-carol", kmes.bob);
  await using bobAsMaster = kmes.client("sae-bob", kmes.bob);
  await using mallory = kmes.client("sae-mallory", kmes.bob);
  await using bobAtAlices = kmes.client("sae-bob", kmes.alice);

  await refused(carol.getKeysById("sae-alice", [fed[0]!]), 401, /sae-carol has no key link with SAE sae-alice/);
  await refused(carol.status("sae-alice"), 401, /no key link/);
  await refused(bobAsMaster.getKeys("sae-alice"), 401, /not the master SAE/);
  // The master SAE cannot read its own KME's keys by ID either (dec_keys is the slave's).
  await using aliceAsSlave = kmes.client("sae-alice", kmes.alice);
  await refused(aliceAsSlave.getKeysById("sae-bob", [fed[0]!]), 401, /not the slave SAE/);
  await refused(mallory.getKeysById("sae-alice", [fed[0]!]), 401, /sae-mallory has no key link/);
  await refused(bobAtAlices.getKeysById("sae-alice", [fed[0]!]), 401, /no key link/);
  // Carol's own pair still works, and nothing of Alice and Bob's was handed out.
  assert.equal((await carol.getKeys("sae-dave")).keys.length, 1);
  assert.equal(kmes.bobStore.size, 2);
  assert.equal(kmes.aliceStore.size, 2);

  // TLS without a client certificate, or with one from another CA, fails in the handshake.
  const noCert = Deno.createHttpClient({ caCerts: [kmes.ca.cert] });
  await assert.rejects(fetch(`${kmes.bob.url}/api/v1/keys/sae-alice/status`, { client: noCert }), TypeError);
  noCert.close();
  const stranger = await (await createLocalCa("another CA")).issue({ commonName: "sae-bob", usage: "client" });
  await using impostor = new EtsiClient({ url: kmes.bob.url, ca: kmes.ca.cert, ...stranger });
  await assert.rejects(impostor.getKeysById("sae-alice", [fed[0]!]), TypeError);
  assert.equal(kmes.bobStore.size, 2);
});

Deno.test("KME events name the SAE, route, status and key count, never key material", async () => {
  await using kmes = await startTwoKmes();
  feedSameKeys([kmes.aliceStore, kmes.bobStore], 2);
  await using alice = kmes.client("sae-alice", kmes.alice);
  await using bob = kmes.client("sae-bob", kmes.bob);
  const { keys } = await alice.getKeys("sae-bob", { number: 2 });
  await bob.getKeysById("sae-alice", keys.map((k) => k.key_ID));
  await assert.rejects(bob.getKeysById("sae-alice", [keys[0]!.key_ID]));
  assert.deepEqual(kmes.events, [
    { sae: "sae-alice", route: "enc_keys", status: 200, keys: 2 },
    { sae: "sae-bob", route: "dec_keys", status: 200, keys: 2 },
    { sae: "sae-bob", route: "dec_keys", status: 400, keys: 0 },
  ]);
  const logged = JSON.stringify(kmes.events);
  for (const key of keys) {
    const hex = Array.from(atob(key.key), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    assert.ok(!logged.includes(key.key) && !logged.includes(hex));
  }
});

Deno.test("enc_keys hands out only keys of the pair's size: a session's whole key waiting to be cut is not served", async () => {
  await using kmes = await startTwoKmes();
  const [whole] = feedSameKeys([kmes.aliceStore, kmes.bobStore], 1, 4096);
  const [sized] = feedSameKeys([kmes.aliceStore, kmes.bobStore], 1);
  await using alice = kmes.client("sae-alice", kmes.alice);
  const { keys } = await alice.getKeys("sae-bob");
  assert.deepEqual(keys.map((k) => k.key_ID), [sized]);
  await refused(alice.getKeys("sae-bob"), 503, /Not enough keys/);
  assert.ok(kmes.aliceStore.has(whole!));
});

Deno.test("a running KME leaves the process's Deno.serve servers answering", async () => {
  await using _kmes = await startTwoKmes();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("up"));
  const answer = await fetch(`http://127.0.0.1:${server.addr.port}/`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(await answer.text(), "up");
});
