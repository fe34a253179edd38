import assert from "node:assert/strict";
import { join } from "node:path";
import { KeyStore } from "../../roles/keystore/mod.ts";
import { feedSameKeys } from "../../roles/kme/_test_kmes.ts";
import { cqkd } from "../../tests/_cli.ts";
import { ensureKmePki, kmeDir, readKmeInfo, startLocalKme } from "./local_kmes.ts";

Deno.test("local KMEs: PKI files 0600, `cqkd kme info` and `cqkd keys` against both, no key material in the state", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const aliceStore = new KeyStore();
    const bobStore = new KeyStore();
    feedSameKeys([aliceStore, bobStore], 3);
    await using aliceKme = await startLocalKme(stateDir, "alice", aliceStore);
    await using bobKme = await startLocalKme(stateDir, "bob", bobStore);
    const files = [...Deno.readDirSync(kmeDir(stateDir))].map((entry) => entry.name).sort();
    assert.deepEqual(files, [
      "ca.key",
      "ca.pem",
      "kme-alice.key",
      "kme-alice.pem",
      "kme-alice.url",
      "kme-bob.key",
      "kme-bob.pem",
      "kme-bob.url",
      "sae-alice.key",
      "sae-alice.pem",
      "sae-bob.key",
      "sae-bob.pem",
    ]);
    for (const name of files) assert.equal((await Deno.stat(join(kmeDir(stateDir), name))).mode! & 0o777, 0o600, name);

    const set = ["--set", `state_dir=${stateDir}`];
    const info = await cqkd(["kme", "info", "--json", ...set]);
    assert.equal(info.code, 0, info.stderr);
    assert.deepEqual(JSON.parse(info.stdout), await readKmeInfo(stateDir));
    assert.deepEqual(JSON.parse(info.stdout).kmes.map((k: { url: string }) => k.url), [aliceKme.url, bobKme.url]);
    assert.deepEqual(JSON.parse(info.stdout).saes.map((s: { id: string }) => s.id), ["sae-alice", "sae-bob"]);

    const status = await cqkd(["keys", "status", ...set]);
    assert.equal(JSON.parse(status.stdout).stored_key_count, 3, status.stderr);
    const got = await cqkd(["keys", "get", "--number", "2", ...set]);
    assert.equal(got.code, 0, got.stderr);
    const { keys } = JSON.parse(got.stdout);
    const ids = keys.map((k: { key_ID: string }) => k.key_ID);
    const mirrored = await cqkd(["keys", "get-by-id", ...ids, ...set]);
    assert.equal(mirrored.code, 0, mirrored.stderr);
    assert.deepEqual(JSON.parse(mirrored.stdout).keys, keys);
    const again = await cqkd(["keys", "get-by-id", ids[0], ...set]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /KME answered 400: Key not found/);

    // Nothing under the state directory holds a delivered key, in base64 or in hex.
    for (const name of [...Deno.readDirSync(kmeDir(stateDir))].map((entry) => entry.name)) {
      const text = await Deno.readTextFile(join(kmeDir(stateDir), name));
      for (const { key } of keys) {
        const hex = Array.from(atob(key), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
        assert.ok(!text.includes(key) && !text.includes(hex), name);
      }
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("ensureKmePki() keeps existing certificates; a stopped KME's URL is gone from `kme info`", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    await ensureKmePki(stateDir);
    const ca = await Deno.readTextFile(join(kmeDir(stateDir), "ca.pem"));
    await ensureKmePki(stateDir);
    assert.equal(await Deno.readTextFile(join(kmeDir(stateDir), "ca.pem")), ca);
    {
      await using _kme = await startLocalKme(stateDir, "bob", new KeyStore());
      assert.match((await readKmeInfo(stateDir)).kmes[1]!.url!, /^https:\/\/127\.0\.0\.1:\d+$/);
    }
    assert.deepEqual((await readKmeInfo(stateDir)).kmes.map((k) => k.url), [null, null]);
    const down = await cqkd(["keys", "status", "--set", `state_dir=${stateDir}`]);
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /Cannot reach kme-alice: it is not running/);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
