import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../core/config/mod.ts";
import { publicKeyFromHex } from "../bootstrap_auth.ts";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { issueRoleCertificate, parseRoleCertificate, roleCertificateText } from "../../roles/keygen/mod.ts";
import type { SealedPeer } from "../../roles/keygen/sealed_messenger.ts";
import { keygenTrustFrom } from "../cluster/protocol_roles.ts";
import { RUN_AS } from "./container.ts";
import { AUTHORITY_FILE, identityFile, provisionKeygenTrust, trustEnvFile } from "./keygen_trust.ts";

/** The settings a side's container gets from its env file (`env_file` in compose). */
async function sideSettings(dir: string, role: "alice" | "bob") {
  const lines = (await Deno.readTextFile(join(dir, trustEnvFile(role)))).trim().split("\n");
  return await loadSettings({ env: Object.fromEntries(lines.map((line) => line.split(/=(.*)/s).slice(0, 2))) });
}

/** A peer as Alice or Bob sees the other: its identity and the certificate it presents. */
const peer = (identity: Uint8Array, certificate?: string): SealedPeer => ({
  host: "bob",
  port: 6001,
  key: new Uint8Array(32),
  identity,
  ...(certificate ? { certificate: parseRoleCertificate(certificate).bytes } : {}),
});

Deno.test("provisionKeygenTrust() makes Alice and Bob trust each other's keys in their roles, and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trust = await provisionKeygenTrust(join(dir, "secrets"), { bindMounted: true });
    const secrets = join(dir, "secrets");
    const alice = SigningIdentity.fromPem(await Deno.readTextFile(join(secrets, identityFile("alice"))));
    const bob = SigningIdentity.fromPem(await Deno.readTextFile(join(secrets, identityFile("bob"))));
    assert.equal(trust.sides.alice.identityPem, alice.toPem());
    // Each side's settings, as its container reads them, accept the other in its role.
    const aliceTrust = keygenTrustFrom(await sideSettings(secrets, "alice"));
    const bobTrust = keygenTrustFrom(await sideSettings(secrets, "bob"));
    assert.equal(aliceTrust.problem(peer(bob.publicKey, trust.sides.bob.certificate), "bob"), undefined);
    assert.equal(bobTrust.problem(peer(alice.publicKey, trust.sides.alice.certificate), "alice"), undefined);
    assert.equal((await sideSettings(secrets, "alice")).role_certificate, trust.sides.alice.certificate);

    // Attacks: Alice's certificate presented for Bob, Bob's certificate by another key, a certificate of another
    // authority, and no certificate at all.
    assert.match(
      aliceTrust.problem(peer(alice.publicKey, trust.sides.alice.certificate), "bob")!,
      /for alice, not bob/,
    );
    const mallory = SigningIdentity.generate();
    assert.match(aliceTrust.problem(peer(mallory.publicKey, trust.sides.bob.certificate), "bob")!, /another key/);
    const rogue = roleCertificateText(issueRoleCertificate(SigningIdentity.generate(), mallory.publicKey, "bob"));
    assert.match(aliceTrust.problem(peer(mallory.publicKey, rogue), "bob")!, /not signed by the authority key/);
    assert.match(aliceTrust.problem(peer(mallory.publicKey), "bob")!, /presents no role certificate/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("provisionKeygenTrust() keeps the keys private: the authority the operator's, identities the node user's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trust = await provisionKeygenTrust(dir, { bindMounted: true });
    const mode = async (name: string) => (await Deno.stat(join(dir, name))).mode! & 0o777;
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal(await mode(AUTHORITY_FILE), 0o600);
    for (const role of ["alice", "bob"] as const) {
      const { uid } = await Deno.stat(join(dir, identityFile(role)));
      if (Deno.uid() === 0) {
        // Root gives the key to the containers' user, who reads it through the bind mount, and to no one else.
        assert.equal(uid, RUN_AS);
        assert.equal(await mode(identityFile(role)), 0o400);
      } else {
        assert.equal(await mode(identityFile(role)), 0o600);
        assert.ok(trust.notes.some((note) => note.includes(`chown ${RUN_AS}:${RUN_AS}`)), trust.notes.join("\n"));
      }
      assert.equal(await mode(trustEnvFile(role)), 0o644, "public: the authority's key and a certificate");
      assert.doesNotMatch(await Deno.readTextFile(join(dir, trustEnvFile(role))), /PRIVATE KEY/);
    }
    assert.equal(trust.notes.length, Deno.uid() === 0 ? 0 : 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("provisionKeygenTrust() again keeps the keys and certifies them anew; a key that is not one is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const first = await provisionKeygenTrust(dir, { now: () => now, validDays: 1 });
    assert.deepEqual(first.created, [AUTHORITY_FILE, "alice.key", "bob.key"].map((name) => join(dir, name)));
    now += 86_400_000;
    const second = await provisionKeygenTrust(dir, { now: () => now, validDays: 1 });
    assert.deepEqual(second.created, []);
    assert.equal(second.authorityKey, first.authorityKey);
    for (const role of ["alice", "bob"] as const) {
      assert.equal(second.sides[role].publicKey, first.sides[role].publicKey);
      const [before, after] = [first, second].map((t) => parseRoleCertificate(t.sides[role].certificate));
      assert.equal(after!.expiresAtMs - before!.expiresAtMs, 86_400_000, "renewed");
      assert.deepEqual(after!.publicKey, publicKeyFromHex(first.sides[role].publicKey, role));
    }

    await Deno.writeTextFile(join(dir, identityFile("bob")), "not a key");
    await assert.rejects(provisionKeygenTrust(dir), /bob\.key/);
    assert.equal(await Deno.readTextFile(join(dir, identityFile("bob"))), "not a key", "left as it was");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Root without the capabilities that bypass file permissions: an operator who may not read the mounted keys. */
const WITHOUT_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"];
const canDropDac = Deno.uid() === 0 &&
  await new Deno.Command(WITHOUT_DAC[0]!, { args: [...WITHOUT_DAC.slice(1), "true"] }).output()
    .then((o) => o.success, () => false);

Deno.test({
  name: "provisionKeygenTrust() by an operator who cannot read the keys given to the nodes certifies them from .pub",
  ignore: !canDropDac,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const first = await provisionKeygenTrust(dir, { bindMounted: true });
      const script = `
        import { provisionKeygenTrust } from ${JSON.stringify(new URL("./keygen_trust.ts", import.meta.url).href)};
        try {
          console.log(JSON.stringify(await provisionKeygenTrust(${JSON.stringify(dir)}, { bindMounted: true })));
        } catch (error) { console.log(JSON.stringify({ error: error.message })); }`;
      const again = async () => {
        const output = await new Deno.Command(WITHOUT_DAC[0]!, {
          args: [...WITHOUT_DAC.slice(1), Deno.execPath(), "eval", script],
        }).output();
        assert.ok(output.success, new TextDecoder().decode(output.stderr));
        return JSON.parse(new TextDecoder().decode(output.stdout));
      };
      const second = await again();
      for (const role of ["alice", "bob"] as const) {
        assert.equal(second.sides[role].identityPem, undefined, "the key stays unread");
        assert.equal(second.sides[role].publicKey, first.sides[role].publicKey);
        const certificate = parseRoleCertificate(second.sides[role].certificate);
        assert.deepEqual(certificate.publicKey, publicKeyFromHex(first.sides[role].publicKey, role));
      }
      await Deno.remove(join(dir, "bob.pub"));
      assert.match((await again()).error, /Cannot read .*bob\.key \(permission denied\) nor its public key/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
